#!/usr/bin/env node
/**
 * Entry point of wildix-datev-cti(.exe). On Windows the CTI object goes into the ROT first
 * (src/native/earlyStart.ts); only then is the rest of the program loaded.
 */
import { startEarly } from './native/earlyStart';

const early = startEarly(process.argv.slice(2));

/* eslint-disable @typescript-eslint/no-require-imports -- loaded after the early registration, on purpose */
const { createFileLogger } = require('./logging/fileLogger') as typeof import('./logging/fileLogger');
const { processEnv } = require('./config/paths') as typeof import('./config/paths');
const { run } = require('./cli/run') as typeof import('./cli/run');
const version: string = (require('../../../package.json') as { version: string }).version;

/** Loaded only on Windows: the addon and its adapters. */
function nativeWiring(): typeof import('./native/wiring') {
  return require('./native/wiring') as typeof import('./native/wiring');
}
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(): Promise<void> {
  const env = processEnv();
  const code = await run(process.argv.slice(2), {
    version,
    env,
    nodeVersion: process.version,
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    makeLogger: (dir, l, toConsole) => createFileLogger({ dir, level: l.level, maxSizeMB: l.maxSizeMB, maxDays: l.maxDays, console: toConsole }),
    ...(env.platform === 'win32'
      ? {
          native: async (config, log) => nativeWiring().createNativeWiring(config, log, early),
          workstation: () => nativeWiring().nativeWorkstation(),
          passwordStore: () => nativeWiring().datevConnectPasswordStore(),
          ...(early ? { earlyInstance: early.instance } : {}),
        }
      : {}),
  });
  process.exitCode = code;
  // Never hang after the work is done (logs are flushed by now): a native thread or timer that still
  // holds the event loop gets 3 s, then the process ends with the same code.
  setTimeout(() => process.exit(code), 3000).unref();
}

void main();
