/**
 * A PBX that needs an outside-line prefix ("Amtsholung", `outsideLinePrefix`): the numbers of outgoing
 * calls carry it as dialled and lose it before the lookup and DATEV; incoming callers' numbers lose it
 * only where the PBX puts it before them (`outsideLinePrefixOnCallers`) — datev-contacts.md §3.3. With
 * the program's real contact directory (a manual list), which reads numbers without the prefix.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contactsConfigOf, createContactDirectory } from '../../src/contacts/factory';
import { defaultConfig, type Config } from '../../src/config/schema';
import { CallState, Direction } from '../../src/datev/callData';
import { systemClock } from '../../src/util/clock';
import { captureLogger, tempDir } from '../contacts/helpers';
import { makeWorld } from '../support/world';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The world with the real directory: Müller (089 1234567) and a foreign client (+43 1 5551234) in the manual list. */
async function world(over: Partial<Config>) {
  const config: Config = { ...defaultConfig(), outsideLinePrefix: '0', ...over };
  const dir = tempDir();
  const csv = join(dir.path, 'manuell.csv');
  writeFileSync(csv, 'Nummer;Name;ID;DataSource\n089 1234567;Müller & Söhne GmbH;4711;Manuell\n+43 1 5551234;Wiener Kunde;W-1;Manuell\n');
  const { directory, close } = createContactDirectory({
    // (the directory's settings from the program's, as the Windows wiring makes them)
    config: contactsConfigOf({ ...config, contacts: { ...config.contacts, manualListFile: csv, datevConnect: { ...config.contacts.datevConnect, enabled: false } } }),
    dataDir: dir.path,
    clock: systemClock,
    logger: captureLogger(),
    secret: async () => '',
  });
  await directory.start();
  cleanups.push(() => {
    close();
    dir.remove();
  });
  return makeWorld({ contacts: directory, config });
}

function contactOfFirst(w: Awaited<ReturnType<typeof world>>): [string, string, Direction] {
  const d = w.datev.received[0]!.data;
  return [String(d.AdressatenId), String(d.CalledNumber), d.Direction as Direction];
}

describe('outside-line prefix', () => {
  it('an incoming national number is looked up as it comes (the prefix is not taken off callers\' numbers)', async () => {
    const w = await world({});
    await w.tapi.pbx.incoming('201', '0891234567');
    await w.settle();
    await w.advance(400);
    expect(contactOfFirst(w)).toEqual(['4711', '089 1234567', Direction.eDirIncoming]);
  });

  it('an incoming international number with 00 too', async () => {
    const w = await world({});
    await w.tapi.pbx.incoming('201', '0043 1 5551234');
    await w.settle();
    await w.advance(400);
    expect(contactOfFirst(w)[0]).toBe('W-1');
  });

  it('a call dialled on the phone carries the prefix: taken off for the lookup and for DATEV', async () => {
    const w = await world({});
    const id = w.tapi.dialFromPhone('201', '00891234567');
    await w.settle();
    await w.advance(400);
    expect(contactOfFirst(w)).toEqual(['4711', '089 1234567', Direction.eDirOutgoing]);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    // a number without a contact: DATEV gets it without the prefix
    w.tapi.dialFromPhone('201', '0 0301 999888');
    await w.settle();
    await w.advance(400);
    expect(w.datev.received.filter((n) => n.method === 'NewCall').map((n) => [n.data.AdressatenId, n.data.CalledNumber, n.data.CallState])).toEqual([
      ['4711', '089 1234567', CallState.eCSOffered],
      ['', '0301 999888', CallState.eCSOffered],
    ]);
  });

  it('outsideLinePrefixOnCallers: a PBX that puts the prefix before callers\' numbers (0 + 089…, 0 + 0043…)', async () => {
    const w = await world({ outsideLinePrefixOnCallers: true });
    const first = await w.tapi.pbx.incoming('201', '00891234567');
    await w.settle();
    await w.advance(400);
    await w.tapi.pbx.hangup(first);
    await w.settle();
    await w.tapi.pbx.incoming('201', '0 0043 1 5551234');
    await w.settle();
    await w.advance(400);
    expect(w.datev.received.filter((n) => n.method === 'NewCall').map((n) => [n.data.AdressatenId, n.data.CalledNumber])).toEqual([
      ['4711', '089 1234567'],
      ['W-1', '+43 1 5551234'],
    ]);
  });

  it('extensions are not taken for a prefix', async () => {
    const w = await world({ reportCalls: 'all' });
    w.tapi.dialFromPhone('201', '017');
    await w.settle();
    await w.advance(400);
    expect(contactOfFirst(w)).toEqual(['', '017', Direction.eDirOutgoing]);
  });
});
