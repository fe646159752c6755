/**
 * What a contract suite needs besides the port under test: a driver for "the other side" (DATEV, the
 * PBX, the user in front of a dialog). Fakes provide in-memory drivers; the Wine tests provide drivers
 * that talk to the fake DATEV exe, the fake tapi32.dll and real windows.
 */
import type { DatevPort, NotificationMethod } from '../src/datev/port';
import type { RawCallData } from '../src/datev/callData';
import type { TelephonyPort } from '../src/telephony/port';
import type { DialogPort } from '../src/dialogs/port';
import type { Contact, ContactsPort } from '../src/contacts/port';
import type { JournalStore } from '../src/journal/port';

export interface RecordedNotification {
  method: NotificationMethod;
  /** All 11 fields as DATEV read them from the object it was given. */
  data: RawCallData;
  /** Which call-data object it was (the same number for the same COM object), when the driver can tell. */
  object?: number;
  /** Which run of DATEV took it (1, then 2 after a restart, …), when the driver can tell. */
  instance?: number;
  /** DATEV wrote this SyncID into the object during this notification (writeSyncIdDuringNextNotification). */
  wroteSyncId?: string;
}

/** Plays DATEV Arbeitsplatz. */
export interface DatevDriver {
  /** DATEV starts: its notification object appears in the ROT. */
  start(): Promise<void>;
  /** DATEV exits: its notification object disappears. */
  stop(): Promise<void>;
  /** Whether the program's CTI object is in the ROT (what DATEV's GetActiveObject would find). */
  isCtiRegistered(): Promise<boolean>;
  /** Call IDatevCtiControl.Dial with an object holding `data`; returns the HRESULT and the CallID written back. */
  dial(data: RawCallData): Promise<{ hresult: number; callId: string }>;
  /** Call IDatevCtiControl.Drop. */
  drop(data: RawCallData): Promise<{ hresult: number }>;
  /** Call IDatevCtiHistory.GetCallData with an object carrying `callId`; returns what was filled in. */
  getCallData(callId: string): Promise<{ hresult: number; data: RawCallData }>;
  /** Every notification DATEV received so far, in order. */
  notifications(): Promise<RecordedNotification[]>;
  /** The next notification makes DATEV fail with this HRESULT (e.g. 0x80004005). */
  failNextNotification(hresult: number): Promise<void>;
  /**
   * DATEV is closed and started again while the next notification is inside it: that call fails as
   * after a restart (RPC_E_DISCONNECTED) and a new DATEV is already in the ROT when the caller looks again.
   */
  restartDuringNextNotification(): Promise<void>;
  /** Each of the next `count` notifications blocks DATEV for `ms` before DATEV takes it (a hung DATEV). */
  hangNotifications(ms: number, count: number): Promise<void>;
  /** DATEV is busy: its message filter rejects the next `count` notification calls (RPC_E_CALL_REJECTED). */
  rejectNotifications(count: number): Promise<void>;
  /**
   * During the next notification DATEV writes `syncId` into the call's data object (a property put) before
   * it reads the object (datev-cti.md §3.3, §9.4: DATEV may set the SyncID of an incoming call).
   */
  writeSyncIdDuringNextNotification(syncId: string): Promise<void>;
  /** DATEV reads every call-data object it kept once more (as DATEV may do after a notification returned). */
  reread(): Promise<{ object: number; callId: string; readable: boolean }[]>;
}

export interface DatevHarness {
  port: DatevPort;
  datev: DatevDriver;
  /** The port's bound of one notification (keep it short, e.g. 600 ms) and its number of notification threads. */
  notifyTimeoutMs: number;
  threads: number;
  dispose(): Promise<void>;
}

/** A TAPI request the program made, as the PBX side saw it. */
export interface RecordedTapiRequest {
  fn: string;
  /** Destination for lineMakeCallW; switch call id for call functions. */
  dest?: string;
  callId?: number;
  result: number;
  /** lineDeallocateCall: the call's state then (tapi.md §1.6: IDLE, after its owner's lineDrop). */
  state?: string;
}

