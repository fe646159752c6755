/**
 * Calls whose other party changes while they go on: a colleague puts a caller through to the user
 * (attended transfer: the colleague's internal call becomes the caller's), a blind transfer
 * (LINECALLREASON_TRANSFER), a diversion to another number, the caller going on with a colleague; and a
 * LINE_CALLINFO that repeats the caller's number.
 */
import { describe, expect, it } from 'vitest';
import { CallState, Direction } from '../../src/datev/callData';
import { LINECALLORIGIN } from '../../src/telephony/tapiConstants';
import { MemoryJournal } from '../../fakes/journal/memoryJournal';
import { MUELLER, makeWorld, type World } from '../support/world';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { SlowContacts } from '../support/slowContacts';

/** A colleague (extension 17) calls the user; the user answers. Returns the call id. */
async function colleagueCalls(w: World, answer = true): Promise<number> {
  const id = await w.tapi.pbx.incoming('201', '17', 'Kollege Huber', true);
  await w.settle();
  if (answer) {
    await w.tapi.pbx.answer(id);
    await w.settle();
  }
  return id;
}

/** The user dials `number` on the phone and it is answered. */
async function dialledAndAnswered(w: World, number: string): Promise<number> {
  const id = w.tapi.dialFromPhone('201', number);
  await w.settle();
  await w.tapi.pbx.answer(id);
  await w.settle();
  return id;
}

/** TAPI reports another other party: an incoming call's caller id, or an outgoing call's connected id. */
async function otherParty(w: World, id: number, number: string, field: 'caller' | 'connected' = 'caller'): Promise<void> {
  if (field === 'caller') await w.tapi.pbx.callerId(id, number);
  else w.tapi.connectedTo(id, number);
  await w.settle();
}

async function hangUp(w: World, id: number): Promise<void> {
  await w.tapi.pbx.hangup(id);
  await w.settle();
}

function sent(w: World): [string, CallState, string, string][] {
  return w.datev.received.map((n) => [n.method, n.data.CallState as CallState, String(n.data.AdressatenId), String(n.data.CalledNumber)]);
}

