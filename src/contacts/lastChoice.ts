/** The user's last pick per number among several contacts (for the `lastChosen` ambiguity rule). */
import { JsonFile, isRecord, type FileCodec } from './jsonFile';
import type { Logger } from './logger';
import type { Contact } from './port';

export interface Choice {
  id: string;
  dataSource: string;
  at: number;
}

interface ChoiceFile {
  version: 1;
  choices: Record<string, Choice>;
}

function isChoiceFile(v: unknown): v is ChoiceFile {
  return (
    isRecord(v) &&
    v.version === 1 &&
    isRecord(v.choices) &&
    Object.values(v.choices).every((c) => isRecord(c) && typeof c.id === 'string' && typeof c.dataSource === 'string' && typeof c.at === 'number')
  );
}

/** The last contact choices' file in the user's data folder (%LOCALAPPDATA%\Wildix\DatevCti). */
export const LAST_CHOICES_FILE = 'last-contact-choices.json';

export class LastChoiceStore {
  private readonly file: JsonFile<ChoiceFile>;
  private readonly choices = new Map<string, Choice>();
  /** The last write failed: the next pick is written even when it is the same again. */
  private unsaved = false;

  constructor(
    path: string,
    private readonly logger: Logger,
    private readonly now: () => Date,
    codec?: FileCodec,
    private readonly maxEntries = 5000,
  ) {
    // the user's picks cannot be rebuilt: a file that cannot be read is kept, never overwritten
    this.file = new JsonFile(path, isChoiceFile, codec, { keepUnreadable: true, logger });
  }

  /** The same pick as the newest one, already on disk (nothing to write). */
  private isNewest(key: string, contact: Pick<Contact, 'id' | 'dataSource'>): boolean {
    if (this.unsaved) return false;
    let newest: string | undefined;
    for (const k of this.choices.keys()) newest = k;
    const c = newest === key ? this.choices.get(key) : undefined;
    return c !== undefined && c.id === contact.id && c.dataSource === contact.dataSource;
  }

  async load(): Promise<void> {
    const r = await this.file.read();
    if (r.ok) for (const [k, c] of Object.entries(r.value.choices)) this.choices.set(k, c);
    else if (!r.missing) {
      this.logger.warn('Letzte Kontaktauswahl nicht lesbar; die Datei wird beim nächsten Speichern aufbewahrt / last choices unreadable; the file is kept at the next save', { file: this.file.path, keptAs: r.keptAs, error: r.error });
    }
  }

  /** `key` is the number's E.164 form. */
  get(key: string): Choice | null {
    return this.choices.get(key) ?? null;
  }

  async set(key: string, contact: Pick<Contact, 'id' | 'dataSource'>): Promise<void> {
    if (this.isNewest(key, contact)) return; // the same pick again (Dial remembers it twice): no rewrite
    this.choices.delete(key);
    this.choices.set(key, { id: contact.id, dataSource: contact.dataSource, at: this.now().getTime() });
    while (this.choices.size > this.maxEntries) this.choices.delete(this.choices.keys().next().value as string);
    try {
      await this.file.write({ version: 1, choices: Object.fromEntries(this.choices) });
      this.unsaved = false;
    } catch (e) {
      this.unsaved = true;
      this.logger.warn('Letzte Kontaktauswahl nicht gespeichert / could not save last choice', { file: this.file.path, error: String(e) });
    }
  }
}
