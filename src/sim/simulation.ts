/**
 * The runnable default away from Windows: the real application wired to the built-in simulated
 * Wildix PBX (fake TAPI), DATEV (fake ROT + DATEV Telefonie), dialogs and contacts. A short script
 * plays what happens in a tax office and prints what the user sees and what DATEV receives.
 */
import { App } from '../app/app';
import type { Config } from '../config/schema';
import { CallState, DATEV_FIELDS, Direction, type RawCallData } from '../datev/callData';
import type { Logger } from '../logging/logger';
import { ManualClock } from '../../fakes/clock/manualClock';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { FakeJournalWindows } from '../../fakes/journalWindows/fakeJournalWindows';
import { MemoryJournal } from '../../fakes/journal/memoryJournal';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeDialogs } from '../../fakes/dialogs/fakeDialogs';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import type { ContactsPort } from '../contacts/port';

const pad = (n: number): string => String(n).padStart(2, '0');

function formatValue(field: string, v: unknown): string {
  if (v instanceof Date) return `${pad(v.getHours())}:${pad(v.getMinutes())}:${pad(v.getSeconds())}`;
  if (field === 'CallState' && typeof v === 'number') return CallState[v] ?? String(v);
  if (field === 'Direction' && typeof v === 'number') return Direction[v] ?? String(v);
  return JSON.stringify(v ?? '');
}

export function formatCallData(d: RawCallData): string {
  return DATEV_FIELDS.filter((f) => f in d).map((f) => `${f}=${formatValue(f, d[f])}`).join(' ');
}

export interface SimulationOptions {
  config: Config;
  log: Logger;
  out: (line: string) => void;
  version: string;
  /** Contacts to use (default: a few sample DATEV contacts). */
  contacts?: ContactsPort;
}

export const SAMPLE_CONTACTS = [
  { id: '4711', name: 'Müller & Söhne GmbH', dataSource: 'DATEV_Adressaten', number: '089/1234567' },
  { id: '1002', name: 'Dr. Erika Schneider', dataSource: 'DATEV_Adressaten', number: '+49 911 4455667' },
  { id: 'I-12', name: 'Finanzamt München', dataSource: 'DATEV_Institutionen', number: '089 1252-0' },
];

