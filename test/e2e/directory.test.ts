/** The app with the real contact directory (manual CSV list + learned numbers) instead of the fake. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContactDirectory, DEFAULT_CONTACTS_CONFIG } from '../../src/contacts/factory';
import { MemoryLogger } from '../../src/logging/logger';
import { ManualClock } from '../../fakes/clock/manualClock';
import { makeWorld } from '../support/world';

async function directoryWorld(ambiguity: 'ask' | 'lastChosen' | 'none', dataDir = mkdtempSync(join(tmpdir(), 'dir-'))) {
  const csv = join(dataDir, 'kontakte.csv');
  writeFileSync(csv, 'Nummer;Name;ID;DataSource\n089 1234567;Müller & Söhne GmbH;4711;DATEV_Adressaten\n030 7654321;Erika Beispiel;100;DATEV_Adressaten\n030 7654321;Max Beispiel;101;DATEV_Adressaten\n');
  const { directory, close } = createContactDirectory({
    config: { ...DEFAULT_CONTACTS_CONFIG, ambiguity, manualListFile: csv, datevConnect: { ...DEFAULT_CONTACTS_CONFIG.datevConnect, enabled: false } },
    dataDir,
    clock: new ManualClock(),
    logger: new MemoryLogger(),
  });
  await directory.start();
  const w = await makeWorld({ contacts: directory, config: { ambiguity } });
  return { w, close, dataDir };
}

describe('app with the real contact directory', () => {
  it('finds a CSV contact for an incoming call', async () => {
    const { w, close } = await directoryWorld('ask');
    await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    expect(w.datev.received[0]!.data).toMatchObject({ AdressatenId: '4711', Adressatenname: 'Müller & Söhne GmbH' });
    close();
  });

  it('remembers the user\'s pick among several contacts across a restart (lastChosen)', async () => {
    const first = await directoryWorld('lastChosen');
    await first.w.tapi.pbx.incoming('201', '+49 30 7654321');
    await first.w.settle();
    expect(first.w.datev.received[0]!.data.AdressatenId).toBe('');
    const dlg = first.w.openDialogs()[0]!;
    await first.w.dialogs.user.click(dlg.id, 'Max Beispiel (101)');
    await first.w.settle();
    expect(first.w.datev.received[1]!.data.AdressatenId).toBe('101');
    const saved = join(first.dataDir, 'last-contact-choices.json');
    for (let i = 0; i < 100 && !existsSync(saved); i++) await new Promise((r) => setTimeout(r, 10));
    first.close();
    const second = await directoryWorld('lastChosen', first.dataDir);
    await second.w.tapi.pbx.incoming('201', '+49 30 7654321');
    await second.w.settle();
    expect(second.w.datev.received[0]!.data.AdressatenId).toBe('101');
    second.close();
  });

  it('learns what DATEV dialled, for the next incoming call', async () => {
    const { w, close } = await directoryWorld('ask');
    await w.datev.driver.dial({ CalledNumber: '0911 777888', Adressatenname: 'Finanzamt Nürnberg', AdressatenId: 'I-77', DataSource: 'DATEV_Institutionen' });
    await w.settle();
    await w.tapi.pbx.incoming('201', '+49911777888');
    await w.settle();
    const nc = w.datev.received.filter((n) => n.method === 'NewCall').at(-1)!;
    expect(nc.data).toMatchObject({ AdressatenId: 'I-77', DataSource: 'DATEV_Institutionen' });
    close();
  });
});
