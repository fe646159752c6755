/**
 * The port host and the addon in a renamed Windows node (cti.exe, like the packaged program):
 * the addon must bind N-API to whatever exe hosts it (native/common/delay_hook.cc).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { paths } from './env';
import { connectHost, type RemoteHost } from './remote';

const display = inject('display');
let host: RemoteHost;

function renamedNode(): string {
  const dir = path.join(path.dirname(paths.logs), 'cti-host');
  const exe = path.join(dir, 'cti.exe');
  if (!fs.existsSync(exe) || fs.statSync(exe).size !== fs.statSync(paths.nodeExe).size) {
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(exe, { force: true });
    try {
      fs.linkSync(paths.nodeExe, exe);
    } catch {
      fs.copyFileSync(paths.nodeExe, exe);
    }
  }
  return exe;
}

beforeAll(async () => {
  if (!display) throw new Error('no X display: run the Wine tests with npm run test:wine (vitest.wine.config.ts)');
  host = await connectHost({ display, nodeExe: renamedNode(), logName: 'cti-host.log' });
});

afterAll(async () => {
  await host?.close();
});

describe('port host in a renamed node (cti.exe)', () => {
  it('runs as cti.exe', () => {
    expect(host.hello.execPath.toLowerCase()).toMatch(/\\cti\.exe$/);
  });

  it('loads the addon and shows a real dialog that times out', async () => {
    const port = host.remoteDialogPort();
    const id = await port.show({
      title: 'Wildix CTI – Test',
      heading: 'Überschrift',
      text: 'Text',
      buttons: [{ id: 'ok', label: 'OK', enabled: true }],
      timeoutMs: 200,
    });
    expect(id).toBeGreaterThan(0);
    expect(await port.result(id)).toEqual({ reason: 'timeout' });
    await port.dispose();
  });

  it('rejects result() of an unknown id with the adapter\'s typed error', async () => {
    const port = host.remoteDialogPort();
    const err = await port.result(4242).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DialogError', code: 'unknown-id' });
    await port.dispose();
  });
});