/** Plays the Wildix PBX/TSP behind TAPI. Calls are named by their switch call id (CallInfo.callId). */
export interface PbxDriver {
  /** Lines must be declared before the port's initialize(). */
  addLine(name: string, address: string, provider?: string): Promise<void>;
  /** An incoming call on the line with this address; returns the switch call id. */
  incoming(address: string, caller: string | 'anonymous', name?: string, internal?: boolean): Promise<number>;
  /** Outgoing call rings at the far end. */
  ringback(callId: number): Promise<void>;
  /** The far end (or the user's phone) answers. */
  answer(callId: number): Promise<void>;
  /**
   * Another station of a shared (bridged) address answers the call (a colleague): CONNECTED in
   * LINECONNECTEDMODE_INACTIVE for this line.
   */
  answerElsewhere(callId: number): Promise<void>;
  /** The far end is busy. */
  busy(callId: number): Promise<void>;
  /** The far end hangs up (DISCONNECTED with this LINEDISCONNECTMODE name, then IDLE is up to the program). */
  hangup(callId: number, mode?: string): Promise<void>;
  /** Caller id arrives late (LINE_CALLINFO/CALLERID). */
  callerId(callId: number, number: string, name?: string): Promise<void>;
  /**
   * A caller a colleague transferred to `address` without consulting: incoming, LINECALLREASON_TRANSFER,
   * origin INTERNAL (the colleague's leg). Returns the switch call id.
   */
  transferredIn(address: string, caller: string): Promise<number>;
  /** TAPI learns who redirected or transferred the call to this line (LINE_CALLINFO/REDIRECTINGID). */
  redirectingId(callId: number, number: string, name?: string): Promise<void>;
  /** Make the next call of TAPI function `fn` fail, synchronously or in its LINE_REPLY. */
  failNext(fn: string, how: 'sync' | 'async', code: number): Promise<void>;
  /** Force LINE_CLOSE on the line with this address. */
  closeLine(address: string): Promise<void>;
  /** Every TAPI request made by the program, in order. */
  requests(): Promise<RecordedTapiRequest[]>;
  /** The switch call id of the newest call (e.g. the one lineMakeCallW created). */
  lastCallId(): Promise<number>;
}

export interface TelephonyHarness {
  port: TelephonyPort;
  pbx: PbxDriver;
  dispose(): Promise<void>;
}

export interface VisibleDialog {
  id: number;
  title: string;
  /** Heading and text as shown (joined by a line break when the adapter has one text field). */
  text: string;
  buttons: { label: string; enabled: boolean }[];
}

/** Plays the user in front of the screen. */
export interface DialogUser {
  visible(): Promise<VisibleDialog[]>;
  /** Press the button with this label in dialog `id` (as a user would; disabled buttons do nothing). */
  click(id: number, label: string): Promise<void>;
  /** Close the window with its X / Esc. */
  dismiss(id: number): Promise<void>;
}

export interface DialogHarness {
  port: DialogPort;
  user: DialogUser;
  dispose(): Promise<void>;
}

export interface ContactsHarness {
  contacts: ContactsPort;
  /** Put these contacts into the source behind the port (and wait until they are searchable). */
  seed(contacts: Contact[]): Promise<void>;
  dispose(): Promise<void>;
}

export interface JournalHarness {
  store: JournalStore;
  /** A second store over what the first one persisted (the program restarted); loaded at `now`. */
  reopen(now: Date): Promise<JournalStore>;
  /** What the stores logged. */
  log: import('../src/logging/logger').MemoryLogger;
  disk: JournalDisk;
  dispose(): Promise<void>;
}

/** Plays the disk under a journal store (its log of records). */
export interface JournalDisk {
  /** Records in the log now, readable or not. */
  records(): Promise<number>;
  /** The last record is cut short, as by a hard kill while it was written. */
  tearLast(): Promise<void>;
  /** The record at `index` (0: the first in the log) is damaged. */
  corrupt(index: number): Promise<void>;
  /** The next rewrite of the log waits, once it has begun, until `release()`; `begun` resolves then. */
  holdNextRewrite(): { begun: Promise<void>; release(): void };
  /** Writes fail like on a full disk (true) or work again (false). */
  failWrites(fail: boolean): Promise<void>;
}

/** Plays the user in front of the journal's windows (note, call list, contact chooser). */
export interface JournalWindowsUser {
  /** Note windows on screen: id, title, heading, text, and whether one of them has the keyboard focus. */
  notes(): Promise<{ id: number; title: string; heading: string; text: string; focused: boolean }[]>;
  /** Types `text` into the note's Edit control (as far as it takes it) and presses „Speichern“. */
  saveNote(id: number, text: string): Promise<void>;
  discardNote(id: number): Promise<void>;
  /** The call list's rows as shown, or undefined when it is not open. */
  callListRows(): Promise<{ id: string; cells: string[] }[] | undefined>;
  /** Selects the row and presses the button of the action; a disabled button does nothing. */
  callListAction(rowId: string, action: 'note' | 'send' | 'assign'): Promise<void>;
  closeCallList(): Promise<void>;
  /** Types into the open contact chooser's search field; resolves with the choices it shows then. */
  chooserSearch(text: string): Promise<string[]>;
  /** Picks the shown choice with this label and presses „Zuordnen“. */
  chooserPick(label: string): Promise<void>;
  chooserCancel(): Promise<void>;
}

export interface JournalWindowsHarness {
  notes: import('../src/journal/windows').NoteWindowPort;
  list: import('../src/journal/windows').CallListPort;
  chooser: import('../src/journal/windows').ContactChooserPort;
  user: JournalWindowsUser;
  dispose(): Promise<void>;
}
