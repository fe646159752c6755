/** Incoming calls end to end on the fakes: lookup, dialog, answer/reject, missed, several at once. */
import { describe, expect, it } from 'vitest';
import type { Contact, ContactsPort } from '../../src/contacts/port';
import { Direction } from '../../src/datev/callData';
import { LINEERR } from '../../src/telephony/tapiConstants';
import { INCOMING_DIALOG_WAIT_MS } from '../../src/app/calls/telephonyEvents';
import { makeWorld, type World } from '../support/world';
import { MemoryContacts } from '../../fakes/contacts/memoryContacts';
import { SlowContacts } from '../support/slowContacts';

async function ring(w: World, number: string, internal = false): Promise<number> {
  const id = await w.tapi.pbx.incoming('201', number, undefined, internal);
  await w.settle();
  return id;
}


const MUELLER_CONTACT: Contact = { id: '4711', name: 'Müller & Söhne GmbH', dataSource: 'DATEV_Adressaten', number: '089/1234567' };

class BrokenContacts implements ContactsPort {
  async lookup(): Promise<Contact[]> {
    throw new Error('directory offline');
  }
}

describe('incoming call', () => {
  it('finds the contact, shows "Annehmen"/"Ablehnen" with name, number and DATEV id, and reports NewCall', async () => {
    const w = await makeWorld();
    await ring(w, '+49 89 1234567');
    const [dlg] = w.openDialogs();
    expect(dlg!.title).toBe('Wildix CTI – Eingehender Anruf');
    expect(dlg!.text).toContain('Müller & Söhne GmbH');
    expect(dlg!.text).toContain('089/1234567');
    expect(dlg!.text).toContain('DATEV-Nr. 4711');
    expect(dlg!.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen']);
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data).toMatchObject({
      Direction: Direction.eDirIncoming,
      AdressatenId: '4711',
      Adressatenname: 'Müller & Söhne GmbH',
      DataSource: 'DATEV_Adressaten',
      SyncID: '',
    });
    expect(w.datev.received[0]!.data.CallID).not.toBe('');
  });

  it('answers through the dialog: lineAnswer, Connected, dialog closed; hang-up → Finished', async () => {
    const w = await makeWorld();
    const id = await ring(w, '+49 89 1234567');
    await w.dialogs.user.click(w.openDialogs()[0]!.id, 'Annehmen');
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineAnswer')).toHaveLength(1);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
    expect(w.openDialogs()).toEqual([]);
    await w.advance(30_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
  });

  it('takes over a SyncID DATEV writes into the call\'s object during NewCall (datev-cti.md §3.3): GetCallData and the journal\'s record of the call carry it', async () => {
    const w = await makeWorld();
    await w.datev.driver.writeSyncIdDuringNextNotification('DATEV-IN-7');
    const id = await ring(w, '+49 89 1234567');
    const callId = String(w.datev.received[0]!.data.CallID);
    expect(w.log.has('info', "DATEV set the call's SyncID")).toBe(true);
    const during = await w.datev.driver.getCallData(callId);
    expect(during.data.SyncID).toBe('DATEV-IN-7');
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect((await w.datev.driver.getCallData(callId)).data.SyncID).toBe('DATEV-IN-7');
    expect(w.journal.get(callId)?.syncId).toBe('DATEV-IN-7'); // (a NewJournal of it would carry none: journalData)
  });

  it('a call without a DATEV contact carries the configured DataSource (config dataSource), live and as a journal entry', async () => {
    const w = await makeWorld({ config: { dataSource: 'Wildix UC' } });
    const id = await ring(w, '+49 30 9999999');
    expect(w.datev.received[0]!.data).toMatchObject({ DataSource: 'Wildix UC', AdressatenId: '' });
    await w.datev.driver.stop(); // DATEV closed: the missed call waits in the journal
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.datev.driver.start();
    await w.advance(120_000);
    const journal = w.datev.received.filter((n) => n.method === 'NewJournal');
    expect(journal.map((n) => n.data.DataSource)).toEqual(['Wildix UC']);
  });

  it('rejects through the dialog: lineDrop and Absence', async () => {
    const w = await makeWorld();
    await ring(w, '+49 89 1234567');
    await w.dialogs.user.click(w.openDialogs()[0]!.id, 'Ablehnen');
    await w.settle();
    expect(w.tapi.requests.filter((q) => q.fn === 'lineDrop')).toHaveLength(1);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
  });

  it('a caller who hangs up first closes the dialog and ends as Absence', async () => {
    const w = await makeWorld();
    const id = await ring(w, '+49 89 5554433');
    expect(w.openDialogs()).toHaveLength(1);
    await w.advance(15_000);
    await w.tapi.pbx.hangup(id, 'CANCELLED');
    await w.settle();
    expect(w.openDialogs()).toEqual([]);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    const absence = w.datev.received[1]!.data;
    expect(absence.DataSource).toBe('DATEV_Institutionen');
    expect((absence.End as Date).getTime() - (absence.Begin as Date).getTime()).toBe(15_000);
  });

  it('tells the user when answering fails, and keeps the call', async () => {
    const w = await makeWorld();
    await ring(w, '+49 89 1234567');
    await w.tapi.pbx.failNext('lineAnswer', 'async', LINEERR.OPERATIONUNAVAIL!);
    await w.dialogs.user.click(w.openDialogs()[0]!.id, 'Annehmen');
    await w.settle();
    await w.advance(1500); // the call did not end meanwhile: the failure is real
    expect(w.openDialogs().some((d) => d.text.includes('„Annehmen“ ist fehlgeschlagen') && d.text.includes('OPERATIONUNAVAIL'))).toBe(true);
    expect(w.methods()).toEqual(['NewCall:1']);
  });

  it('reports an unknown number without a contact, DataSource "Wildix"', async () => {
    const w = await makeWorld();
    await ring(w, '+49 40 999999');
    expect(w.datev.received[0]!.data).toMatchObject({ DataSource: 'Wildix', AdressatenId: '', Adressatenname: '', CalledNumber: '+49 40 999999' });
    expect(w.openDialogs()[0]!.text).toContain('Kein DATEV-Kontakt gefunden');
  });

  it('handles anonymous callers: no lookup, "Unbekannter Anrufer", reported with an empty number', async () => {
    const contacts = new SlowContacts();
    const w = await makeWorld({ contacts });
    await ring(w, 'anonymous');
    expect(w.openDialogs()[0]!.text).toContain('Unbekannter Anrufer');
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data.CalledNumber).toBe('');
  });

  it('never delays NewCall beyond the lookup budget, and corrects the contact with CallAdressatChanged', async () => {
    const contacts = new SlowContacts();
    const w = await makeWorld({ contacts, config: { lookupBudgetMs: 250 } });
    await ring(w, '+49 89 1234567');
    expect(w.methods()).toEqual([]);
    await w.advance(250);
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data.AdressatenId).toBe('');
    contacts.release([{ id: '4711', name: 'Müller & Söhne GmbH', dataSource: 'DATEV_Adressaten', number: '089/1234567' }]);
    await w.settle();
    expect(w.datev.received.map((n) => n.method)).toEqual(['NewCall', 'CallAdressatChanged']);
    expect(w.datev.received[1]!.data).toMatchObject({ AdressatenId: '4711', CallID: w.datev.received[0]!.data.CallID });
    expect(w.openDialogs()[0]!.text).toContain('Müller & Söhne GmbH');
  });

  it('reports the call without a contact when the directory fails', async () => {
    const w = await makeWorld({ contacts: new BrokenContacts() });
    await ring(w, '+49 89 1234567');
    expect(w.datev.received[0]!.data.DataSource).toBe('Wildix');
    expect(w.log.has('warn', 'contact lookup failed')).toBe(true);
  });

  it('waits for a late caller id (LINE_CALLINFO) within the budget', async () => {
    const w = await makeWorld({ config: { lookupBudgetMs: 400 } });
    const id = await w.tapi.pbx.incoming('201', '');
    await w.settle();
    expect(w.methods()).toEqual([]);
    await w.tapi.pbx.callerId(id, '+49 89 1234567');
    await w.settle();
    await w.advance(400);
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data).toMatchObject({ AdressatenId: '4711', CalledNumber: '089/1234567' });
  });

  it('several contacts with one number, rule "ask": reported without contact, the user picks one → CallAdressatChanged', async () => {
    const w = await makeWorld({ config: { ambiguity: 'ask' } });
    await ring(w, '+49 30 7654321');
    expect(w.datev.received[0]!.data.AdressatenId).toBe('');
    const dlg = w.openDialogs()[0]!;
    expect(dlg.text).toContain('Mehrere DATEV-Kontakte');
    expect(dlg.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen', 'Erika Beispiel (100)', 'Max Beispiel (101)']);
    await w.dialogs.user.click(dlg.id, 'Max Beispiel (101)');
    await w.settle();
    expect(w.datev.received.map((n) => n.method)).toEqual(['NewCall', 'CallAdressatChanged']);
    expect(w.datev.received[1]!.data).toMatchObject({ AdressatenId: '101', Adressatenname: 'Max Beispiel' });
    const again = w.openDialogs()[0]!;
    expect(again.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen']);
    expect(again.text).toContain('Max Beispiel');
  });

  it('several contacts, rule "lastChosen": the contact picked last time is used', async () => {
    const w = await makeWorld({ config: { ambiguity: 'lastChosen' } });
    const first = await ring(w, '+49 30 7654321');
    expect(w.datev.received[0]!.data.AdressatenId).toBe('');
    await w.datev.driver.dial({ CalledNumber: '030 7654321', AdressatenId: '100', Adressatenname: 'Erika Beispiel', DataSource: 'DATEV_Adressaten' });
    await w.tapi.pbx.hangup(first);
    await w.settle();
    await ring(w, '+49 30 7654321');
    const last = w.datev.received.filter((n) => n.method === 'NewCall' && n.data.Direction === Direction.eDirIncoming).at(-1)!;
    expect(last.data.AdressatenId).toBe('100');
  });

  it('several contacts, rule "none": reported without contact, no choice offered', async () => {
    const w = await makeWorld({ config: { ambiguity: 'none' } });
    await ring(w, '+49 30 7654321');
    expect(w.datev.received[0]!.data.AdressatenId).toBe('');
    expect(w.openDialogs()[0]!.buttons).toHaveLength(2);
  });

  it('the pop-up opens once DATEV has answered the NewCall, or after INCOMING_DIALOG_WAIT_MS if DATEV is slow', async () => {
    const w = await makeWorld();
    await ring(w, '+49 89 1234567');
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.openDialogs()).toHaveLength(1); // DATEV answered at once: no waiting

    const slow = await makeWorld();
    await slow.datev.driver.hangNotifications(1000, 1);
    await ring(slow, '+49 89 1234567');
    expect(slow.openDialogs()).toHaveLength(0); // the NewCall is still on its way into DATEV
    await slow.advance(INCOMING_DIALOG_WAIT_MS - 1);
    expect(slow.openDialogs()).toHaveLength(0);
    await slow.advance(1);
    expect(slow.openDialogs()).toHaveLength(1);
    expect(slow.openDialogs()[0]!.text).toContain('Müller & Söhne GmbH');
  });

  it('internal calls: dialog shown, not reported by default, reported with reportCalls "all"', async () => {
    const w = await makeWorld();
    await ring(w, '202', true);
    expect(w.openDialogs()[0]!.title).toContain('Interner Anruf');
    expect(w.methods()).toEqual([]);
    const all = await makeWorld({ config: { reportCalls: 'all' } });
    await ring(all, '202', true);
    expect(all.methods()).toEqual(['NewCall:1']);
    expect(all.datev.received[0]!.data.DataSource).toBe('Wildix');
  });

  it('keeps several calls apart (call waiting): own dialog and CallID each', async () => {
    const w = await makeWorld();
    const a = await ring(w, '+49 89 1234567');
    await w.dialogs.user.click(w.openDialogs()[0]!.id, 'Annehmen');
    await w.settle();
    const b = await ring(w, '+49 89 5554433');
    expect(w.openDialogs()).toHaveLength(1);
    expect(w.openDialogs()[0]!.text).toContain('Steuerberaterkammer');
    await w.tapi.pbx.hangup(b, 'CANCELLED');
    await w.tapi.pbx.hangup(a);
    await w.settle();
    const byCall = new Map<string, string[]>();
    for (const n of w.datev.received) byCall.set(n.data.CallID as string, [...(byCall.get(n.data.CallID as string) ?? []), `${n.method}:${n.data.CallState}`]);
    expect([...byCall.values()]).toEqual([
      ['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3'],
      ['NewCall:1', 'CallStateChanged:0'],
    ]);
  });

  it('reports a call the user dialled on the phone as outgoing with a new CallID and the contact', async () => {
    const w = await makeWorld();
    // a call made outside the program: announced by LINE_APPNEWCALL like an incoming one, but outbound
    const hLine = w.app.lines.hLine!;
    const req = await w.tapi.port.makeCall(hLine, '+49891234567');
    await w.settle();
    expect(req).toBeGreaterThan(0);
    // the program did not create it, so it learns it from its first state event
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data).toMatchObject({ Direction: Direction.eDirOutgoing, AdressatenId: '4711' });
  });
});

