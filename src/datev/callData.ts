/**
 * The DATEV call data (`IDatevCtiData`), with DATEV's own field names and enum values.
 * See ../shared/reference/datev-cti.md §1.2 and §1.3.
 */

/** `ENUM_DIRECTION` (32-bit). */
export enum Direction {
  eDirUnknown = 0,
  eDirIncoming = 1,
  eDirOutgoing = 2,
}

/** `ENUM_CALLSTATE` (32-bit). */
export enum CallState {
  eCSAbsence = 0,
  eCSOffered = 1,
  eCSConnected = 2,
  eCSFinished = 3,
}

/** The 11 properties of `IDatevCtiData` in DISPID order (DISPID = index + 1). */
export const DATEV_FIELDS = [
  'CallID',
  'SyncID',
  'Direction',
  'Begin',
  'End',
  'CallState',
  'Adressatenname',
  'AdressatenId',
  'DataSource',
  'CalledNumber',
  'Note',
] as const;

export type DatevFieldName = (typeof DATEV_FIELDS)[number];

/** A complete call data record as the program sends it to DATEV. Begin/End are local wall-clock times. */
export interface DatevCallData {
  CallID: string;
  SyncID: string;
  Direction: Direction;
  Begin: Date;
  End: Date;
  CallState: CallState;
  Adressatenname: string;
  AdressatenId: string;
  DataSource: string;
  CalledNumber: string;
  Note: string;
}

/**
 * Call data as it arrives from DATEV (`Dial`, `Drop`, `GetCallData`): every field may be missing or
 * carry an unexpected VARIANT type, so nothing is trusted until validated.
 * Native adapters convert VARIANTs as: BSTR → string, integers/enums → number, DATE → Date,
 * BOOL → boolean, VT_EMPTY/VT_NULL → null; anything else → undefined (and they log the VARTYPE).
 */
export type RawCallData = Partial<Record<DatevFieldName, string | number | boolean | Date | null | undefined>>;

/** DataSource values reserved by DATEV. */
export const DATA_SOURCE_ADRESSATEN = 'DATEV_Adressaten';
export const DATA_SOURCE_INSTITUTIONEN = 'DATEV_Institutionen';
/** A DataSource of DATEV's own (`DATEV_…`, reserved by DATEV): the contact is in DATEV's master data. */
export function isDatevSource(dataSource: string): boolean {
  return dataSource.startsWith('DATEV_');
}
/** DataSource for numbers without a DATEV contact. */
export const DATA_SOURCE_WILDIX = 'Wildix';

export function emptyCallData(): DatevCallData {
  const epoch = new Date(0);
  return {
    CallID: '',
    SyncID: '',
    Direction: Direction.eDirUnknown,
    Begin: epoch,
    End: epoch,
    CallState: CallState.eCSOffered,
    Adressatenname: '',
    AdressatenId: '',
    DataSource: DATA_SOURCE_WILDIX,
    CalledNumber: '',
    Note: '',
  };
}
