/** --lookup: how a number is read, what it matches, which contact DATEV would get, the sources' state. */
import { describe, expect, it } from 'vitest';
import { lookupNumber, type LookupDeps } from '../../src/cli/lookup';
import { DEFAULT_NUMBER_RULES } from '../../src/contacts/numbers';
import type { ContactsPort } from '../../src/contacts/port';
import type { DirectoryStatus } from '../../src/contacts/directory';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';

const TWINS = [
  { id: '100', name: 'Erika Beispiel', dataSource: 'DATEV_Adressaten', number: '030 7654321' },
  { id: '101', name: 'Max Beispiel', dataSource: 'DATEV_Adressaten', number: '+49 30 7654321' },
];

function status(ready: boolean): DirectoryStatus {
  return {
    datevConnect: { url: 'http://localhost:58454', auth: 'windows', state: ready ? 'ready' : 'crawling', ready, fromCache: ready, addressees: ready ? 2 : 0, numbers: ready ? 2 : 0, unusableNumbers: 0, failedAddressees: 0, waitingForNewPassword: false },
    learnedNumbers: 0,
    manualList: null,
    ambiguity: 'ask',
  } as DirectoryStatus;
}

function run(contacts: ContactsPort, number: string, waitReadyMs = 20_000, outsideLine?: LookupDeps['outsideLine']) {
  const out: string[] = [];
  let t = 0;
  let slept = 0;
  const done = lookupNumber(number, {
    contacts,
    rules: { ...DEFAULT_NUMBER_RULES, areaCode: '30' },
    ambiguity: 'ask',
    out: (s) => out.push(s),
    sleep: async (ms) => {
      slept++;
      t += ms;
    },
    now: () => t,
    waitReadyMs,
    ...(outsideLine ? { outsideLine } : {}),
  });
  return { done, out, slept: () => slept };
}

describe('--lookup', () => {
  it('reads the number as an incoming caller\'s: without the outside-line prefix where the PBX puts it before callers', async () => {
    const on = run(new MemoryContacts(TWINS), '0 030 7654321', 20_000, { prefix: '0', onCallers: true, extensionLength: 4 });
    expect(await on.done).toBe(0);
    expect(on.out.join('\n')).toContain('„0 030 7654321“ (ohne Amtsholung / without the outside-line prefix: „030 7654321“) → +49307654321');
    expect(on.out.join('\n')).toContain('Amtsholung / outside line „0“ auch vor Anrufernummern');
    const off = run(new MemoryContacts(TWINS), '030 7654321', 20_000, { prefix: '0', onCallers: false, extensionLength: 4 });
    expect(await off.done).toBe(0);
    expect(off.out.join('\n')).toContain('„030 7654321“ → +49307654321');
    expect(off.out.join('\n')).toContain('nur vor gewählten Nummern');
  });

  it('waits for the sources to have their index, then names the contacts (several: the program asks)', async () => {
    let polls = 0;
    const contacts = Object.assign(new MemoryContacts(TWINS), { status: (): DirectoryStatus => status(++polls > 3) });
    const r = run(contacts, '030/765 43 21');
    expect(await r.done).toBe(0);
    expect(r.slept()).toBe(3);
    const text = r.out.join('\n');
    expect(text).toContain('„030/765 43 21“ → +49307654321');
    expect(text).toContain('DATEVconnect ready, 2 Adressaten');
    expect(text).toContain('2 Kontakte gefunden');
    expect(text).toContain('Erika Beispiel (DATEV_Adressaten 100)');
    expect(text).toContain('the program asks in the call window');
  });

  it('does not wait for ever: a directory without an index yet says so, and the number is still looked up', async () => {
    const contacts = Object.assign(new MemoryContacts(), { status: (): DirectoryStatus => status(false) });
    const r = run(contacts, '+49 89 1234567', 1000);
    expect(await r.done).toBe(1);
    expect(r.slept()).toBe(4);
    expect(r.out.join('\n')).toContain('has no index yet');
    expect(r.out.join('\n')).toContain('no contact found');
  });

  it('waits for the sources to load their files (a manual list, the cache) before it looks', async () => {
    let loaded!: () => void;
    const contacts = Object.assign(new MemoryContacts(TWINS), { started: () => new Promise<void>((r) => (loaded = r)) });
    const out: string[] = [];
    const done = lookupNumber('030 7654321', {
      contacts,
      rules: DEFAULT_NUMBER_RULES,
      ambiguity: 'ask',
      out: (s) => out.push(s),
      sleep: (ms) => new Promise((res) => setTimeout(res, Math.min(ms, 5))),
      now: () => Date.now(),
      waitReadyMs: 10_000,
    });
    await new Promise((res) => setTimeout(res, 50));
    expect(out.some((l) => l.includes('gefunden'))).toBe(false); // still waiting for the files
    loaded();
    expect(await done).toBe(0);
    expect(out.join('\n')).toContain('2 Kontakte gefunden');
  });

  it('says why a number is not looked up at all', async () => {
    for (const [n, why] of [['anonymous', 'withheld'], ['', 'empty'], ['12', 'internal extension'], ['bitte anrufen', 'not a phone number']] as const) {
      const r = run(new MemoryContacts(TWINS), n);
      expect(await r.done).toBe(1);
      expect(r.out[0]).toContain(why);
    }
  });
});