describe('contact index updated during a call', () => {
  it('looks up calls in progress again and sends CallAdressatChanged for a new hit', async () => {
    const contacts = new MemoryContacts();
    const w = await makeWorld({ contacts });
    const id = await ring(w, '+49 89 7777777');
    expect(w.datev.received[0]!.data.AdressatenId).toBe('');
    contacts.seed([{ id: '5000', name: 'Spät GmbH', dataSource: 'DATEV_Adressaten', number: '089 7777777' }]);
    await w.settle();
    expect(w.datev.received.map((n) => n.method)).toEqual(['NewCall', 'CallAdressatChanged']);
    expect(w.datev.received[1]!.data.AdressatenId).toBe('5000');
    expect(w.openDialogs()[0]!.text).toContain('Spät GmbH');
    await w.tapi.pbx.hangup(id);
    await w.settle();
    contacts.seed([]);
    await w.settle();
    expect(w.datev.received).toHaveLength(3);
  });
});

describe('keyboard focus', () => {
  it('the incoming pop-up never takes the focus; the outgoing window opened by the user in DATEV may', async () => {
    const w = await makeWorld();
    const id = await w.tapi.pbx.incoming('201', '+49 89 1234567');
    await w.settle();
    await w.tapi.pbx.hangup(id);
    await w.settle();
    await w.datev.driver.dial({ CalledNumber: '089 1234567' });
    await w.settle();
    const shown = w.dialogs.history.filter((e) => e.type === 'shown').map((e) => [e.title, e.takeFocus]);
    expect(shown).toEqual([
      ['Wildix CTI – Eingehender Anruf', false],
      ['Wildix CTI – Ausgehender Anruf', true],
    ]);
  });
});

