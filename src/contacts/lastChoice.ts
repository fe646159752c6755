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

export class LastChoiceStore {
  private readonly file: JsonFile<ChoiceFile>;
  private readonly choices = new Map<string, Choice>();

  constructor(
    path: string,
    private readonly logger: Logger,
    private readonly now: () => Date,
    codec?: FileCodec,
    private readonly maxEntries = 5000,
  ) {
    this.file = new JsonFile(path, isChoiceFile, codec);
  }

  async load(): Promise<void> {
    const r = await this.file.read();
    if (r.ok) for (const [k, c] of Object.entries(r.value.choices)) this.choices.set(k, c);
    else if (!r.missing) this.logger.warn('Letzte Kontaktauswahl nicht lesbar / last choices unreadable', { file: this.file.path, error: r.error });
  }

  /** `key` is the number's E.164 form. */
  get(key: string): Choice | null {
    return this.choices.get(key) ?? null;
  }

  async set(key: string, contact: Pick<Contact, 'id' | 'dataSource'>): Promise<void> {
    this.choices.delete(key);
    this.choices.set(key, { id: contact.id, dataSource: contact.dataSource, at: this.now().getTime() });
    while (this.choices.size > this.maxEntries) this.choices.delete(this.choices.keys().next().value as string);
    try {
      await this.file.write({ version: 1, choices: Object.fromEntries(this.choices) });
    } catch (e) {
      this.logger.warn('Letzte Kontaktauswahl nicht gespeichert / could not save last choice', { file: this.file.path, error: String(e) });
    }
  }
}
