/**
 * The ports the host serves: name → factory. Adding a native adapter is one line here.
 * Each factory gets the host context (lazy addon) and returns the port plus its cleanup.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import type { NativeAddon } from '../addon';
import { NativeTelephonyPort, type NativeTapi } from '../tapiTelephonyPort';
import { Win32DialogPort } from '../win32DialogPort';
import { NativeDatevPort, type NativeComModule } from '../comDatevPort';
import { NativeCallList, NativeContactChooser, NativeNoteWindows, type NativeJournalUi } from '../journalWindows';
import type { CallListAction, CallListRow, CallListSpec, ContactChoice, ContactChooserSpec, NoteWindowSpec } from '../../journal/windows';
import type { PortFactory, PortRegistry } from './server';

/** Bounds of the 'datevBounded' port: a short notification bound and two notification threads. */
export const BOUNDED_DATEV = { notifyTimeoutMs: 600, notifyThreads: 2, probeTimeoutMs: 3000 } as const;

/** Files the 'process' port holds open (handles to count). */
const heldFiles: number[] = [];

export interface HostContext {
  /** Loads wildix_cti.node on first use (throws AddonLoadError). */
  addon(): NativeAddon;
}

/** A hosted NativeDatevPort with these adapter options. */
function datevPort(options?: ConstructorParameters<typeof NativeDatevPort>[1]): PortFactory<HostContext> {
  return (ctx) => {
    const port = new NativeDatevPort(ctx.addon().com as unknown as NativeComModule, options);
    return { target: port, dispose: () => port.close() };
  };
}

export const hostedPorts: PortRegistry<HostContext> = {
  dialogs: (ctx) => {
    const port = new Win32DialogPort(ctx.addon().ui);
    return { target: port, dispose: () => port.closeAll() };
  },
  datev: datevPort(),
  // the same adapter with the short bounds the DATEV contract suite expects (BOUNDED_DATEV)
  datevBounded: datevPort(BOUNDED_DATEV),
  // the lookup ahead with a window no test machine misses (the event's way through the test takes a while), and off
  datevLookAhead: datevPort({ lookAheadMs: 5000 }),
  datevNoLookAhead: datevPort({ lookAheadMs: 0 }),
  // two notification threads with a bound a hang of a few seconds outlasts by a margin no loaded machine misses
  datevTwoThreads: datevPort({ notifyTimeoutMs: 2000, notifyThreads: 2 }),
  // the host process itself: block its JavaScript thread (a busy program) to test what must not wait for it
  process: (ctx) => ({
    target: {
      /**
       * From the next turn on, the thread is busy for `ms`: no event is handled meanwhile. When it starts
       * it writes `markerFile` (synchronously: the caller cannot rely on this call's answer arriving first).
       */
      blockSoon(ms: number, markerFile: string): void {
        setImmediate(() => {
          writeFileSync(markerFile, 'blocked');
          const end = Date.now() + ms;
          while (Date.now() < end) {
            // busy
          }
        });
      },
      ping(): void {},
      /** The process's resource use (addon.proc.stats), with the handle count no older than `handlesMaxAgeMs`. */
      stats: (handlesMaxAgeMs: number) => ctx.addon().proc.stats({ handlesMaxAgeMs }),
      /** Opens `n` more handles (files) and keeps them until closeFiles(); returns how many it holds. */
      openFiles(n: number, file: string): number {
        for (let i = 0; i < n; i++) heldFiles.push(openSync(file, 'r'));
        return heldFiles.length;
      },
      closeFiles(): void {
        for (const fd of heldFiles.splice(0)) closeSync(fd);
      },
    },
  }),
  // the journal's windows (note, call list, contact chooser) as one port; the chooser's search comes
  // back as a handler object ({search}) so the host awaits its answer
  journalWindows: (ctx) => {
    const ui = ctx.addon().ui as unknown as NativeJournalUi;
    const notes = new NativeNoteWindows(ui);
    const list = new NativeCallList(ui);
    const chooser = new NativeContactChooser(ui);
    return {
      target: {
        showNote: (spec: NoteWindowSpec) => notes.show(spec),
        closeNote: (id: number) => notes.close(id),
        noteResult: (id: number) => notes.result(id),
        showList: (spec: CallListSpec, onAction: (a: CallListAction, rowId: string) => void, onClosed: () => void) =>
          list.show(spec, onAction, onClosed),
        updateList: (rows: CallListRow[]) => list.update(rows),
        closeList: () => list.close(),
        choose: (spec: ContactChooserSpec, handlers: { search: (text: string) => Promise<ContactChoice[]> }) =>
          chooser.choose(spec, (text) => handlers.search(text)),
      },
      dispose: async () => {
        await list.close();
        await notes.closeAll();
      },
    };
  },
  telephony: (ctx) => {
    const port = new NativeTelephonyPort({ native: ctx.addon().tapi as unknown as NativeTapi });
    return { target: port, dispose: () => port.shutdown() };
  },
};
