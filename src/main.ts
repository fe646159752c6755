#!/usr/bin/env node
/** Entry point of wildix-datev-cti(.exe). */
import { createFileLogger } from './logging/fileLogger';
import { processEnv } from './config/paths';
import { run } from './cli/run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const version: string = (require('../../../package.json') as { version: string }).version;

/** Loaded only on Windows: the addon and its adapters. */
function nativeWiring(): typeof import('./native/wiring') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./native/wiring') as typeof import('./native/wiring');
}

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
          native: async (config, log) => nativeWiring().createNativeWiring(config, log),
          workstation: () => nativeWiring().nativeWorkstation(),
          passwordStore: () => nativeWiring().datevConnectPasswordStore(),
        }
      : {}),
  });
  process.exitCode = code;
  // Never hang after the work is done (logs are flushed by now): a native thread or timer that still
  // holds the event loop gets 3 s, then the process ends with the same code.
  setTimeout(() => process.exit(code), 3000).unref();
}

void main();
