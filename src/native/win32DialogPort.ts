/**
 * DialogPort on native/ui: real Win32 windows, each on a thread of its own while open (see native/ui/README.md).
 * Results are kept after a dialog closed, so result(id) can be awaited late. Once close(id) was
 * called, the result is "closed" even if a click had already ended the window but its result was
 * still on its way to JS (native/ui decides the same for a click handled after the request).
 */
import type { DialogPort, DialogResult, DialogSpec } from '../dialogs/port';
import type { NativeDialogEvent, NativeUi } from './addon';
import { guarded } from './guard';

export class DialogError extends Error {
  override name = 'DialogError';
  constructor(
    readonly code: 'invalid-spec' | 'failed' | 'unknown-id',
    message: string,
  ) {
    super(message);
  }
}

const TITLE_PREFIX = 'Wildix CTI';
const MAX_TIMEOUT_MS = 0x7fffffff;

function validate(spec: DialogSpec): void {
  const bad = (why: string): never => {
    throw new DialogError('invalid-spec', `Ungültiger Dialog: ${why}`);
  };
  if (typeof spec !== 'object' || spec === null) bad('keine Angaben');
  if (typeof spec.title !== 'string' || !spec.title.startsWith(TITLE_PREFIX)) bad(`Titel muss mit "${TITLE_PREFIX}" beginnen`);
  if (typeof spec.heading !== 'string' || typeof spec.text !== 'string') bad('Überschrift und Text müssen Texte sein');
  if (!Array.isArray(spec.buttons)) bad('Schaltflächen fehlen');
  const ids = new Set<string>();
  for (const b of spec.buttons) {
    if (typeof b?.id !== 'string' || b.id === '' || typeof b.label !== 'string' || b.label === '') {
      bad('jede Schaltfläche braucht id und Beschriftung');
    }
    if (ids.has(b.id)) bad(`Schaltfläche "${b.id}" doppelt`);
    ids.add(b.id);
  }
  if (spec.timeoutMs !== undefined && !(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0 && spec.timeoutMs <= MAX_TIMEOUT_MS)) {
    bad('timeoutMs muss eine positive ganze Zahl sein');
  }
  if (spec.takeFocus !== undefined && typeof spec.takeFocus !== 'boolean') bad('takeFocus muss true oder false sein');
}

export class Win32DialogPort implements DialogPort {
  private readonly results = new Map<number, Promise<DialogResult>>();
  private readonly open = new Set<number>();
  /** Dialogs whose result has not arrived yet. */
  private readonly unsettled = new Set<number>();
  /** ... of which close() was requested: their result is "closed". */
  private readonly closeRequested = new Set<number>();

  constructor(private readonly ui: NativeUi) {}

  show(spec: DialogSpec): Promise<number> {
    try {
      validate(spec);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<number>((resolveShown, rejectShown) => {
      let settleResult!: (r: DialogResult) => void;
      const result = new Promise<DialogResult>((r) => (settleResult = r));
      let id = 0;
      const onEvent = (event: NativeDialogEvent): void => {
        switch (event.type) {
          case 'shown':
            this.open.add(id);
            resolveShown(id);
            break;
          case 'failed':
            this.results.delete(id);
            this.unsettled.delete(id);
            this.closeRequested.delete(id);
            rejectShown(new DialogError('failed', `Dialog konnte nicht angezeigt werden: ${event.message}`));
            break;
          case 'closed': {
            this.open.delete(id);
            this.unsettled.delete(id);
            const byCode = this.closeRequested.delete(id);
            if (byCode) settleResult({ reason: 'closed' });
            else settleResult(event.reason === 'button' ? { reason: 'button', choice: event.choice } : { reason: event.reason });
            break;
          }
        }
      };
      try {
        id = this.ui.showDialog(
          {
            title: spec.title,
            heading: spec.heading,
            text: spec.text,
            buttons: spec.buttons.map((b) => ({ id: b.id, label: b.label, enabled: b.enabled })),
            timeoutMs: spec.timeoutMs ?? 0,
            takeFocus: spec.takeFocus ?? false,
          },
          guarded('dialog', onEvent),
        );
      } catch (err) {
        rejectShown(new DialogError('failed', `Dialog konnte nicht angezeigt werden: ${(err as Error).message}`));
        return;
      }
      this.results.set(id, result);
      this.unsettled.add(id);
    });
  }

  async update(id: number, heading: string, text: string): Promise<void> {
    if (typeof heading !== 'string' || typeof text !== 'string') {
      throw new DialogError('invalid-spec', 'Überschrift und Text müssen Texte sein');
    }
    if (this.results.has(id)) this.ui.updateDialog(id, heading, text);
  }

  async setButtonEnabled(id: number, buttonId: string, enabled: boolean): Promise<void> {
    if (this.results.has(id)) this.ui.setButtonEnabled(id, String(buttonId), Boolean(enabled));
  }

  async close(id: number): Promise<void> {
    if (!this.unsettled.has(id)) return;
    this.closeRequested.add(id);
    this.ui.closeDialog(id);
  }

  result(id: number): Promise<DialogResult> {
    const r = this.results.get(id);
    if (!r) return Promise.reject(new DialogError('unknown-id', `Unbekannter Dialog ${id}`));
    return r;
  }

  /** Closes every dialog still open (reason "closed") and waits until they are gone. */
  async closeAll(): Promise<void> {
    const ids = [...this.open];
    for (const id of ids) this.ui.closeDialog(id);
    await Promise.all(ids.map((id) => this.results.get(id)));
  }

  message(title: string, text: string, kind: 'info' | 'error', timeoutMs?: number): Promise<void> {
    if (typeof title !== 'string' || !title.startsWith(TITLE_PREFIX) || typeof text !== 'string') {
      return Promise.reject(new DialogError('invalid-spec', `Ungültige Meldung: Titel muss mit "${TITLE_PREFIX}" beginnen`));
    }
    if (kind !== 'info' && kind !== 'error') return Promise.reject(new DialogError('invalid-spec', `Ungültige Art "${String(kind)}"`));
    const ms = timeoutMs ?? 0;
    if (!(Number.isInteger(ms) && ms >= 0 && ms <= MAX_TIMEOUT_MS)) {
      return Promise.reject(new DialogError('invalid-spec', 'timeoutMs muss eine positive ganze Zahl sein'));
    }
    return new Promise<void>((resolve, reject) => {
      try {
        this.ui.messageBox(title, text, kind, ms, (result) => {
          if (result === 0 || result === -1) reject(new DialogError('failed', 'Meldung konnte nicht angezeigt werden'));
          else resolve();
        });
      } catch (err) {
        reject(new DialogError('failed', `Meldung konnte nicht angezeigt werden: ${(err as Error).message}`));
      }
    });
  }
}
