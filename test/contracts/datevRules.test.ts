/** The DATEV rule check (contracts/datevRules.ts) itself: each rule catches what breaks it. */
import { describe, expect, it } from 'vitest';
import { datevRuleViolations } from '../../contracts/datevRules';
import type { RecordedNotification } from '../../contracts/harness';
import { CallState, Direction, type RawCallData } from '../../src/datev/callData';
import type { NotificationMethod } from '../../src/datev/port';

const t = (s: number): Date => new Date(Date.UTC(2026, 11, 4, 9, 0, s));

function n(method: NotificationMethod, CallState: CallState, begin: number, end: number, more: RawCallData = {}): RecordedNotification {
  return {
    method,
    data: {
      CallID: 'A',
      SyncID: '',
      Direction: Direction.eDirIncoming,
      Begin: t(begin),
      End: t(end),
      CallState,
      Adressatenname: 'Müller & Söhne GmbH',
      AdressatenId: '4711',
      DataSource: 'DATEV_Adressaten',
      CalledNumber: '089/1234567',
      Note: '',
      ...more,
    },
  };
}

const offered = (more: RawCallData = {}) => n('NewCall', CallState.eCSOffered, 0, 0, more);
const connected = (more: RawCallData = {}) => n('CallStateChanged', CallState.eCSConnected, 5, 5, more);
const finished = (more: RawCallData = {}) => n('CallStateChanged', CallState.eCSFinished, 5, 60, more);
const absence = (more: RawCallData = {}) => n('CallStateChanged', CallState.eCSAbsence, 0, 20, more);
const journal = (more: RawCallData = {}) => n('NewJournal', CallState.eCSFinished, 5, 60, { CallID: 'J', ...more });

