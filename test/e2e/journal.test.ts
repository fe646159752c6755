/**
 * The call journal end to end on the fakes: the note after a call, calls DATEV did not get delivered
 * as NewJournal (also after a restart of the program), exactly once under a DATEV that fails or hangs,
 * and the call list with its actions.
 */
import { describe, expect, it } from 'vitest';
import { CallState, Direction } from '../../src/datev/callData';
import { MemoryJournal } from '../../fakes/journal/memoryJournal';
import { E_FAIL } from '../../fakes/datev/fakeDatev';
import { OPEN_CALL_WRITE_DELAY_MS } from '../../src/journal/service';
import { defaultConfig } from '../../src/config/schema';
import { makeWorld, MUELLER, type World } from '../support/world';


/** A connected call from Müller: rings 2 s, talks `talk` s. Returns the call's CallID. */
async function talkToMueller(w: World, talk = 245): Promise<string> {
  const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
  await w.settle();
  await w.advance(2000);
  await w.tapi.pbx.answer(id);
  await w.settle();
  await w.advance(talk * 1000);
  await w.tapi.pbx.hangup(id);
  await w.settle();
  return w.journal.entries().at(-1)!.callId;
}

const journals = (w: World) => w.datev.received.filter((n) => n.method === 'NewJournal');

/** An incoming call from Müller, answered at once; it goes on. Returns its switch call id. */
async function answeredCall(w: World): Promise<number> {
  const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
  await w.settle();
  await w.tapi.pbx.answer(id);
  await w.settle();
  return id;
}

/**
 * A call missed while DATEV was closed; DATEV comes back, and the journal entry's CallID is being written
 * to a slow disk (held until `slow.release()`) before its NewJournal may go.
 */
async function missedCallWhoseCallIdIsBeingSaved(): Promise<{ w: World; slow: { release(): void } }> {
  const store = new MemoryJournal();
  const w = await makeWorld({ datevRunning: false, journal: store });
  const missed = await w.tapi.pbx.incoming('201', '+49 89 1234567');
  await w.settle();
  await w.tapi.pbx.hangup(missed);
  await w.settle();
  await w.journal.flush();
  const slow = store.disk.holdNextAppend();
  let begun = false;
  void slow.begun.then(() => (begun = true));
  await w.datev.driver.start();
  await w.advance(31_000);
  expect(begun).toBe(true);
  return { w, slow };
}

describe('Gesprächsnotiz: the note after a call', () => {
  it('opens after a connected call with a DATEV contact; „Speichern“ sends NewJournal with a new CallID and the note', async () => {
    const w = await makeWorld();
    const callId = await talkToMueller(w);
    const [note] = w.windows.noteUser.openNotes();
    expect(note?.spec).toMatchObject({ title: 'Wildix CTI – Notiz', heading: 'Müller & Söhne GmbH (089/1234567)', maxLength: 2000, timeoutMs: 180_000 });
    expect(note!.spec.text).toBe('Eingehender Anruf am 26.11.2026 09:30, Dauer 4:05');
    const finished = w.datev.received.find((n) => n.data.CallState === CallState.eCSFinished)!.data;
    w.windows.noteUser.save(note!.id, 'Rückruf wegen der Umsatzsteuer; Unterlagen folgen');
    await w.settle();
    const [j] = journals(w);
    expect(j!.data).toMatchObject({
      SyncID: '',
      Direction: Direction.eDirIncoming,
      CallState: CallState.eCSFinished,
      Adressatenname: MUELLER.name,
      AdressatenId: MUELLER.id,
      DataSource: MUELLER.dataSource,
      CalledNumber: finished.CalledNumber,
      Note: 'Rückruf wegen der Umsatzsteuer; Unterlagen folgen',
    });
    expect(j!.data.CallID).not.toBe(callId);
    expect(j!.data.Begin).toEqual(finished.Begin);
    expect(j!.data.End).toEqual(finished.End);
    expect(w.journal.get(callId)!.notes).toMatchObject([{ state: 'delivered', journalCallId: j!.data.CallID }]);
  });

  it('sends nothing for an empty note, „Verwerfen“ or the timeout', async () => {
    const w = await makeWorld({ config: { journal: { notePrompt: 'contact', notePromptSeconds: 60, deliverMissed: true, retrySeconds: 30, endUnendedLive: true } } });
    await talkToMueller(w);
    w.windows.noteUser.save(w.windows.noteUser.openNotes()[0]!.id, '   \n ');
    await talkToMueller(w);
    w.windows.noteUser.discard(w.windows.noteUser.openNotes()[0]!.id);
    await talkToMueller(w);
    expect(w.windows.noteUser.openNotes()).toHaveLength(1);
    await w.advance(60_000);
    await w.settle();
    expect(w.windows.noteUser.openNotes()).toEqual([]);
    expect(journals(w)).toEqual([]);
    expect(w.log.entries.filter((e) => e.message.startsWith('Notiz nicht gesendet')).map((e) => e.message)).toEqual([
      'Notiz nicht gesendet / note not sent (empty)',
      'Notiz nicht gesendet / note not sent (discard)',
      'Notiz nicht gesendet / note not sent (timeout)',
    ]);
  });

  it('asks only as configured: "contact" not for unknown callers or missed calls, "all" for every external connected call, "off" never', async () => {
    const unknownCaller = async (w: World, connect: boolean): Promise<void> => {
      const id = await w.tapi.pbx.incoming('201', '+49 40 999999');
      await w.settle();
      if (connect) await w.tapi.pbx.answer(id);
      await w.settle();
      await w.advance(30_000);
      await w.tapi.pbx.hangup(id);
      await w.settle();
    };
    const contact = await makeWorld();
    await unknownCaller(contact, true);
    await unknownCaller(contact, false);
    expect(contact.windows.shownNotes).toEqual([]);
    const all = await makeWorld({ config: { journal: { notePrompt: 'all', notePromptSeconds: 180, deliverMissed: true, retrySeconds: 30, endUnendedLive: true } } });
    await unknownCaller(all, true);
    await unknownCaller(all, false);
    expect(all.windows.shownNotes.map((n) => n.heading)).toEqual(['+49 40 999999']);
    const off = await makeWorld({ config: { journal: { notePrompt: 'off', notePromptSeconds: 180, deliverMissed: true, retrySeconds: 30, endUnendedLive: true } } });
    await talkToMueller(off);
    expect(off.windows.shownNotes).toEqual([]);
  });

  it('never has more than 3 note windows open: the oldest unsent one closes', async () => {
    const w = await makeWorld();
    for (let i = 0; i < 4; i++) await talkToMueller(w, 10);
    expect(w.windows.shownNotes).toHaveLength(4);
    expect(w.windows.noteUser.openNotes()).toHaveLength(3);
    expect(w.log.has('info', 'oldest open note window closed unsent')).toBe(true);
  });

  it('a note saved while another call is in progress goes to DATEV only after that call', async () => {
    const w = await makeWorld();
    await talkToMueller(w);
    const other = await w.tapi.pbx.incoming('201', '+49 30 7654321');
    await w.settle();
    await w.tapi.pbx.answer(other);
    await w.settle();
    w.windows.noteUser.save(w.windows.noteUser.openNotes()[0]!.id, 'Notiz');
    await w.settle();
    expect(journals(w)).toEqual([]);
    await w.tapi.pbx.hangup(other);
    await w.settle();
    expect(w.methods().slice(-2)).toEqual(['CallStateChanged:3', 'NewJournal:3']);
  });

  it('a note saved while DATEV still takes the NewCall of a call that already ended on the phone waits for that call\'s end in DATEV (found by the random day)', async () => {
    const w = await makeWorld();
    await talkToMueller(w);
    // another call rings briefly; DATEV takes its NewCall slowly, and the caller hangs up meanwhile:
    // on the phone nothing is going on any more, for DATEV the call is live until it has its Absence
    await w.datev.driver.hangNotifications(2000, 1);
    const other = await w.tapi.pbx.incoming('201', '+49 40 5555555');
    await w.settle();
    await w.clock.advanceAsync(100);
    await w.tapi.pbx.hangup(other, 'NOANSWER');
    await w.settle();
    expect(w.app.calls.activeCalls()).toEqual([]);
    w.windows.noteUser.save(w.windows.noteUser.openNotes()[0]!.id, 'Notiz');
    await w.settle();
    await w.advance(3000);
    expect(w.methods().slice(-3)).toEqual(['NewCall:1', 'CallStateChanged:0', 'NewJournal:3']);
  });
});

