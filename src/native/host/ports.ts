/**
 * The ports the host serves: name → factory. Adding a native adapter is one line here.
 * Each factory gets the host context (lazy addon) and returns the port plus its cleanup.
 */
import type { NativeAddon } from '../addon';
import { NativeTelephonyPort, type NativeTapi } from '../tapiTelephonyPort';
import { Win32DialogPort } from '../win32DialogPort';
import { NativeDatevPort, type NativeComModule } from '../comDatevPort';
import type { PortRegistry } from './server';

export interface HostContext {
  /** Loads wildix_cti.node on first use (throws AddonLoadError). */
  addon(): NativeAddon;
}

export const hostedPorts: PortRegistry<HostContext> = {
  dialogs: (ctx) => {
    const port = new Win32DialogPort(ctx.addon().ui);
    return { target: port, dispose: () => port.closeAll() };
  },
  datev: (ctx) => {
    const port = new NativeDatevPort(ctx.addon().com as unknown as NativeComModule);
    return { target: port, dispose: () => port.close() };
  },
  telephony: (ctx) => {
    const port = new NativeTelephonyPort({ native: ctx.addon().tapi as unknown as NativeTapi });
    return { target: port, dispose: () => port.shutdown() };
  },
};
