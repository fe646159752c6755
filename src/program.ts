/**
 * The program beyond the early ROT registration: what src/main.ts loads once the CTI object is in the
 * ROT. One module so that it can be one file of its own in the packaged exe (scripts/bundle.js):
 * compiling it (about 850 KB) then happens after the registration, not before it.
 */
export { createFileLogger } from './logging/fileLogger';
export { processEnv } from './config/paths';
export { run } from './cli/run';
export { stopDeadline } from './stopDeadline';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, on purpose */
export const version = (require('../../../package.json') as { version: string }).version;

/** Loaded only on Windows: the addon and its adapters. */
export function nativeWiring(): typeof import('./native/wiring') {
  return require('./native/wiring') as typeof import('./native/wiring');
}
/* eslint-enable @typescript-eslint/no-require-imports */
