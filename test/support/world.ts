/** The whole app wired to the in-memory fakes, with a manual clock. */
import { App } from '../../src/app/app';
import { defaultConfig, type Config } from '../../src/config/schema';
import type { Contact, ContactsPort } from '../../src/contacts/port';
import { MemoryLogger } from '../../src/logging/logger';
import { ManualClock } from '../../fakes/clock/manualClock';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { FakeDatev } from '../../fakes/datev/fakeDatev';
import { FakeDialogs } from '../../fakes/dialogs/fakeDialogs';
import { FakeTapi } from '../../fakes/telephony/fakeTapi';
import { stepSlicer } from '../../fakes/clock/stepSlicer';
import { MemoryJournal } from '../../fakes/journal/memoryJournal';
import { FakeJournalWindows } from '../../fakes/journalWindows/fakeJournalWindows';

export const MUELLER: Contact = { id: '4711', name: 'Müller & Söhne GmbH', dataSource: 'DATEV_Adressaten', number: '089/1234567' };
export const KAMMER: Contact = { id: 'I-12', name: 'Steuerberaterkammer München', dataSource: 'DATEV_Institutionen', number: '+49 89 5554433' };
export const TWIN_A: Contact = { id: '100', name: 'Erika Beispiel', dataSource: 'DATEV_Adressaten', number: '030 7654321' };
export const TWIN_B: Contact = { id: '101', name: 'Max Beispiel', dataSource: 'DATEV_Adressaten', number: '+49 30 7654321' };

export interface WorldOptions {
  config?: Partial<Config>;
  datevRunning?: boolean;
  lines?: { name: string; address: string }[];
  contacts?: ContactsPort;
  /** The journal store (e.g. one reopened from an earlier world: a restart). */
  journal?: MemoryJournal;
  start?: boolean;
  /** The manual clock's start (default ManualClock's: 2026-11-26 09:30 local time). */
  startAt?: Date;
  /** The "random" numbers in CallIDs count up from here (a restarted program must not mint the CallIDs of an earlier run). */
  idsFrom?: number;
  /** The DATEV of an earlier world whose program is gone (killed): still running, the same DATEV for this program. */
  datevContinues?: FakeDatev;
  /** The PBX of an earlier world whose program is gone (killed): its calls go on (FakeTapi.continueFrom). */
  tapiContinues?: FakeTapi;
  /**
   * The journal read from "disk" and compacted pauses after this many steps (default 5), not after
   * slices of time: where it pauses must not depend on the machine's load, or a day does not replay.
   */
  sliceSteps?: number;
}

export type World = Awaited<ReturnType<typeof makeWorld>>;

/** The fake DATEVs of the worlds made since the last call (test/support/datevRules.setup.ts checks them after each test). */
const datevsMade: FakeDatev[] = [];
export function takeDatevsMade(): FakeDatev[] {
  return datevsMade.splice(0);
}

export async function makeWorld(o: WorldOptions = {}) {
  const clock = new ManualClock(o.startAt);
  const config: Config = { ...defaultConfig(), ...o.config };
  // the CallIDs DATEV's Dial gets (minted by the adapter) follow a sequence too, apart from the program's own
  let dialRnd = (o.idsFrom ?? 0) + 50_000;
  const datev = new FakeDatev({ running: o.datevRunning ?? true, clock, notifyTimeoutMs: config.datevTimeoutMs, random: () => ++dialRnd, ...(o.datevContinues ? { continues: o.datevContinues } : {}) });
  datevsMade.push(datev);
  const tapi = new FakeTapi();
  for (const l of o.lines ?? [{ name: 'Wildix 201 Anna Schmidt', address: '201' }]) tapi.addLine(l.name, l.address);
  if (o.tapiContinues) tapi.continueFrom(o.tapiContinues);
  const dialogs = new FakeDialogs(clock);
  const contacts = o.contacts ?? new MemoryContacts([MUELLER, KAMMER, TWIN_A, TWIN_B]);
  const log = new MemoryLogger();
  const journalStore = o.journal ?? new MemoryJournal(undefined, undefined, undefined, stepSlicer(o.sliceSteps ?? 5));
  const windows = new FakeJournalWindows(clock);
  const journalPorts = { store: journalStore, notes: windows.notes, list: windows.callList, chooser: windows.chooser };
  let rnd = o.idsFrom ?? 0;
  const app = new App({ datev: datev.port, telephony: tapi.port, dialogs: dialogs.port, contacts, journal: journalPorts, config, log, clock, random: () => ++rnd });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 6; i++) {
      await tapi.settle();
      await app.calls.idle();
      // a notification a hung DATEV holds settles only when the clock moves: do not wait for it
      await Promise.race([app.notifier.idle(), new Promise<void>((r) => setImmediate(r))]);
    }
  };
  /** Move time forward and let everything that follows happen. */
  const advance = async (ms: number): Promise<void> => {
    await clock.advanceAsync(ms);
    await settle();
  };
  if (o.start ?? true) {
    await app.start();
    await settle();
  }
  const methods = () => datev.received.map((n) => `${n.method}:${n.data.CallState}`);
  const openDialogs = () => dialogs.visible();
  return { clock, datev, tapi, dialogs, contacts, log, app, config, settle, advance, methods, openDialogs, journal: journalStore, windows };
}
