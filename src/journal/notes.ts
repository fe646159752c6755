/**
 * „Wildix CTI – Notiz“ after a call: when the call qualifies (journal.notePrompt), a note window opens
 * without taking the focus; „Speichern“ with text makes a note that goes to DATEV as NewJournal
 * (src/journal/delivery.ts); empty text, „Verwerfen“ or the timeout send nothing. Never more than
 * MAX_OPEN windows: the oldest unsent one closes when another opens.
 */
import type { Logger } from '../logging/logger';
import { isConnected, type KeptEntry } from './entry';
import { NOTE_MAX_CHARS, type Journal } from './journal';
import { LABELS, NOTE_TITLE, noteText, partyText } from './texts';
import type { NoteWindowPort } from './windows';

export type NotePromptMode = 'off' | 'contact' | 'all';

export interface NoteOptions {
  /** off: never by itself; contact: after connected calls with a DATEV contact; all: every external connected call. */
  mode: NotePromptMode;
  /** The window closes by itself, unsent, after this long. */
  promptSeconds: number;
}

export const MAX_OPEN_NOTES = 3;

/** Whether a call that just ended asks for a note by itself. */
export function wantsNote(e: KeptEntry, mode: NotePromptMode): boolean {
  if (mode === 'off' || e.internal || !isConnected(e)) return false;
  return mode === 'all' || e.contact !== undefined;
}

export class NotePrompts {
  /** Open note windows, oldest first. */
  private readonly open: { id: number; callId: string }[] = [];
  private stopped = false;

  constructor(
    private readonly windows: NoteWindowPort,
    private readonly journal: Journal,
    private readonly options: NoteOptions,
    private readonly log: Logger,
  ) {}

  /** A call ended (first time in the journal): ask for a note when it qualifies. */
  afterCall(e: KeptEntry): void {
    if (wantsNote(e, this.options.mode)) void this.ask(e);
  }

  /** „Notiz an DATEV senden“ from the call list: a note for any call. */
  async ask(e: KeptEntry): Promise<void> {
    if (this.stopped) return;
    if (this.open.length >= MAX_OPEN_NOTES) {
      const oldest = this.open.shift()!;
      this.log.info('Notiz: ältestes offenes Notizfenster geschlossen / oldest open note window closed unsent', { callId: oldest.callId });
      await this.windows.close(oldest.id).catch(() => undefined);
    }
    let id: number;
    try {
      id = await this.windows.show({
        title: NOTE_TITLE,
        heading: partyText(e),
        text: noteText(e),
        maxLength: NOTE_MAX_CHARS,
        saveLabel: LABELS.save,
        discardLabel: LABELS.discard,
        timeoutMs: this.options.promptSeconds * 1000,
      });
    } catch (err) {
      this.log.warn(`note window cannot be shown: ${(err as Error).message}`, { callId: e.callId });
      return;
    }
    this.open.push({ id, callId: e.callId });
    const r = await this.windows.result(id).catch(() => ({ reason: 'failed' as const }));
    const i = this.open.findIndex((x) => x.id === id);
    if (i >= 0) this.open.splice(i, 1);
    if (r.reason === 'save' && r.text.trim() !== '') this.journal.addNote(e.callId, r.text);
    else this.log.info(`Notiz nicht gesendet / note not sent (${r.reason === 'save' ? 'empty' : r.reason})`, { callId: e.callId });
  }

  /** Closes every open note window unsent (the program stops). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.open.splice(0)) await this.windows.close(w.id).catch(() => undefined);
  }
}