describe('a caller put through to the user', () => {
  it('the colleague consults, then puts the client through: a call with the client for DATEV from then on (NewCall, Connected, Finished); the internal call stays in the call list', async () => {
    const w = await makeWorld();
    const id = await colleagueCalls(w);
    await w.advance(45_000); // the consultation
    expect(w.datev.received).toEqual([]);
    const putAt = w.clock.now().getTime();
    await otherParty(w, id, '+49 89 1234567');
    await w.advance(120_000);
    await hangUp(w, id);
    const endAt = w.clock.now().getTime();
    expect(sent(w)).toEqual([
      ['NewCall', CallState.eCSOffered, '4711', '089/1234567'],
      ['CallStateChanged', CallState.eCSConnected, '4711', '089/1234567'],
      ['CallStateChanged', CallState.eCSFinished, '4711', '089/1234567'],
    ]);
    const finished = w.datev.received[2]!.data;
    expect(finished.Direction).toBe(Direction.eDirIncoming);
    expect([(finished.Begin as Date).getTime(), (finished.End as Date).getTime()]).toEqual([putAt, endAt]);
    // one CallID for the client call, not the internal call's
    expect(new Set(w.datev.received.map((n) => n.data.CallID)).size).toBe(1);
    await w.advance(1000);
    const entries = w.journal.entries();
    expect(entries.map((e) => [e.number, e.internal, e.datev])).toEqual([
      ['17', true, 'not-reported'],
      ['089/1234567', false, 'live'],
    ]);
    expect(entries[0]!.endedAt).toBe(new Date(putAt).toISOString());
    expect(w.log.has('info', 'a colleague put the caller through')).toBe(true);
    // the handle went back to TAPI once (the client call's, which has it now)
    expect(w.tapi.requests.filter((r) => r.fn === 'lineDeallocateCall')).toHaveLength(1);
  });

  it('transferredCalls "ignore": the call stays internal, DATEV gets nothing', async () => {
    const w = await makeWorld({ config: { transferredCalls: 'ignore' } });
    const id = await colleagueCalls(w);
    await otherParty(w, id, '+49 89 1234567');
    await hangUp(w, id);
    expect(w.datev.received).toEqual([]);
    expect(w.log.has('info', 'it stays an internal call (transferredCalls "ignore")')).toBe(true);
  });

  it('put through while it still rings: NewCall at once, the pop-up shows the client, answering it connects the client call', async () => {
    const w = await makeWorld();
    const id = await colleagueCalls(w, false);
    expect(w.openDialogs()[0]!.text).toContain('17');
    await otherParty(w, id, '+49 89 1234567');
    await w.advance(100);
    expect(w.methods()).toEqual(['NewCall:1']);
    const [dlg] = w.openDialogs();
    expect(w.openDialogs()).toHaveLength(1);
    expect(dlg!.text).toContain('Müller & Söhne GmbH');
    await w.dialogs.user.click(dlg!.id, 'Annehmen');
    await w.settle();
    expect(w.tapi.requests.filter((r) => r.fn === 'lineAnswer')).toHaveLength(1);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
  });

  it('put through on a call a colleague had answered at another phone of the shared line: the caller is the colleague\'s — DATEV gets the call only when the user joins it', async () => {
    const w = await makeWorld();
    const id = await colleagueCalls(w, false);
    await w.tapi.pbx.answerElsewhere(id);
    await w.settle();
    await otherParty(w, id, '+49 89 1234567');
    await w.advance(1000);
    expect(w.datev.received).toEqual([]);
    await w.tapi.pbx.answer(id); // joined here
    await w.settle();
    await hangUp(w, id);
    expect(sent(w).map(([m, st, a]) => [m, st, a])).toEqual([
      ['NewCall', CallState.eCSOffered, '4711'],
      ['CallStateChanged', CallState.eCSConnected, '4711'],
      ['CallStateChanged', CallState.eCSFinished, '4711'],
    ]);
    const untouched = await makeWorld();
    const other = await colleagueCalls(untouched, false);
    await untouched.tapi.pbx.answerElsewhere(other);
    await untouched.settle();
    await otherParty(untouched, other, '+49 89 1234567');
    await hangUp(untouched, other);
    await untouched.advance(1000);
    expect(untouched.datev.received).toEqual([]);
  });

  it('the user called a colleague on the phone, who put a client through (connected id): an outgoing call with the client for DATEV', async () => {
    const w = await makeWorld();
    const id = await dialledAndAnswered(w, '17');
    await otherParty(w, id, '+49 89 5554433', 'connected');
    await hangUp(w, id);
    expect(sent(w)).toEqual([
      ['NewCall', CallState.eCSOffered, 'I-12', '+49 89 5554433'],
      ['CallStateChanged', CallState.eCSConnected, 'I-12', '+49 89 5554433'],
      ['CallStateChanged', CallState.eCSFinished, 'I-12', '+49 89 5554433'],
    ]);
    expect(w.datev.received[0]!.data.Direction).toBe(Direction.eDirOutgoing);
  });

  it('a blind transfer (LINECALLREASON_TRANSFER) whose origin is the colleague\'s internal leg: the caller\'s call for DATEV; "ignore" keeps it internal', async () => {
    const w = await makeWorld();
    w.tapi.transferredIn('201', '+49 89 1234567');
    await w.settle();
    await w.advance(100);
    expect(sent(w)).toEqual([['NewCall', CallState.eCSOffered, '4711', '089/1234567']]);
    expect(w.log.has('info', 'new eDirIncoming call')).toBe(true);
    expect(w.log.entries.some((l) => l.message === 'new eDirIncoming call' && l.meta?.reason === '0x100')).toBe(true);
    // who transferred it, when TAPI says (RedirectingID): in the log of the party's change
    const id = await w.tapi.pbx.lastCallId();
    await w.tapi.pbx.redirectingId(id, '17');
    await otherParty(w, id, '+49 89 5554433');
    expect(w.log.entries.find((l) => l.message.includes('the other party of the call changed'))?.meta).toMatchObject({ reason: '0x100', redirecting: '17' });

    const ignoring = await makeWorld({ config: { transferredCalls: 'ignore' } });
    ignoring.tapi.transferredIn('201', '+49 89 1234567');
    await ignoring.settle();
    await ignoring.advance(100);
    expect(ignoring.datev.received).toEqual([]);
  });

  it('a call whose origin says INTERNAL without a transfer stays internal, whatever its number', async () => {
    const w = await makeWorld();
    w.tapi.callInProgress('201', '+49 89 1234567', LINECALLORIGIN.INTERNAL);
    await w.settle();
    await w.advance(1000);
    expect(w.datev.received).toEqual([]);
  });

  it('a put-through call the killed program left going on goes on as the client call in the next run (TAPI still says INTERNAL)', async () => {
    const store = new MemoryJournal();
    const first = await makeWorld({ journal: store });
    const id = await colleagueCalls(first);
    await otherParty(first, id, '+49 89 1234567');
    await first.advance(1000);
    const callId = first.datev.received[0]!.data.CallID;
    expect(first.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
    const before = first.datev.received.length;
    const disk = store.reopenAfterKill();
    const second = await makeWorld({ journal: disk, idsFrom: 100_000, tapiContinues: first.tapi, datevContinues: first.datev });
    await second.settle();
    await hangUp(second, id);
    await second.advance(1000);
    expect(second.log.has('info', 'it goes on as the same call')).toBe(true);
    expect(second.datev.received.slice(before).map((n) => [n.method, n.data.CallState, n.data.CallID])).toEqual([['CallStateChanged', CallState.eCSFinished, callId]]);
  });
});

describe('the other party of a client call changes', () => {
  async function clientCall(w: World): Promise<number> {
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    return id;
  }

  it('to another DATEV contact: CallAdressatChanged with that contact and number', async () => {
    const w = await makeWorld();
    const id = await clientCall(w);
    await otherParty(w, id, '+49 89 5554433');
    await hangUp(w, id);
    expect(sent(w)).toEqual([
      ['NewCall', CallState.eCSOffered, '4711', '089/1234567'],
      ['CallStateChanged', CallState.eCSConnected, '4711', '089/1234567'],
      ['CallAdressatChanged', CallState.eCSConnected, 'I-12', '+49 89 5554433'],
      ['CallStateChanged', CallState.eCSFinished, 'I-12', '+49 89 5554433'],
    ]);
  });

  it('to a number without a contact (e.g. diverted to a mobile): the contact stays, the number is the new one', async () => {
    const w = await makeWorld();
    const id = await clientCall(w);
    await otherParty(w, id, '+49 171 9998877');
    await hangUp(w, id);
    expect(sent(w).map(([m, s, a]) => [m, s, a])).toEqual([
      ['NewCall', CallState.eCSOffered, '4711'],
      ['CallStateChanged', CallState.eCSConnected, '4711'],
      ['CallStateChanged', CallState.eCSFinished, '4711'],
    ]);
    expect(w.datev.received[2]!.data.CalledNumber).toBe('+49 171 9998877');
  });

  it('to a colleague (an internal number): DATEV keeps the client', async () => {
    const w = await makeWorld();
    const id = await clientCall(w);
    await otherParty(w, id, '17');
    // the same party again is no news
    await otherParty(w, id, '17');
    await hangUp(w, id);
    expect(sent(w)).toEqual([
      ['NewCall', CallState.eCSOffered, '4711', '089/1234567'],
      ['CallStateChanged', CallState.eCSConnected, '4711', '089/1234567'],
      ['CallStateChanged', CallState.eCSFinished, '4711', '089/1234567'],
    ]);
    expect(w.log.entries.filter((e) => e.message.includes('for DATEV it stays the call with its caller'))).toHaveLength(1);
  });

  it('a LINE_CALLINFO that repeats the caller\'s number changes nothing (DATEV keeps the number as its contact has it)', async () => {
    const w = await makeWorld();
    const id = await clientCall(w);
    await otherParty(w, id, '+49 89 1234567');
    await hangUp(w, id);
    expect(sent(w).map((n) => n[3])).toEqual(['089/1234567', '089/1234567', '089/1234567']);
    expect(w.log.has('info', 'TAPI caller id updated')).toBe(false);
    expect(w.log.has('info', 'the other party of the call')).toBe(false);
  });

  it('the same number written another way (0891234567 for +49 89 1234567) is no change: no new lookup, DATEV keeps its number', async () => {
    const w = await makeWorld();
    const contacts = w.contacts as MemoryContacts;
    const id = await clientCall(w);
    const lookups = contacts.lookups;
    await otherParty(w, id, '0891234567');
    await hangUp(w, id);
    expect(contacts.lookups).toBe(lookups);
    expect(sent(w).map((n) => n[3])).toEqual(['089/1234567', '089/1234567', '089/1234567']);
    expect(w.log.has('info', 'the other party of the call')).toBe(false);
  });

  it('a colleague\'s number goes by while the lookup of the caller is still running: the caller\'s contact still reaches DATEV', async () => {
    const slow = new SlowContacts();
    const w = await makeWorld({ contacts: slow });
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(id);
    await w.settle();
    await otherParty(w, id, '17');
    slow.release([MUELLER]);
    await w.settle();
    await w.advance(500);
    await hangUp(w, id);
    expect(w.datev.received.at(-1)!.data).toMatchObject({ CallState: CallState.eCSFinished, AdressatenId: '4711' });
  });
});

describe('transfers: the other cases', () => {
  it('a blind transfer whose caller id comes late: the late id decides — the caller\'s call for DATEV', async () => {
    const w = await makeWorld();
    const id = w.tapi.transferredIn('201', '');
    await w.settle();
    await otherParty(w, id, '+49 89 1234567');
    await w.advance(400);
    expect(sent(w)).toEqual([['NewCall', CallState.eCSOffered, '4711', '089/1234567']]);
    // a late id that is a colleague's extension: internal (DATEV gets nothing)
    const colleague = await makeWorld();
    const other = await colleague.tapi.pbx.incoming('201', '', undefined, false);
    await colleague.settle();
    await otherParty(colleague, other, '17');
    await colleague.advance(400);
    expect(colleague.datev.received).toEqual([]);
  });

  it('the user dials a colleague, whose own number TAPI then gives in full (connected id): the same colleague, not a caller put through', async () => {
    const w = await makeWorld();
    const id = await dialledAndAnswered(w, '17');
    await otherParty(w, id, '+49 89 12345617', 'connected');
    await hangUp(w, id);
    expect(w.datev.received).toEqual([]);
  });

  it('outside-line prefix: the connected id of a dialled call is the network\'s number (no prefix to take off); the same party', async () => {
    const w = await makeWorld({ config: { outsideLinePrefix: '0' } });
    const id = await dialledAndAnswered(w, '00891234567'); // (the fake connects to the called number as dialled)
    await otherParty(w, id, '0891234567', 'connected');
    await hangUp(w, id);
    expect(sent(w).map((n) => [n[0], n[2], n[3]])).toEqual([
      ['NewCall', '4711', '089/1234567'],
      ['CallStateChanged', '4711', '089/1234567'],
      ['CallStateChanged', '4711', '089/1234567'],
    ]);
    expect(w.log.has('info', 'the other party of the call')).toBe(false);
  });

  it('the user hands a client on (the consultation call to a colleague joined with the client\'s call): not a caller put through to the user', async () => {
    const w = await makeWorld();
    const client = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.answer(client);
    await w.settle();
    const consult = await dialledAndAnswered(w, '17');
    await otherParty(w, consult, '+49 89 1234567', 'connected'); // the consultation call is joined with the client as the transfer completes
    await w.tapi.pbx.hangup(consult);
    await hangUp(w, client);
    expect(new Set(w.datev.received.map((n) => n.data.CallID)).size).toBe(1);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
  });

  it('a colleague puts the caller through while the line is cut off: the call announced again is the caller\'s', async () => {
    const w = await makeWorld();
    const id = await colleagueCalls(w);
    w.tapi.blipLine('201');
    await w.settle();
    w.tapi.callerWhileCut(id, '+49 89 1234567');
    await w.advance(2000); // the line is opened again; TAPI announces the call with its caller now
    expect(w.log.has('info', 'is back; it goes on')).toBe(true);
    await hangUp(w, id);
    expect(sent(w).map(([m, st, a]) => [m, st, a])).toEqual([
      ['NewCall', CallState.eCSOffered, '4711'],
      ['CallStateChanged', CallState.eCSConnected, '4711'],
      ['CallStateChanged', CallState.eCSFinished, '4711'],
    ]);
  });
});
