/**
 * auth "windows" in createContactDirectory: available only with a transport that signs in by itself
 * (WinHTTP), and then the program sends no Authorization header of its own. No sign-in happens here:
 * the fake asks for none, and Node's HTTP cannot answer a Negotiate/NTLM challenge. What WinHTTP does
 * with a challenge is tested under Wine (test/wine/datevconnect.wine.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContactDirectory, DEFAULT_CONTACTS_CONFIG } from '../../src/contacts/factory';
import { NodeHttpTransport } from '../../src/contacts/datevconnect/http';
import { fixedDataset } from '../../fakes/datevconnect/data';
import { FakeDatevConnect } from '../../fakes/datevconnect/server';
import { captureLogger, ManualClock, tempDir } from './helpers';

describe('contacts: auth "windows" leaves the sign-in to the transport', () => {
  let fake: FakeDatevConnect;
  let dir: ReturnType<typeof tempDir>;
  const closers: (() => void)[] = [];

  beforeEach(async () => {
    fake = new FakeDatevConnect(fixedDataset(), { auth: { mode: 'sso' } });
    await fake.start();
    dir = tempDir();
  });
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    await fake.stop();
    dir.remove();
  });

  function build(windowsSignIn: boolean | undefined, withTransport = true) {
    const { directory, close } = createContactDirectory({
      config: { ...DEFAULT_CONTACTS_CONFIG, datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, baseUrl: fake.url, auth: 'windows', user: '' } },
      dataDir: dir.path,
      clock: new ManualClock(),
      logger: captureLogger(),
      ...(withTransport ? { transport: new NodeHttpTransport(2) } : {}),
      ...(windowsSignIn === undefined ? {} : { windowsSignIn }),
    });
    closers.push(close);
    return directory;
  }

  it('with a transport declared to sign in, against a server that asks for none: full crawl, no Authorization header from the program', async () => {
    const d = build(true);
    await d.start();
    await d.refresh();
    const st = d.status().datevConnect;
    expect(st).toMatchObject({ auth: 'Windows sign-in (Negotiate/NTLM, logged-on user)', addressees: fixedDataset().length });
    expect(st?.lastError).toBeUndefined();
    expect(fake.requests().length).toBeGreaterThan(1);
    expect(fake.requests().every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('without a signing-in transport "windows" stays unavailable and nothing is requested', async () => {
    for (const [flag, transport] of [[undefined, true], [false, true], [true, false]] as const) {
      fake.clearRequests();
      const d = build(flag, transport);
      await d.start();
      await d.refresh();
      expect(d.status().datevConnect?.lastError).toMatchObject({ kind: 'authUnavailable' });
      expect(fake.requests()).toEqual([]);
    }
  });
});
