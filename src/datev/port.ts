/**
 * DATEV bridge port: what the program needs from the COM/ROT layer.
 * Real adapter: native/com (Windows). Fake: fakes/datev. Contract: contracts/datev.contract.ts.
 */
import type { DatevCallData, RawCallData } from './callData';

/** Methods of DATEV's `IDatevCtiNotification`. */
export type NotificationMethod = 'NewCall' | 'CallStateChanged' | 'CallAdressatChanged' | 'NewJournal';

export const NOTIFICATION_METHODS: readonly NotificationMethod[] = [
  'NewCall',
  'CallStateChanged',
  'CallAdressatChanged',
  'NewJournal',
];

/**
 * Handlers for the calls DATEV makes on the program's CTI object. They run on the JS thread and must
 * answer quickly (a Promise is allowed): the adapter blocks DATEV's COM call for at most a bounded
 * time (then it answers DATEV with RPC_E_TIMEOUT-like failure and logs it).
 */
export interface DatevRequestHandlers {
  /**
   * `IDatevCtiControl.Dial`. Returns the CallID the adapter writes into DATEV's object before `Dial`
   * returns. Throwing (or returning an empty string) makes the adapter fail the COM call with
   * E_INVALIDARG after logging; the program still shows the user what went wrong.
   */
  dial(data: RawCallData): string | Promise<string>;
  /** `IDatevCtiControl.Drop`: hang up the call with `data.CallID`. */
  drop(data: RawCallData): void;
  /**
   * `IDatevCtiHistory.GetCallData`: the current data of the call whose CallID DATEV passes, or
   * undefined when unknown (the adapter then leaves DATEV's object as it is and returns S_FALSE).
   */
  getCallData(data: RawCallData): DatevCallData | undefined | Promise<DatevCallData | undefined>;
}

/** Why a notification did not reach DATEV. */
export type DatevErrorCode = 'absent' | 'timeout' | 'com' | 'not-registered';

export class DatevError extends Error {
  constructor(
    readonly code: DatevErrorCode,
    message: string,
    /** The HRESULT as an unsigned 32-bit number when COM reported one. */
    readonly hresult?: number,
  ) {
    super(message);
    this.name = 'DatevError';
  }
}

export interface DatevPort {
  /**
   * Create the CTI object (IDatevCtiControl + IDatevCtiHistory) and register it in the ROT under
   * CLSID D8CA0C15-8585-494A-93DF-07D706629793. Requests are delivered to `handlers` from then on.
   * Rejects with DatevError('com') when registration fails. Registering twice rejects.
   */
  register(handlers: DatevRequestHandlers): Promise<void>;
  /** Revoke the ROT entry; no handler is called afterwards. Idempotent. */
  revoke(): Promise<void>;
  /** Whether DATEV's notification object (CLSID A299D197-E7C3-43E2-8ACC-C608FC2A7806) is in the ROT now. */
  isPresent(): Promise<boolean>;
  /**
   * Call `method` on DATEV's IDatevCtiNotification with a call data object holding `data`.
   * Rejects with DatevError: 'absent' when DATEV is not in the ROT, 'timeout' when DATEV did not
   * answer within the adapter's bound, 'com' with the HRESULT for any other failure.
   */
  notify(method: NotificationMethod, data: DatevCallData): Promise<void>;
}