describe('DATEV rule check', () => {
  it('an incoming NewCall with a SyncID breaks the rules unless DATEV itself wrote it into the object during that NewCall', () => {
    expect(datevRuleViolations([offered({ SyncID: 'X' }), absence({ SyncID: 'X' })])).toEqual([
      '#0 NewCall(eCSOffered) CallID "A": NewCall of an incoming call with a SyncID (only DATEV makes SyncIDs, in Dial)',
    ]);
    expect(datevRuleViolations([{ ...offered({ SyncID: 'X' }), wroteSyncId: 'X' }, absence({ SyncID: 'X' })])).toEqual([]);
  });

  it('accepts the documented sequences: answered, missed, a contact change, journal entries and a resend', () => {
    expect(
      datevRuleViolations([
        offered(),
        n('CallAdressatChanged', CallState.eCSOffered, 0, 0, { AdressatenId: '', DataSource: 'Wildix', Adressatenname: '' }),
        connected(),
        n('CallAdressatChanged', CallState.eCSConnected, 5, 5),
        finished(),
        offered({ CallID: 'B', SyncID: 'S-1', Direction: Direction.eDirOutgoing }),
        absence({ CallID: 'B', SyncID: 'S-1', Direction: Direction.eDirOutgoing }),
        journal(),
        journal({ Note: 'again' }),
        n('NewJournal', CallState.eCSAbsence, 0, 20, { CallID: 'K' }),
      ]),
    ).toEqual([]);
  });

  it('catches a wrong order: state before NewCall, Finished without Connected, anything after the end, a second NewCall', () => {
    expect(datevRuleViolations([connected()])).toEqual([expect.stringContaining('before the call')]);
    expect(datevRuleViolations([offered(), finished()])).toEqual([expect.stringContaining('Finished when the call is offered')]);
    expect(datevRuleViolations([offered(), connected(), absence()])).toEqual([expect.stringContaining('Absence when the call is connected')]);
    expect(datevRuleViolations([offered(), absence(), n('CallAdressatChanged', CallState.eCSAbsence, 0, 20)])).toEqual([expect.stringContaining('after the call ended')]);
    expect(datevRuleViolations([offered(), offered()])).toEqual([expect.stringContaining('second NewCall')]);
    expect(datevRuleViolations([n('NewCall', CallState.eCSConnected, 5, 5)])).toEqual([expect.stringContaining('not Offered')]);
    expect(datevRuleViolations([offered(), n('CallStateChanged', CallState.eCSOffered, 0, 0)])).toEqual([expect.stringContaining('to Offered')]);
  });

  it('catches changed identity and times: SyncID, Direction, Begin after End, End backwards, Begin of Connected/Finished/Absence', () => {
    const out = { Direction: Direction.eDirOutgoing };
    expect(datevRuleViolations([offered({ SyncID: 'S-1', ...out }), connected({ SyncID: '', ...out })])).toEqual([expect.stringContaining('SyncID changed')]);
    expect(datevRuleViolations([offered({ SyncID: 'S-1' })])).toEqual([expect.stringContaining('incoming call with a SyncID')]);
    expect(datevRuleViolations([offered(), connected({ Direction: Direction.eDirOutgoing })])).toEqual([expect.stringContaining('Direction changed')]);
    expect(datevRuleViolations([offered({ Begin: t(3), End: t(2) })])).toEqual([expect.stringContaining('not at or before End')]);
    expect(datevRuleViolations([offered(), n('CallStateChanged', CallState.eCSConnected, 5, 6)])).toEqual([expect.stringContaining('Begin ≠ End')]);
    expect(datevRuleViolations([offered(), connected(), n('CallStateChanged', CallState.eCSFinished, 4, 60)])).toEqual([expect.stringContaining('connect time')]);
    expect(datevRuleViolations([offered(), n('CallStateChanged', CallState.eCSAbsence, 1, 20)])).toEqual([expect.stringContaining('ring start')]);
    expect(datevRuleViolations([offered({ End: t(9), Begin: t(0) }), n('CallStateChanged', CallState.eCSAbsence, 0, 8)])).toEqual([expect.stringContaining('backwards')]);
  });

  it('catches journal faults: a live CallID, a SyncID, a live state, a different call under one CallID, one sent inside a live call', () => {
    expect(datevRuleViolations([offered(), absence(), journal({ CallID: 'A' })])).toEqual([expect.stringContaining('reuses the CallID')]);
    expect(datevRuleViolations([journal(), offered({ CallID: 'J' })])).toEqual([expect.stringContaining('CallID of a NewJournal')]);
    expect(datevRuleViolations([journal({ SyncID: 'S-1' })])).toEqual([expect.stringContaining('SyncID')]);
    expect(datevRuleViolations([n('NewJournal', CallState.eCSConnected, 5, 5, { CallID: 'J' })])).toEqual([expect.stringContaining('not Finished or Absence')]);
    expect(datevRuleViolations([journal(), journal({ End: t(61) })])).toEqual([expect.stringContaining('different call')]);
    expect(datevRuleViolations([offered(), journal(), absence()])).toEqual([expect.stringContaining('while call "A" was live')]);
    // a call whose end DATEV never received (DATEV closed during it) does not hold the journal back for ever
    expect(datevRuleViolations([offered(), journal()])).toEqual([]);
  });

  it('catches bad fields: empty CallID, unknown Direction or CallState, a DATEV_ DataSource without id, an id without DataSource', () => {
    expect(datevRuleViolations([offered({ CallID: '' })])).toEqual([expect.stringContaining('CallID is empty')]);
    expect(datevRuleViolations([offered({ Direction: Direction.eDirUnknown })])).toEqual([expect.stringContaining('neither incoming nor outgoing')]);
    expect(datevRuleViolations([n('NewJournal', 7 as CallState, 5, 60, { CallID: 'J' })])).toEqual([
      expect.stringContaining('not a DATEV call state'),
      expect.stringContaining('not Finished or Absence'),
    ]);
    expect(datevRuleViolations([offered({ AdressatenId: '' })])).toEqual([expect.stringContaining('without an AdressatenId')]);
    expect(datevRuleViolations([offered({ DataSource: '' })])).toEqual([expect.stringContaining('without a DataSource')]);
  });
});
