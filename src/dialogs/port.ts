/**
 * Dialog port: small native windows shown next to DATEV. Real adapter: native/ui (Win32, one thread
 * per dialog). Fake: fakes/dialogs. Contract: contracts/dialogs.contract.ts.
 * All texts come from TypeScript (German; see src/dialogs/texts.ts).
 */

export interface DialogButton {
  /** Stable id returned as the user's choice, e.g. "answer". */
  id: string;
  /** Visible label, e.g. "Annehmen". */
  label: string;
  enabled: boolean;
}

export interface DialogSpec {
  /** Window title; always starts with "Wildix CTI". */
  title: string;
  /** Bold first line (e.g. the number or contact). */
  heading: string;
  /** Body text; may contain line breaks. */
  text: string;
  buttons: DialogButton[];
  /** Close by itself after this many ms (result: reason "timeout"). */
  timeoutMs?: number;
  /**
   * Whether the dialog may take the keyboard focus when it appears. Default false: it is shown topmost
   * but without activation, so the program the user is typing in keeps the focus (clicks on its
   * buttons still work). true only for a dialog the user asked for this very moment (e.g. the
   * outgoing-call dialog after the user's own click on "Anrufen" in DATEV); never for incoming calls.
   */
  takeFocus?: boolean;
}

export type DialogCloseReason =
  /** The user pressed a button: `choice` is its id. */
  | 'button'
  /** The user closed the window (X, Esc). */
  | 'dismissed'
  /** Closed from code with close(). */
  | 'closed'
  /** timeoutMs elapsed. */
  | 'timeout'
  /** The window could not be shown (no desktop, …). */
  | 'failed';

export interface DialogResult {
  reason: DialogCloseReason;
  choice?: string;
}

export interface DialogPort {
  /** Show a dialog; resolves with its id once it is on screen (or rejects when it cannot be shown). */
  show(spec: DialogSpec): Promise<number>;
  /** Replace heading and text of an open dialog. Unknown/closed id: no-op. */
  update(id: number, heading: string, text: string): Promise<void>;
  /** Enable or disable one button. Unknown id or button: no-op. */
  setButtonEnabled(id: number, buttonId: string, enabled: boolean): Promise<void>;
  /**
   * Close from code; the result resolves with reason "closed" — also when the user's click (or the
   * timeout) was already under way but its result had not been delivered yet: once close() was
   * requested the program no longer wants the answer. Unknown/closed id: no-op.
   */
  close(id: number): Promise<void>;
  /** Resolves once when the dialog closes, for any reason. Unknown id: rejects. */
  result(id: number): Promise<DialogResult>;
  /** A simple message box (info or error) with one OK button; resolves when dismissed or closed. */
  message(title: string, text: string, kind: 'info' | 'error', timeoutMs?: number): Promise<void>;
}