describe('calls while DATEV was closed are not lost', () => {
  it('are delivered in time order, each once, when DATEV comes back — also after a restart of the program', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ datevRunning: false, journal: store });
    const missed = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.advance(20_000);
    await first.tapi.pbx.hangup(missed);
    await first.settle();
    await talkToMueller(first, 60);
    first.windows.noteUser.save(first.windows.noteUser.openNotes()[0]!.id, 'Termin vereinbart');
    await first.settle();
    expect(first.app.status().journalWaiting).toBe(3);
    expect(first.log.has('info', 'the call will be delivered to DATEV as a journal entry')).toBe(true);
    await first.app.stop();

    // the program starts again; DATEV runs now
    const second = await makeWorld({ journal: store.reopen() });
    await second.advance(1000);
    const got = journals(second);
    expect(got.map((n) => [n.data.CallState, n.data.Note])).toEqual([
      [CallState.eCSAbsence, ''],
      [CallState.eCSFinished, ''],
      [CallState.eCSFinished, 'Termin vereinbart'],
    ]);
    const times = got.map((n) => (n.data.End as Date).getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(got.map((n) => n.data.CallID)).size).toBe(3);
    expect(got.every((n) => n.data.SyncID === '' && n.data.AdressatenId === MUELLER.id)).toBe(true);
    expect(second.app.status().journalWaiting).toBe(0);
    // nothing more, whatever happens next
    await second.advance(120_000);
    await second.datev.driver.stop();
    await second.advance(10_000);
    await second.datev.driver.start();
    await second.advance(60_000);
    expect(journals(second)).toHaveLength(3);
  });

  it('keeps the calls\' time order when a later call is ready for DATEV while an earlier call\'s end is still unanswered', async () => {
    const w = await makeWorld({ config: { datevTimeoutMs: 1000 } });
    // A (Müller) rings and is missed; DATEV hangs in A's end and is then closed and started again
    const a = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.datev.driver.hangNotifications(20_000, 1);
    await w.tapi.pbx.hangup(a, 'NOANSWER');
    await w.settle();
    await w.advance(1500);
    expect(w.journal.entries()[0]!.datev).toBe('waiting');
    await w.datev.driver.stop();
    await w.advance(10_000);
    // B (unknown) rings and is missed while DATEV is closed: it is for the journal at once
    const b = await w.tapi.pbx.incoming('201', '+49 40 5555555');
    await w.settle();
    await w.advance(1000);
    await w.tapi.pbx.hangup(b, 'NOANSWER');
    await w.settle();
    await w.datev.driver.start();
    await w.advance(120_000);
    const got = journals(w);
    expect(got.map((n) => n.data.AdressatenId)).toEqual([MUELLER.id, '']);
    const ends = got.map((n) => (n.data.End as Date).getTime());
    expect([...ends].sort((x, y) => x - y)).toEqual(ends);
  });

  it('a call that ended on the phone but whose end DATEV does not have yet still holds a NewJournal back (found by the soak under Wine)', async () => {
    const w = await makeWorld();
    // A (Müller) rings and reaches DATEV; DATEV is closed and started again: A's next notification cannot go
    const a = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.datev.driver.stop();
    await w.advance(35_000);
    await w.datev.driver.start();
    await w.advance(35_000);
    await w.tapi.pbx.answer(a);
    await w.settle();
    // B rings; the new DATEV takes its NewCall slowly
    await w.datev.driver.hangNotifications(2000, 1);
    const b = await w.tapi.pbx.incoming('201', '+49 40 5555555');
    await w.settle();
    // A ends: DATEV gets it as a journal entry — but not while B is going on, for DATEV too: B ends on the
    // phone before its NewCall is answered, and DATEV has B's end only after that
    await w.tapi.pbx.hangup(a);
    await w.settle();
    await w.clock.advanceAsync(100);
    await w.tapi.pbx.hangup(b, 'NOANSWER');
    await w.settle();
    await w.advance(3000);
    const got = w.datev.received.map((n) => `${n.method}:${n.data.CallState}:${n.data.AdressatenId}`);
    expect(got).toEqual(['NewCall:1:4711', 'NewCall:1:', 'CallStateChanged:0:', 'NewJournal:3:4711']);
  });

  it('a DATEV that takes a journal entry only after the program gave up on it (15 min): it is not sent again', async () => {
    const w = await makeWorld({ datevRunning: false, config: { datevTimeoutMs: 1000 } });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id, 'NOANSWER');
    await w.settle();
    await w.datev.driver.hangNotifications(15 * 60_000, 1); // DATEV hangs in the NewJournal
    await w.datev.driver.start();
    for (let i = 0; i < 12; i++) await w.advance(60_000); // past the 10 min the program waits
    expect(w.journal.entries()[0]!.datev).toBe('pending');
    for (let i = 0; i < 10; i++) await w.advance(60_000); // DATEV answers after 15 min; then long calm
    expect(journals(w)).toHaveLength(1);
    expect(w.journal.entries()[0]!.datev).toBe('journal');
  });

  it('a DATEV that refuses a journal entry: tried again later, then it waits for „An DATEV senden“ in the call list', async () => {
    const w = await makeWorld({ datevRunning: false });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    for (let i = 0; i < 3; i++) {
      await w.datev.driver.failNextNotification(0x80004005);
      if (i === 0) await w.datev.driver.start();
      await w.advance(30_000);
    }
    const entry = w.journal.entries()[0]!;
    expect(entry).toMatchObject({ datev: 'failed', attempts: 3 });
    expect(w.log.has('error', 'DATEV refused the journal entry 3 times')).toBe(true);
    await w.advance(120_000);
    expect(journals(w)).toEqual([]);
    await w.app.journal.callList.show();
    const row = w.windows.listUser.rows()![0]!;
    expect(row.cells[6]).toBe('nein (abgelehnt)');
    expect(row.canSend).toBe(true);
    w.windows.listUser.act('send', row.id);
    await w.settle();
    expect(journals(w)).toHaveLength(1);
    expect(journals(w)[0]!.data.CallID).toBe(entry.journalCallId);
    expect(w.windows.listUser.rows()![0]!.cells[6]).toBe('ja');
  });

  it('only refusals count towards the three: attempts that found DATEV closed do not (found by the random day)', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.datev.driver.stop(); // closed while the call goes on; the program has not noticed yet
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.advance(31_000);
    // two attempts found DATEV closed; DATEV starts and refuses twice: still not given up
    expect(w.journal.entries()[0]).toMatchObject({ datev: 'pending', attempts: 2 });
    await w.datev.driver.start();
    for (let i = 0; i < 2; i++) {
      await w.datev.driver.failNextNotification(0x80004005);
      await w.advance(31_000);
    }
    expect(w.journal.entries()[0]).toMatchObject({ datev: 'pending', attempts: 4 });
    expect(w.log.has('error', 'DATEV refused the journal entry')).toBe(false);
    // the third refusal makes it wait for the user
    await w.datev.driver.failNextNotification(0x80004005);
    await w.advance(31_000);
    expect(w.journal.entries()[0]).toMatchObject({ datev: 'failed', attempts: 5, refusals: 3 });
    expect(w.log.has('error', 'DATEV refused the journal entry 3 times')).toBe(true);
    expect(journals(w)).toEqual([]);
  });

  it('a refused entry is tried again after journal.retrySeconds (30 s by default), not before', async () => {
    const attempts = (w: World) => w.journal.entries()[0]!.attempts;
    for (const [retrySeconds, expected] of [[undefined, 30], [5, 5]] as const) {
      const journal = { ...defaultConfig().journal, ...(retrySeconds ? { retrySeconds } : {}) };
      const w = await makeWorld({ datevRunning: false, config: { journal } });
      const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
      await w.settle();
      await w.tapi.pbx.hangup(id);
      await w.settle();
      await w.datev.driver.failNextNotification(0x80004005);
      await w.datev.driver.start();
      for (let i = 0; i < 100 && attempts(w) === 0; i++) await w.advance(100); // DATEV is found and refuses
      expect(attempts(w)).toBe(1);
      await w.datev.driver.failNextNotification(0x80004005);
      await w.advance(expected * 1000 - 300);
      expect(attempts(w)).toBe(1);
      await w.advance(400);
      expect(attempts(w), `tried again after ${expected} s`).toBe(2);
    }
  });

  it('a note DATEV refused three times can be sent again with „An DATEV senden“', async () => {
    const w = await makeWorld();
    const callId = await talkToMueller(w);
    await w.datev.driver.failNextNotification(0x80004005);
    w.windows.noteUser.save(w.windows.noteUser.openNotes()[0]!.id, 'Termin vereinbart');
    await w.settle();
    for (let i = 0; i < 2; i++) {
      await w.datev.driver.failNextNotification(0x80004005);
      await w.advance(30_000);
    }
    expect(w.journal.get(callId)!.notes[0]).toMatchObject({ state: 'failed', attempts: 3 });
    expect(journals(w)).toEqual([]);
    await w.app.journal.callList.show();
    const row = w.windows.listUser.rows()!.find((r) => r.id === callId)!;
    expect(row.canSend).toBe(true);
    w.windows.listUser.act('send', row.id);
    await w.settle();
    expect(journals(w).map((n) => n.data.Note)).toEqual(['Termin vereinbart']);
    expect(w.journal.get(callId)!.notes[0]!.state).toBe('delivered');
  });

  it('„An DATEV senden“ right after the last refusal sends at once: the user’s request ends the pause', async () => {
    const w = await makeWorld({ datevRunning: false });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    for (let i = 0; i < 3; i++) {
      await w.datev.driver.failNextNotification(0x80004005);
      if (i === 0) await w.datev.driver.start();
      await w.advance(30_000);
    }
    expect(w.journal.entries()[0]).toMatchObject({ datev: 'failed', attempts: 3 });
    await w.app.journal.callList.show();
    w.windows.listUser.act('send', w.windows.listUser.rows()![0]!.id);
    await w.settle(); // no time passes
    expect(journals(w)).toHaveLength(1);
    expect(w.windows.listUser.rows()![0]!.cells[6]).toBe('ja');
  });

  it('a DATEV that hangs while it takes a journal entry gets it once: the late answer counts, nothing is sent again', async () => {
    const w = await makeWorld({ datevRunning: false, config: { datevTimeoutMs: 1000 } });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.datev.driver.hangNotifications(8000, 1);
    await w.datev.driver.start();
    await w.advance(5000); // DATEV is found, the journal entry goes, DATEV hangs in it
    await w.advance(1000);
    expect(w.app.notifier.stats.timeouts).toBe(1);
    expect(w.journal.entries()[0]!.datev).toBe('sending');
    await w.advance(60_000);
    expect(journals(w)).toHaveLength(1);
    expect(w.journal.entries()[0]!.datev).toBe('journal');
    await w.advance(120_000);
    expect(journals(w)).toHaveLength(1);
  });

  it('a journal entry goes to DATEV only once its CallID is on disk: with the disk failing nothing is sent, and after a restart it goes once', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ datevRunning: false, journal: store });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.tapi.pbx.hangup(id);
    await first.settle();
    await first.journal.flush();
    store.disk.failWrites = true;
    await first.datev.driver.start();
    await first.advance(31_000);
    const sentFirst = journals(first).length;
    await first.app.stop();
    store.disk.failWrites = false;
    const second = await makeWorld({ journal: store.reopen() });
    await second.advance(1000);
    expect(sentFirst + journals(second).length).toBe(1);
    expect(first.log.has('warn', 'cannot be saved')).toBe(true);
  });

  it('a call that starts while a journal entry\'s CallID is being saved holds the NewJournal back until it ends', async () => {
    const { w, slow } = await missedCallWhoseCallIdIsBeingSaved();
    const talking = await w.tapi.pbx.incoming('201', '+49 30 7654321');
    await w.settle();
    await w.tapi.pbx.answer(talking);
    await w.settle();
    slow.release();
    await w.settle();
    await w.advance(1000);
    expect(journals(w)).toHaveLength(0); // DATEV forbids NewJournal during a call
    await w.tapi.pbx.hangup(talking);
    await w.settle();
    await w.advance(1000);
    expect(journals(w)).toHaveLength(1);
    expect(journals(w)[0]!.data.CallState).toBe(CallState.eCSAbsence);
  });

  it('a call that rings and ends while a journal entry\'s CallID is being saved, DATEV still taking its NewCall: the NewJournal waits for that call\'s end in DATEV (found by the random day)', async () => {
    const { w, slow } = await missedCallWhoseCallIdIsBeingSaved();
    // meanwhile a call rings briefly: DATEV takes its NewCall slowly and the caller hangs up before —
    // nothing going on on the phone, but for DATEV the call is live until it has the Absence
    await w.datev.driver.hangNotifications(2000, 1);
    const brief = await w.tapi.pbx.incoming('201', '+49 40 5555555');
    await w.settle();
    await w.clock.advanceAsync(100);
    await w.tapi.pbx.hangup(brief, 'NOANSWER');
    await w.settle();
    expect(w.app.calls.activeCalls()).toEqual([]);
    slow.release();
    await w.settle();
    await w.advance(3000);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0', 'NewJournal:0']);
  });

  it('a change to an entry while its CallID is being saved (a note) survives the NewJournal being put back for a call that began (found by the random day)', async () => {
    const { w, slow } = await missedCallWhoseCallIdIsBeingSaved();
    const [missed] = w.journal.entries();
    const talking = await w.tapi.pbx.incoming('201', '+49 30 7654321');
    await w.settle();
    await w.tapi.pbx.answer(talking);
    await w.settle();
    w.app.journal.journal.addNote(missed!.callId, 'Rückruf erbeten'); // e.g. from the call list
    slow.release();
    await w.settle();
    await w.advance(1000);
    expect(journals(w)).toHaveLength(0); // put back: a call is going on
    expect(w.journal.get(missed!.callId)!.notes.map((n) => n.text)).toEqual(['Rückruf erbeten']);
    await w.tapi.pbx.hangup(talking);
    await w.settle();
    await w.advance(1000);
    expect(journals(w).map((n) => [n.data.CallState, n.data.Note])).toEqual([
      [CallState.eCSAbsence, ''],
      [CallState.eCSAbsence, 'Rückruf erbeten'],
    ]);
  });

  it('an entry whose NewJournal had no answer when the program stopped goes again with the same CallID', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ datevRunning: false, journal: store, config: { datevTimeoutMs: 1000 } });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.tapi.pbx.hangup(id);
    await first.settle();
    await first.datev.driver.hangNotifications(600_000, 1);
    await first.datev.driver.start();
    await first.advance(6000);
    const sending = store.reopen();
    await sending.load(first.clock.now());
    const stuck = sending.entries()[0]!;
    expect(stuck.datev).toBe('sending');
    const second = await makeWorld({ journal: store.reopen() });
    await second.advance(1000);
    expect(journals(second).map((n) => n.data.CallID)).toEqual([stuck.journalCallId]);
  });

  it('a call whose end DATEV had not answered when the program stopped is delivered as a journal entry after the restart', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store, config: { datevTimeoutMs: 1000 } });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.datev.driver.hangNotifications(600_000, 1);
    await first.tapi.pbx.hangup(id);
    await first.settle();
    await first.advance(2000);
    expect(first.journal.entries()[0]!.datev).toBe('waiting');
    const second = await makeWorld({ journal: store.reopen() });
    await second.advance(1000);
    expect(journals(second).map((n) => n.data.CallState)).toEqual([CallState.eCSAbsence]);
    expect(second.journal.entries()[0]!.datev).toBe('journal');
  });

  it('a call still in progress when the program stops: DATEV gets its end at the stop, live; no note window; nothing for the journal after the restart', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    await answeredCall(first);
    await first.advance(60_000);
    const stoppedAt = first.clock.now().getTime();
    await first.app.stop();
    expect(first.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    const end = first.datev.received.at(-1)!;
    expect((end.data.End as Date).getTime()).toBe(stoppedAt);
    expect(first.log.has('warn', 'the program stops during a call')).toBe(true);
    expect(first.windows.shownNotes).toHaveLength(0);
    const second = await makeWorld({ journal: store.reopen() });
    await second.advance(120_000);
    expect(journals(second)).toEqual([]);
    expect(second.journal.entries()[0]!.datev).toBe('live');
  });

  it('a call still in progress when the program stops while DATEV hangs: its end reaches DATEV once, as a journal entry after the restart', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store, config: { datevTimeoutMs: 1000 } });
    await answeredCall(first);
    await first.advance(60_000);
    await first.datev.driver.hangNotifications(600_000, 1);
    let stopped = false;
    void first.app.stop().then(() => (stopped = true));
    await first.advance(2500); // the stop waits at most 2 s for DATEV to take the end, then saves the journal
    expect(first.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
    await first.advance(2000); // … and does not wait for the hung notification's answer (the 9 s stop deadline)
    expect(stopped).toBe(true);
    const saved = store.reopen();
    await saved.load(first.clock.now());
    expect(saved.entries().map((e) => e.datev)).toEqual(['waiting']); // its end unanswered: the next start delivers it
    const second = await makeWorld({ journal: store.reopen() });
    await second.advance(120_000);
    expect(journals(second).map((n) => n.data.CallState)).toEqual([CallState.eCSFinished]);
  });

  it('a call going on when the program is killed, DATEV restarted meanwhile: after the restart DATEV gets it as a journal entry, connected until it was last seen going on', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    const ringAt = first.clock.now().getTime();
    await first.advance(2000);
    await first.tapi.pbx.answer(id);
    await first.settle();
    const connectedAt = first.clock.now().getTime();
    await first.advance(95_000);
    const callId = first.datev.received[0]!.data.CallID;
    // kept as going on (written down again every 30 s), not in the call list
    expect(store.entries().map((e) => [e.callId, e.datev, e.connectedAt, e.endedAt])).toEqual([[callId, 'open', new Date(connectedAt).toISOString(), new Date(ringAt + 90_000).toISOString()]]);
    await first.app.journal.callList.show();
    expect(first.windows.listUser.spec()!.rows).toEqual([]);
    expect(first.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
    // killed: DATEV keeps the call open under its CallID; the next run delivers it from the journal
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000 });
    await second.advance(1000);
    const got = journals(second);
    expect(got).toHaveLength(1);
    const d = got[0]!.data;
    expect(d.CallID).not.toBe(callId);
    expect([d.SyncID, d.Direction, d.CallState, d.AdressatenId, d.CalledNumber]).toEqual(['', Direction.eDirIncoming, CallState.eCSFinished, '4711', '089/1234567']);
    expect([(d.Begin as Date).getTime(), (d.End as Date).getTime()]).toEqual([connectedAt, ringAt + 90_000]);
    expect(second.journal.entries().map((e) => [e.callId, e.datev])).toEqual([[callId, 'journal']]);
    expect(second.log.has('warn', 'the call was going on when the program last ended without stopping properly')).toBe(true);
    expect(second.windows.shownNotes).toHaveLength(0);
  });

  it('a call going on when the program is killed, the same DATEV still running: the next run ends it there, live under its CallID (Finished, connect → last seen), no journal entry', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const r = await first.datev.driver.dial({ CalledNumber: '089 1234567', SyncID: 'S-7' });
    await first.settle();
    const id = await first.tapi.pbx.lastCallId();
    await first.tapi.pbx.ringback(id);
    await first.settle();
    await first.advance(3000);
    await first.tapi.pbx.answer(id);
    await first.settle();
    const connectedAt = first.clock.now().getTime();
    await first.advance(40_000);
    const lastSeen = store.entries()[0]!.endedAt;
    expect(store.entries()[0]!.openIn).toEqual({ datevId: first.datev.datevId, reported: 'connected' });
    // killed; DATEV goes on running and has the call open under its CallID
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000, datevContinues: first.datev });
    await second.advance(1000);
    const after = second.datev.received.slice(first.datev.received.length);
    expect(after.map((n) => [n.method, n.data.CallID, n.data.SyncID, n.data.CallState])).toEqual([['CallStateChanged', r.callId, 'S-7', CallState.eCSFinished]]);
    expect([(after[0]!.data.Begin as Date).getTime(), (after[0]!.data.End as Date).toISOString()]).toEqual([connectedAt, lastSeen]);
    expect(second.journal.entries().map((e) => [e.callId, e.datev])).toEqual([[r.callId, 'live']]);
    await second.advance(120_000);
    expect(journals(second)).toEqual([]);
    expect(second.log.has('info', 'DATEV has the end of the call, live')).toBe(true);
  });

  /** A second run of the program while the call of the first (killed) one is still going on at the PBX (the same dwCallID). */
  async function restartDuringTheCall(first: World, store: MemoryJournal, o: { datevRunsOn: boolean; answeredBy?: 'user' | 'colleague' }): Promise<{ second: World; talking: number }> {
    await first.advance(1000); // (what the program keeps of a call going on is written a moment after each change)
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000, start: false, ...(o.datevRunsOn ? { datevContinues: first.datev } : {}) });
    // the PBX still has the call (the same switch call id): TAPI announces it as the program opens the line
    const [line] = await second.tapi.port.initialize('test');
    await second.tapi.port.openLine(line!.permanentId);
    const talking = await second.tapi.pbx.incoming('201', '+49 89 1234567');
    if (o.answeredBy === 'colleague') await second.tapi.pbx.answerElsewhere(talking);
    else await second.tapi.pbx.answer(talking);
    second.tapi.blipLine('201');
    await second.app.start();
    await second.settle();
    return { second, talking };
  }

  it('a call still going on when the killed program is started again, DATEV running on: it goes on as the same call in DATEV (its CallID, its connect time), one end when it ends', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const id = await answeredCall(first);
    const connectedAt = first.clock.now().getTime();
    const callId = first.datev.received[0]!.data.CallID;
    await first.advance(1000);
    expect(store.entries()[0]!.tapiCallId).toBe(id);
    const { second, talking } = await restartDuringTheCall(first, store, { datevRunsOn: true });
    expect(talking).toBe(id);
    await second.advance(60_000);
    expect(second.datev.received.slice(first.datev.received.length)).toEqual([]); // nothing yet: DATEV has the call as it is
    await second.tapi.pbx.hangup(talking);
    await second.settle();
    const endedAt = second.clock.now().getTime();
    await second.advance(60_000);
    const after = second.datev.received.slice(first.datev.received.length);
    expect(after.map((n) => [n.method, n.data.CallID, n.data.CallState])).toEqual([['CallStateChanged', callId, CallState.eCSFinished]]);
    expect([(after[0]!.data.Begin as Date).getTime(), (after[0]!.data.End as Date).getTime()]).toEqual([connectedAt, endedAt]);
    expect(second.journal.entries().map((e) => [e.callId, e.datev])).toEqual([[callId, 'live']]);
    expect(second.log.has('info', 'it goes on as the same call')).toBe(true);
  });

  it('a call that rang here before the kill and a colleague took meanwhile (the next run first sees it answered at another station): still a missed call for DATEV', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    await first.datev.driver.stop(); // DATEV closed: the ringing call is not in DATEV, the journal keeps it
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    const ringAt = first.clock.now().getTime();
    await first.advance(1000); // (what is kept of a call going on is written a moment after each change)
    const disk = store.reopenAfterKill(); // killed here
    // while the program is down a colleague answers it on the shared line; the next run finds it so
    await first.tapi.pbx.answerElsewhere(id);
    const second = await makeWorld({ journal: disk, idsFrom: 100_000, tapiContinues: first.tapi });
    await second.settle();
    await second.advance(30_000);
    await second.tapi.pbx.hangup(id);
    await second.settle();
    const endedAt = second.clock.now().getTime();
    await second.advance(60_000);
    // the DATEV running now gets it from its ring (live: it never had it), a missed call until the disconnect
    const got = second.datev.received;
    expect(got.map((n) => [n.method, n.data.CallState, n.data.AdressatenId])).toEqual([
      ['NewCall', CallState.eCSOffered, '4711'],
      ['CallStateChanged', CallState.eCSAbsence, '4711'],
    ]);
    expect([(got[1]!.data.Begin as Date).getTime(), (got[1]!.data.End as Date).getTime()]).toEqual([ringAt, endedAt]);
    expect(second.journal.entries()[0]).toMatchObject({ datev: 'live', takenElsewhere: true });
    expect(second.log.has('info', 'it goes on as the same call')).toBe(true);
  });

  it('a call still going on when the killed program is started again, DATEV restarted meanwhile: the new DATEV gets the whole call once, as a journal entry', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.advance(2000);
    await first.tapi.pbx.answer(id);
    await first.settle();
    const connectedAt = first.clock.now().getTime();
    const { second, talking } = await restartDuringTheCall(first, store, { datevRunsOn: false });
    await second.advance(60_000);
    expect(second.datev.received).toEqual([]); // no NewCall for a call this DATEV never had, under the CallID another one has
    await second.tapi.pbx.hangup(talking);
    await second.settle();
    const endedAt = second.clock.now().getTime();
    await second.advance(60_000);
    const got = second.datev.received;
    expect(got.map((n) => [n.method, n.data.CallState])).toEqual([['NewJournal', CallState.eCSFinished]]);
    expect([(got[0]!.data.Begin as Date).getTime(), (got[0]!.data.End as Date).getTime()]).toEqual([connectedAt, endedAt]);
  });

  it('a call whose connect DATEV refused (the program gave up telling it live), still going on after a kill: no second NewCall; a journal entry at its end (found by the random day)', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.datev.driver.failNextNotification(E_FAIL);
    await first.tapi.pbx.answer(id);
    await first.settle();
    expect(first.methods()).toEqual(['NewCall:1']);
    const { second, talking } = await restartDuringTheCall(first, store, { datevRunsOn: true });
    await second.tapi.pbx.hangup(talking);
    await second.settle();
    await second.advance(60_000);
    expect(second.datev.received.slice(first.datev.received.length).map((n) => [n.method, n.data.CallState])).toEqual([['NewJournal', CallState.eCSFinished]]);
  });

  it('a call DATEV did not have when the program was killed (DATEV was closed), still going on at the restart: DATEV gets it live as one call, from its ring', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store, datevRunning: false });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    const ringAt = first.clock.now().getTime();
    await first.advance(2000);
    await first.tapi.pbx.answer(id);
    await first.settle();
    const connectedAt = first.clock.now().getTime();
    const { second, talking } = await restartDuringTheCall(first, store, { datevRunsOn: false });
    await second.tapi.pbx.hangup(talking);
    await second.settle();
    await second.advance(1000);
    const got = second.datev.received;
    expect(got.map((n) => [n.method, n.data.CallState, (n.data.Begin as Date).getTime()])).toEqual([
      ['NewCall', CallState.eCSOffered, ringAt],
      ['CallStateChanged', CallState.eCSConnected, connectedAt],
      ['CallStateChanged', CallState.eCSFinished, connectedAt],
    ]);
    expect(journals(second)).toEqual([]);
  });

  it('a call whose connect DATEV did not have yet when the program was killed (DATEV hung in it): the next run sends Connected, then Finished, to the same DATEV', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store, config: { datevTimeoutMs: 1000 } });
    const id = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.datev.driver.hangNotifications(600_000, 1);
    await first.tapi.pbx.answer(id);
    await first.settle();
    await first.advance(31_000);
    expect(first.methods()).toEqual(['NewCall:1']);
    expect(store.entries()[0]!.openIn?.reported).toBe('offered');
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000, datevContinues: first.datev });
    await second.advance(1000);
    expect(second.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(new Set(second.datev.received.map((n) => n.data.CallID)).size).toBe(1);
    expect(journals(second)).toEqual([]);
  });

  it('the same DATEV hanging longer than the program waits when the next run ends such a call: its late answer counts, no journal entry follows', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store, config: { datevTimeoutMs: 1000 } });
    await answeredCall(first);
    await first.advance(1000);
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000, datevContinues: first.datev, config: { datevTimeoutMs: 1000 }, start: false });
    await second.datev.driver.hangNotifications(12 * 60_000, 1); // in the end's CallStateChanged
    await second.app.start();
    await second.settle();
    for (let i = 0; i < 11; i++) await second.advance(60_000);
    expect(second.journal.entries()[0]!.datev).toBe('pending'); // given up on after 10 minutes; DATEV hangs, so no NewJournal yet
    for (let i = 0; i < 3; i++) await second.advance(60_000);
    const after = second.datev.received.slice(first.datev.received.length);
    expect(after.map((n) => [n.method, n.data.CallState])).toEqual([['CallStateChanged', CallState.eCSFinished]]);
    expect(second.journal.entries()[0]!.datev).toBe('live');
    expect(second.log.has('info', 'DATEV took the end of the call after all')).toBe(true);
  });

  it('with journal.endUnendedLive off, such a call goes as a journal entry even to the same DATEV', async () => {
    const store = new MemoryJournal();
    const journal = { notePrompt: 'contact' as const, notePromptSeconds: 180, deliverMissed: true, retrySeconds: 30, endUnendedLive: false };
    const first = await makeWorld({ journal: store, config: { journal } });
    await answeredCall(first);
    await first.advance(1000); // (what the program keeps of a call going on is written a moment after each change)
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000, datevContinues: first.datev, config: { journal } });
    await second.advance(1000);
    expect(second.datev.received.slice(first.datev.received.length).map((n) => n.method)).toEqual(['NewJournal']);
  });

  it('a call a DATEV had open when the program was killed, that DATEV closed at the restart: a journal entry once DATEV runs again', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    await answeredCall(first);
    await first.datev.driver.stop();
    await first.advance(1000); // (what the program keeps of a call going on is written a moment after each change)
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000, datevContinues: first.datev });
    await second.advance(1000);
    expect(second.journal.entries()[0]!.datev).toBe('unended');
    expect(second.app.status().journalWaiting).toBe(1); // the tray and --diagnose count it
    await second.datev.driver.start();
    await second.advance(31_000);
    expect(second.datev.received.slice(first.datev.received.length).map((n) => [n.method, n.data.CallState])).toEqual([['NewJournal', CallState.eCSFinished]]);
    expect(second.journal.entries()[0]!.datev).toBe('journal');
  });

  it('what is kept of a call going on is written a moment after its changes, not while DATEV takes the NewCall — the changes of that moment in one write', async () => {
    const store = new MemoryJournal();
    const w = await makeWorld({ journal: store });
    await store.flush();
    const writes = store.disk.writes;
    await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    await store.flush();
    expect(store.disk.writes).toBe(writes);
    await w.advance(OPEN_CALL_WRITE_DELAY_MS);
    await store.flush();
    expect(store.disk.writes).toBe(writes + 1); // its ring and DATEV's taking its NewCall, together
    expect(store.entries()[0]).toMatchObject({ datev: 'open', openIn: { datevId: w.datev.datevId, reported: 'offered' } });
  });

  it('a call ringing when the program is killed reaches DATEV after the restart as a missed call (Absence) until it was last seen ringing', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    await first.tapi.pbx.incoming('201', '+49 40 999999');
    await first.settle();
    const ringAt = first.clock.now().getTime();
    await first.advance(20_000);
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000 });
    await second.advance(1000);
    const got = journals(second);
    // last seen ringing: when that was written, a moment after it began
    expect(got.map((n) => [n.data.CallState, (n.data.Begin as Date).getTime(), (n.data.End as Date).getTime()])).toEqual([[CallState.eCSAbsence, ringAt, ringAt + OPEN_CALL_WRITE_DELAY_MS]]);
  });

  it('a call that ends normally leaves nothing kept as going on, and nothing comes after the restart, also when it lasted minutes', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const callId = await talkToMueller(first, 200);
    await first.advance(60_000);
    expect(store.entries().map((e) => [e.callId, e.datev])).toEqual([[callId, 'live']]);
    const second = await makeWorld({ journal: store.reopenAfterKill(), idsFrom: 100_000 });
    await second.advance(120_000);
    expect(journals(second)).toEqual([]);
    expect(second.log.has('warn', 'the call was going on')).toBe(false);
  });

  it('a Dial DATEV makes while the program starts is kept with the journal read from disk, not instead of it', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ datevRunning: false, journal: store });
    for (const number of ['+49 89 1234567', '+49 30 7654321', '+49 40 1111111']) {
      const id = await first.tapi.pbx.incoming('201', number);
      await first.settle();
      await first.tapi.pbx.hangup(id);
      await first.settle();
    }
    await first.app.stop();
    const second = await makeWorld({ journal: store.reopen(), start: false, config: { dialogs: { incoming: true, outgoing: false } } });
    const register = second.datev.port.register.bind(second.datev.port);
    second.datev.port.register = async (h) => {
      await register(h);
      // DATEV dialled before the program was ready: the request is handed over as registration ends
      void h.dial({ CalledNumber: '089 1234567' }, { callId: 'EARLY-1', decided: true });
    };
    await second.app.start();
    await second.advance(1000);
    const reopened = store.reopen();
    await reopened.load(second.clock.now());
    expect(reopened.entries().map((e) => e.callId)).toContain('EARLY-1');
    expect(reopened.entries()).toHaveLength(4);
  });

  it('calls going on when the program starts: the journal waits for them (no NewJournal while the user talks), then uses the line\'s extension', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ datevRunning: false, journal: store });
    const missed = await first.tapi.pbx.incoming('201', '+49 89 1234567');
    await first.settle();
    await first.tapi.pbx.hangup(missed);
    await first.settle();
    await first.app.stop();
    const second = await makeWorld({ journal: store.reopen(), start: false });
    // a call already going on when the program opens the line (TAPI announces it at the open)
    const [line] = await second.tapi.port.initialize('test');
    await second.tapi.port.openLine(line!.permanentId);
    const talking = await second.tapi.pbx.incoming('201', '+49 30 7654321');
    await second.tapi.pbx.answer(talking);
    second.tapi.blipLine('201');
    await second.app.start();
    await second.advance(1000);
    expect(second.datev.received.filter((n) => n.method === 'NewJournal')).toHaveLength(0);
    await second.tapi.pbx.hangup(talking);
    await second.settle();
    await second.advance(1000);
    const got = journals(second);
    expect(got).toHaveLength(1);
    expect(got[0]!.data.CallID).not.toMatch(/^CTI-/);
  });

  it('with journal.deliverMissed off, a missed call waits for „An DATEV senden“', async () => {
    const w = await makeWorld({ datevRunning: false, config: { journal: { notePrompt: 'contact', notePromptSeconds: 180, deliverMissed: false, retrySeconds: 30, endUnendedLive: true } } });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.datev.driver.start();
    await w.advance(60_000);
    expect(journals(w)).toEqual([]);
    expect(w.log.has('info', 'journal.deliverMissed is off')).toBe(true);
    await w.app.journal.callList.show();
    const row = w.windows.listUser.rows()![0]!;
    expect(row.cells[6]).toBe('nein, folgt');
    w.windows.listUser.act('send', row.id);
    await w.settle();
    expect(journals(w)).toHaveLength(1);
  });
});