export async function runSimulation(o: SimulationOptions): Promise<{ notifications: number }> {
  const clock = new ManualClock(new Date(2026, 10, 26, 9, 30, 0));
  const datev = new FakeDatev();
  const tapi = new FakeTapi();
  tapi.addLine('Wildix 201 Anna Schmidt', '201');
  const dialogs = new FakeDialogs(clock);
  const contacts = o.contacts ?? new MemoryContacts(SAMPLE_CONTACTS);
  const windows = new FakeJournalWindows(clock);
  const journal = { store: new MemoryJournal(), notes: windows.notes, list: windows.callList, chooser: windows.chooser };
  const app = new App({ datev: datev.port, telephony: tapi.port, dialogs: dialogs.port, contacts, journal, config: o.config, log: o.log, clock });
  const time = (): string => {
    const t = clock.now();
    return `[${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}]`;
  };
  const say = (who: string, text: string): void => o.out(`${time()} ${who.padEnd(7)} ${text}`);

  dialogs.onEvent((e) => {
    if (e.type === 'shown') say('Dialog', `„${e.title}“ öffnet: ${[e.heading, e.text].filter(Boolean).join(' | ').replace(/\n/g, ' | ')}  ${e.detail ?? ''}`);
    if (e.type === 'updated') say('Dialog', `${e.heading} | ${e.text.replace(/\n/g, ' | ')}`);
    if (e.type === 'button') say('Dialog', `Schaltfläche ${e.detail}`);
    if (e.type === 'closed') say('Dialog', `„${e.title}“ geschlossen (${e.detail})`);
  });
  datev.onNotification((n) => say('DATEV', `← ${n.method}  ${formatCallData(n.data)}`));

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 6; i++) {
      await tapi.settle();
      await app.calls.idle();
      await app.notifier.idle();
    }
  };
  const wait = async (seconds: number): Promise<void> => {
    clock.advance(seconds * 1000);
    await settle();
  };
  const user = async (label: string): Promise<void> => {
    const d = dialogs.visible().find((v) => v.buttons.some((b) => b.label === label && b.enabled));
    if (!d) throw new Error(`simulation: no dialog with an enabled "${label}" button`);
    say('Nutzer', `klickt „${label}“`);
    await dialogs.user.click(d.id, label);
    await settle();
  };

  o.out(`Wildix CTI für DATEV ${o.version} – Simulation: simulierte Wildix-Telefonanlage und DATEV (kein Windows)`);
  o.out('Simulation: simulated Wildix PBX and DATEV (not on Windows). Windows runs the real CTI.');
  await app.start();
  await settle();
  say('TAPI', `Leitung: ${app.status().lineName} (${app.status().line})`);

  o.out('\n--- 1. DATEV wählt einen Mandanten (Anrufen in DATEV) / DATEV dials a client ---');
  const dial = { CalledNumber: '089/1234567', Adressatenname: 'Müller & Söhne GmbH', AdressatenId: '4711', DataSource: 'DATEV_Adressaten', SyncID: 'SYNC-0815' };
  say('DATEV', `→ Dial  ${formatCallData(dial)}`);
  const r = await datev.driver.dial(dial);
  say('DATEV', `Dial beantwortet / answered: HRESULT 0x${(r.hresult >>> 0).toString(16)} CallID=${r.callId}`);
  await settle();
  const out1 = await tapi.pbx.lastCallId();
  await wait(2);
  await tapi.pbx.ringback(out1);
  say('PBX', 'Gegenstelle klingelt / far end rings');
  await settle();
  await wait(6);
  say('PBX', 'Mandant nimmt ab / client answers');
  await tapi.pbx.answer(out1);
  await settle();
  await wait(95);
  await user('Auflegen');

  o.out('\n--- 2. Ein Mandant ruft an und wird angenommen / a client calls and is answered ---');
  await wait(60);
  say('PBX', 'Anruf von +49 911 4455667');
  const in1 = await tapi.pbx.incoming('201', '+49 911 4455667');
  await settle();
  await wait(4);
  await user('Annehmen');
  await wait(180);
  say('PBX', 'Anrufer legt auf / caller hangs up');
  await tapi.pbx.hangup(in1);
  await settle();
  const note = windows.noteUser.openNotes()[0];
  if (note) {
    say('Dialog', `„${note.spec.title}“ öffnet (ohne Fokus): ${note.spec.heading} | ${note.spec.text.replace(/\n/g, ' | ')}`);
    const text = 'Rückfrage zur Umsatzsteuer-Voranmeldung, Unterlagen folgen per Post.';
    say('Nutzer', `schreibt „${text}“ und klickt „Speichern“`);
    windows.noteUser.save(note.id, text);
    await settle();
  }

  o.out('\n--- 3. Verpasster Anruf / missed call ---');
  await wait(300);
  say('PBX', 'Anruf von 089 1252-0');
  const in2 = await tapi.pbx.incoming('201', '+49891252 0'.replace(' ', ''));
  await settle();
  await wait(20);
  say('PBX', 'Anrufer gibt auf / caller gives up');
  await tapi.pbx.hangup(in2, 'CANCELLED');
  await settle();

  o.out('\n--- 4. Eine Kollegin nimmt den Anruf an ihrem Telefon an / a colleague takes the call at her phone ---');
  await wait(120);
  say('PBX', 'Anruf von +49 911 4455667');
  const in3 = await tapi.pbx.incoming('201', '+49 911 4455667');
  await settle();
  await wait(5);
  say('PBX', 'Kollegin nimmt ab (CONNECTED, LINECONNECTEDMODE_INACTIVE) / a colleague answers on the shared line');
  await tapi.pbx.answerElsewhere(in3);
  await settle();
  await wait(240);
  await tapi.pbx.hangup(in3);
  await settle();

  await app.stop();
  o.out(`\nDATEV hat ${datev.received.length} Benachrichtigungen erhalten / DATEV received ${datev.received.length} notifications.`);
  return { notifications: datev.received.length };
}