describe('calls another phone takes (a colleague), and reportUnanswered', () => {
  const list = async (w: World): Promise<string[][]> => {
    await w.app.journal.callList.show();
    return w.windows.listUser.rows()!.map((r) => r.cells);
  };

  it('picked up by a colleague (LINEDISCONNECTMODE_PICKUP): pop-up closed, Absence in DATEV, „anderswo angenommen“ in the call list', async () => {
    const w = await makeWorld();
    const id = await ring(w, '+49 89 1234567');
    expect(w.openDialogs()).toHaveLength(1);
    await w.tapi.pbx.hangup(id, 'PICKUP');
    await w.settle();
    expect(w.openDialogs()).toEqual([]);
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.journal.entries()[0]).toMatchObject({ takenElsewhere: true, datev: 'live' });
    expect((await list(w))[0]![5]).toBe('anderswo angenommen');
    expect(w.log.has('info', 'the call was taken at another phone (picked up')).toBe(true);
  });

  it('answered at another station of a shared line (CONNECTED, LINECONNECTEDMODE_INACTIVE): not a conversation here', async () => {
    const w = await makeWorld();
    const id = await ring(w, '+49 89 1234567');
    await w.tapi.pbx.answerElsewhere(id);
    await w.settle();
    expect(w.openDialogs()).toEqual([]); // nothing to answer here any more
    expect(w.methods()).toEqual(['NewCall:1']); // no Connected: the user did not talk
    await w.advance(120_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    // End the disconnect, as for every Absence (datev-cti.md §3.1)
    const [offered, absence] = w.datev.received;
    expect((absence!.data.End as Date).getTime() - (offered!.data.Begin as Date).getTime()).toBe(120_000);
    const [entry] = w.journal.entries();
    expect(entry).toMatchObject({ takenElsewhere: true });
    expect(entry!.connectedAt).toBeUndefined(); // no duration booked to this user
    expect(w.windows.noteUser.openNotes()).toEqual([]); // no note asked for a call the user did not have
    expect((await list(w))[0]!.slice(4, 6)).toEqual(['0:00', 'anderswo angenommen']);
  });

  it('joined here after a colleague answered it (CONNECTED active): connected from then on', async () => {
    const w = await makeWorld();
    const id = await ring(w, '+49 89 1234567');
    await w.tapi.pbx.answerElsewhere(id);
    await w.settle();
    await w.advance(10_000);
    await w.tapi.pbx.answer(id); // CONNECTED, LINECONNECTEDMODE_ACTIVE
    await w.settle();
    await w.advance(60_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    const [entry] = w.journal.entries();
    expect(entry!.takenElsewhere).toBeUndefined();
    expect((await list(w))[0]!.slice(4, 6)).toEqual(['1:00', 'verbunden']);
  });

  it('answeredAtOtherStation "user" (a TSP that reports the user\'s own other device so): connected as usual', async () => {
    const w = await makeWorld({ config: { answeredAtOtherStation: 'user' } });
    const id = await ring(w, '+49 89 1234567');
    await w.tapi.pbx.answerElsewhere(id);
    await w.settle();
    await w.advance(60_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
    expect(w.journal.entries()[0]!.takenElsewhere).toBeUndefined();
    expect(w.log.has('info', 'counted as the user\'s own device')).toBe(true);
  });

  it('a call first seen answered at another station never rang here: DATEV does not get it', async () => {
    const w = await makeWorld();
    const id = w.tapi.incomingAnsweredElsewhere('201', '+49 89 1234567');
    await w.settle();
    await w.advance(30_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual([]);
    expect(w.openDialogs()).toEqual([]);
    expect(w.journal.entries()[0]).toMatchObject({ datev: 'not-reported', takenElsewhere: true });
  });

  it('reportUnanswered off: a ringing call is not in DATEV; answered, NewCall and Connected together, then Finished', async () => {
    const w = await makeWorld({ config: { reportUnanswered: false } });
    const id = await ring(w, '+49 89 1234567');
    expect(w.methods()).toEqual([]);
    expect(w.openDialogs()).toHaveLength(1); // the pop-up shows the caller (at once: no NewCall to wait for)
    expect(w.openDialogs()[0]!.text).toContain('Müller & Söhne GmbH');
    await w.advance(8_000);
    await w.dialogs.user.click(w.openDialogs()[0]!.id, 'Annehmen');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2']);
    const [offered, connected] = w.datev.received;
    expect((connected!.data.Begin as Date).getTime() - (offered!.data.Begin as Date).getTime()).toBe(8_000); // Offered at the ring start
    expect(offered!.data).toMatchObject({ AdressatenId: '4711', Direction: Direction.eDirIncoming });
    await w.advance(30_000);
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:2', 'CallStateChanged:3']);
  });

  it('reportUnanswered off: missed, taken elsewhere or dialled on the phone and not reached — none goes to DATEV; the call list sends one on request', async () => {
    const w = await makeWorld({ config: { reportUnanswered: false } });
    const missed = await ring(w, '+49 89 1234567');
    await w.advance(20_000);
    await w.tapi.pbx.hangup(missed, 'CANCELLED');
    const taken = await ring(w, '+49 89 5554433');
    await w.tapi.pbx.hangup(taken, 'PICKUP');
    const out = w.tapi.dialFromPhone('201', '+49 30 7654321');
    await w.settle();
    await w.tapi.pbx.hangup(out, 'NOANSWER');
    await w.settle();
    await w.advance(120_000);
    expect(w.methods()).toEqual([]);
    expect(w.journal.entries().map((e) => e.datev)).toEqual(['not-reported', 'not-reported', 'not-reported']);
    const rows = w.windows.listUser.rows() ?? (await list(w), w.windows.listUser.rows()!);
    expect(rows.map((r) => [r.cells[5], r.cells[6], r.canSend])).toEqual([
      ['nicht erreicht', 'nein (laut Einstellung)', true],
      ['anderswo angenommen', 'nein (laut Einstellung)', true],
      ['verpasst', 'nein (laut Einstellung)', true],
    ]);
    // „An DATEV senden“ on the missed call: a journal entry (Absence, ring start → hang-up)
    w.windows.listUser.act('send', rows[2]!.id);
    await w.settle();
    expect(w.methods()).toEqual(['NewJournal:0']);
    expect(w.datev.received[0]!.data.AdressatenId).toBe('4711');
    expect(w.journal.get(rows[2]!.id)?.datev).toBe('journal');
  });

  it('reportUnanswered off does not hold back a Dial from DATEV: DATEV gets it from its first ring, unanswered too', async () => {
    const w = await makeWorld({ config: { reportUnanswered: false } });
    await w.datev.driver.dial({ CalledNumber: '+49 89 1234567', Adressatenname: 'Müller & Söhne GmbH', AdressatenId: '4711', DataSource: 'DATEV_Adressaten', SyncID: 'S-9' });
    await w.settle();
    const id = await w.tapi.pbx.lastCallId();
    await w.tapi.pbx.ringback(id);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    await w.tapi.pbx.hangup(id, 'NOANSWER');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    expect(w.datev.received.map((n) => n.data.SyncID)).toEqual(['S-9', 'S-9']);
  });
});

describe('reportCalls "contacts": only calls with a DATEV contact go to DATEV', () => {
  it('a DATEV contact calls: reported as always; an unknown number: pop-up only, nothing in DATEV, „nein (laut Einstellung)“ in the call list', async () => {
    const w = await makeWorld({ config: { reportCalls: 'contacts' } });
    const known = await ring(w, '+49 89 1234567');
    expect(w.methods()).toEqual(['NewCall:1']);
    await w.tapi.pbx.hangup(known);
    const unknown = await ring(w, '+49 40 9999999');
    await w.advance(INCOMING_DIALOG_WAIT_MS); // (no NewCall to wait for: the pop-up opens at the latest then)
    expect(w.openDialogs()).toHaveLength(1);
    expect(w.openDialogs()[0]!.text).toContain('Kein DATEV-Kontakt gefunden');
    await w.tapi.pbx.answer(unknown);
    await w.settle();
    await w.advance(20_000);
    await w.tapi.pbx.hangup(unknown);
    const anonymous = await ring(w, 'anonymous');
    await w.tapi.pbx.hangup(anonymous);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
    await w.app.journal.callList.show();
    const rows = w.windows.listUser.rows()!;
    expect(rows.map((r) => [r.cells[5], r.cells[6], r.canSend])).toEqual([
      ['verpasst', 'nein (laut Einstellung)', true],
      ['verbunden', 'nein (laut Einstellung)', true],
      ['verpasst', 'ja', false],
    ]);
  });

  it('several DATEV contacts share the number: reported (without contact) so the user can pick one', async () => {
    const w = await makeWorld({ config: { reportCalls: 'contacts', ambiguity: 'ask' } });
    await ring(w, '+49 30 7654321');
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data.AdressatenId).toBe('');
  });

  it('a contact found only after the lookup budget, or by a directory update during the call: the call goes to DATEV from then on, with its ring start', async () => {
    const contacts = new SlowContacts();
    const w = await makeWorld({ contacts, config: { reportCalls: 'contacts', lookupBudgetMs: 250 } });
    await ring(w, '+49 89 1234567');
    await w.advance(250);
    expect(w.methods()).toEqual([]); // the budget is over, no contact yet: nothing for DATEV
    await w.advance(4_000);
    contacts.release([MUELLER_CONTACT]);
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data).toMatchObject({ AdressatenId: '4711', DataSource: 'DATEV_Adressaten' });
    const late = new MemoryContacts();
    const v = await makeWorld({ contacts: late, config: { reportCalls: 'contacts' } });
    const id = await ring(v, '+49 89 7777777');
    expect(v.methods()).toEqual([]);
    late.seed([{ id: '5000', name: 'Spät GmbH', dataSource: 'DATEV_Adressaten', number: '089 7777777' }]);
    await v.settle();
    expect(v.methods()).toEqual(['NewCall:1']);
    await v.tapi.pbx.hangup(id);
    await v.settle();
    expect(v.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']);
  });

  it('a contact of the manual list that is not DATEV\'s (DataSource of its own) does not count; a Dial from DATEV always goes', async () => {
    const w = await makeWorld({ contacts: new MemoryContacts([{ id: 'H1', name: 'Hausmeister', dataSource: 'Wildix', number: '+49 89 3333333' }]), config: { reportCalls: 'contacts' } });
    const id = await ring(w, '+49 89 3333333');
    await w.advance(INCOMING_DIALOG_WAIT_MS);
    expect(w.openDialogs()[0]!.text).toContain('Hausmeister');
    await w.tapi.pbx.hangup(id);
    await w.settle();
    expect(w.methods()).toEqual([]);
    await w.datev.driver.dial({ CalledNumber: '+49 40 9999999', Adressatenname: '', AdressatenId: '', DataSource: '', SyncID: 'S-1' });
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
  });
});

describe('„An DATEV melden“ (the DATEV-Klick) for a call a filter holds back', () => {
  it('reportUnanswered off: the pop-up offers it; a click sends the ringing call to DATEV now; the pop-up stays, without it', async () => {
    const w = await makeWorld({ config: { reportUnanswered: false } });
    const id = await ring(w, '+49 89 1234567');
    const [popup] = w.openDialogs();
    expect(popup!.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen', 'An DATEV melden']);
    expect(w.methods()).toEqual([]);
    await w.advance(3000);
    await w.dialogs.user.click(popup!.id, 'An DATEV melden');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    expect((w.datev.received[0]!.data.Begin as Date).getTime()).toBe(w.clock.now().getTime() - 3000); // Offered at the ring start
    const again = w.openDialogs();
    expect(again).toHaveLength(1);
    expect(again[0]!.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen']);
    expect(w.log.has('info', 'DATEV-Klick')).toBe(true);
    await w.tapi.pbx.hangup(id, 'CANCELLED');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1', 'CallStateChanged:0']); // now DATEV's: its missed call
    expect(w.journal.entries()[0]!.datev).toBe('live');
  });

  it('reportCalls "contacts": an unknown caller the user knows is a client goes to DATEV with a click; a known one needs none', async () => {
    const w = await makeWorld({ config: { reportCalls: 'contacts' } });
    await ring(w, '+49 40 9999999');
    await w.advance(INCOMING_DIALOG_WAIT_MS);
    const [popup] = w.openDialogs();
    await w.dialogs.user.click(popup!.id, 'An DATEV melden');
    await w.settle();
    expect(w.methods()).toEqual(['NewCall:1']);
    expect(w.datev.received[0]!.data).toMatchObject({ AdressatenId: '', DataSource: 'Wildix' });
    await ring(w, '+49 89 1234567');
    expect(w.openDialogs().find((d) => d.text.includes('Müller'))!.buttons.map((b) => b.label)).toEqual(['Annehmen', 'Ablehnen']);
  });
});