describe('Anrufliste: the call list', () => {
  it('lists the calls newest first with time, direction, number, contact, duration, result and whether DATEV has them', async () => {
    const w = await makeWorld();
    await talkToMueller(w, 65);
    const missed = await w.tapi.pbx.incoming('201', '+49 40 999999');
    await w.settle();
    await w.tapi.pbx.hangup(missed);
    await w.settle();
    const r = await w.datev.driver.dial({ CalledNumber: '030 7654321', SyncID: 'S-1' });
    await w.settle();
    await w.tapi.pbx.busy(await w.tapi.pbx.lastCallId());
    await w.settle();
    await w.app.journal.callList.show();
    const spec = w.windows.listUser.spec()!;
    expect(spec.title).toBe('Wildix CTI – Anrufliste');
    expect(spec.columns).toEqual(['Zeit', 'Richtung', 'Nummer', 'Kontakt', 'Dauer', 'Ergebnis', 'DATEV']);
    expect(spec.rows.map((x) => x.cells)).toEqual([
      ['26.11.2026 09:31', 'ausgehend', '030 7654321', '–', '0:00', 'nicht erreicht', 'ja'],
      ['26.11.2026 09:31', 'eingehend', '+49 40 999999', '–', '0:00', 'verpasst', 'ja'],
      ['26.11.2026 09:30', 'eingehend', '089/1234567', 'Müller & Söhne GmbH (4711)', '1:05', 'verbunden', 'ja'],
    ]);
    expect(spec.rows[0]!.id).toBe(r.callId);
    expect(spec.rows.map((x) => [x.canNote, x.canSend, x.canAssign])).toEqual([
      [true, false, true],
      [true, false, true],
      [true, false, false],
    ]);
  });

  it('„Notiz an DATEV senden“ opens the note for that call; the list follows what happens', async () => {
    const w = await makeWorld({ config: { journal: { notePrompt: 'off', notePromptSeconds: 180, deliverMissed: true, retrySeconds: 30, endUnendedLive: true } } });
    const callId = await talkToMueller(w, 30);
    await w.app.journal.callList.show();
    w.windows.listUser.act('note', callId);
    await w.settle();
    const [note] = w.windows.noteUser.openNotes();
    expect(note!.spec.heading).toBe('Müller & Söhne GmbH (089/1234567)');
    w.windows.noteUser.save(note!.id, 'Nachtrag');
    await w.settle();
    expect(journals(w).map((n) => n.data.Note)).toEqual(['Nachtrag']);
    const another = await w.tapi.pbx.incoming('201', '+49 30 7654321');
    await w.settle();
    await w.tapi.pbx.hangup(another);
    await w.settle();
    expect(w.windows.listUser.rows()).toHaveLength(2);
    w.windows.listUser.close();
    await talkToMueller(w, 5);
    expect(w.windows.listUser.rows()).toBeUndefined();
  });

  it('„Kontakt zuordnen…“: the contacts whose names match what the user types; the choice is remembered for the number and sent with the journal entry', async () => {
    const w = await makeWorld({ datevRunning: false });
    const id = await w.tapi.pbx.incoming('201', '+49 30 5551234');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.app.journal.callList.show();
    const row = w.windows.listUser.rows()![0]!;
    expect(row.canAssign).toBe(true);
    w.windows.listUser.act('assign', row.id);
    await w.settle();
    expect(w.windows.listUser.chooser()).toMatchObject({ title: 'Wildix CTI – Kontakt zuordnen', heading: '+49 30 5551234' });
    expect(await w.windows.listUser.search('beispiel')).toEqual([
      { id: 'DATEV_Adressaten:100', label: 'Erika Beispiel (100)' },
      { id: 'DATEV_Adressaten:101', label: 'Max Beispiel (101)' },
    ]);
    expect(await w.windows.listUser.search('max bei')).toEqual([{ id: 'DATEV_Adressaten:101', label: 'Max Beispiel (101)' }]);
    w.windows.listUser.pick('DATEV_Adressaten:101');
    await w.settle();
    expect(w.windows.listUser.rows()![0]!.cells[3]).toBe('Max Beispiel (101)');
    await w.datev.driver.start();
    await w.advance(5000);
    expect(journals(w)[0]!.data).toMatchObject({ AdressatenId: '101', Adressatenname: 'Max Beispiel', DataSource: 'DATEV_Adressaten', CalledNumber: '+49 30 5551234' });
    // remembered: the next call from that number has the contact at once
    const again = await w.tapi.pbx.incoming('201', '+49 30 5551234');
    await w.settle();
    await w.advance(1000);
    expect(w.datev.received.at(-1)!.data).toMatchObject({ AdressatenId: '101', Adressatenname: 'Max Beispiel' });
    await w.tapi.pbx.hangup(again);
  });
});

