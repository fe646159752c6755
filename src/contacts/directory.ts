/**
 * ContactDirectory: the ContactsPort composed from its sources, in this precedence:
 *   1. DATEVconnect master data (current DATEV addressees),
 *   2. numbers learned from DATEV's own Dial events (covers institutions),
 *   3. the user's manual CSV list.
 * Exact matches from any source come before switchboard matches; inside each rank the sources keep the
 * order above; the same contact is listed once. Lookups never wait for a crawl: they answer from what
 * is indexed now, and `onIndexUpdated` tells the app when to re-check calls in progress.
 */
import { resolveAmbiguity, type AmbiguityRule, type Resolution } from './ambiguity';
import type { DatevConnectSource, DatevConnectStatus } from './datevconnect/source';
import type { LastChoiceStore } from './lastChoice';
import type { LearnedStore } from './learned';
import type { Logger } from './logger';
import type { ManualList, ManualListStatus } from './manualList';
import { normalizeCaller, parseStoredNumber, quickKey, type NumberRules } from './numbers';
import type { IndexMatch, MatchKind } from './phoneIndex';
import type { Contact, ContactsPort } from './port';
import { Slicer } from './slicer';
import type { Clock } from '../util/clock';

export interface ContactDirectoryDeps {
  rules: NumberRules;
  logger: Logger;
  ambiguity?: AmbiguityRule;
  datevConnect?: DatevConnectSource;
  learned?: LearnedStore;
  manual?: ManualList;
  lastChoices?: LastChoiceStore;
  /** For the manual list's check for changes (none without). */
  clock?: Clock;
}

/**
 * How often the manual list is checked for changes (a stat; read again only when its time or size
 * changed): the user edits it during the day, and a list on a network drive that was not connected yet
 * at the logon start appears later.
 */
export const MANUAL_LIST_CHECK_MS = 60_000;

export interface DirectoryStatus {
  datevConnect: DatevConnectStatus | null;
  learnedNumbers: number | null;
  manualList: ManualListStatus | null;
  ambiguity: AmbiguityRule;
}

export interface DetailedLookup {
  /** E.164 key, or null when the number is not looked up (anonymous, internal, unparseable). */
  key: string | null;
  kind: MatchKind | null;
  contacts: Contact[];
}

type Listener = () => void;

export class ContactDirectory implements ContactsPort {
  private readonly listeners = new Set<Listener>();
  private readonly rule: AmbiguityRule;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private cancelManualCheck: (() => void) | undefined;

  constructor(private readonly deps: ContactDirectoryDeps) {
    this.rule = deps.ambiguity ?? 'ask';
  }

  /** Loads the per-user files and starts the background crawl; does not wait for DATEVconnect. */
  start(): Promise<void> {
    this.starting ??= this.load();
    return this.starting;
  }

  /** Settles once start() has loaded the local files (learned numbers, choices, the manual list, the cache). */
  started(): Promise<void> {
    return (this.starting ?? this.start()).catch(() => undefined);
  }

  private async load(): Promise<void> {
    await Promise.all([this.deps.learned?.load(), this.deps.lastChoices?.load(), this.deps.manual?.reload()]);
    await this.deps.datevConnect?.start();
    this.emit();
    this.scheduleManualCheck();
  }

  stop(): void {
    this.stopped = true;
    this.cancelManualCheck?.();
    this.deps.datevConnect?.stop();
  }

  private scheduleManualCheck(): void {
    const { manual, clock } = this.deps;
    if (!manual || !clock || this.stopped) return;
    this.cancelManualCheck = clock.setTimeout(() => {
      void manual
        .reload()
        .then((changed) => changed && !this.stopped && this.emit())
        .catch((e: unknown) => this.deps.logger.warn(`manual list check failed: ${(e as Error).message}`))
        .finally(() => this.scheduleManualCheck());
    }, MANUAL_LIST_CHECK_MS);
  }

  /** Forces a DATEVconnect refresh and a manual-list reload; resolves when both are done. */
  async refresh(full = false): Promise<void> {
    const [manualChanged] = await Promise.all([this.deps.manual?.reload(), this.deps.datevConnect?.refreshNow(full)]);
    if (manualChanged) this.emit();
  }

  /** Called by the DATEVconnect source after its index changed. */
  indexChanged(deletedIds: ReadonlySet<string> = new Set()): void {
    if (deletedIds.size > 0) this.deps.learned?.forgetIds(deletedIds);
    this.emit();
  }

  onIndexUpdated(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async lookup(number: string): Promise<Contact[]> {
    return this.lookupDetailed(number).contacts;
  }

  lookupDetailed(number: string): DetailedLookup {
    // fast path: most callers arrive as +49… or 0…: no parsing when the unparsed key is certain or hits
    if (typeof number === 'string') {
      const quick = quickKey(number, this.deps.rules);
      if (quick) {
        const r = this.collect(quick.key);
        if (r.kind === 'exact' || quick.trusted) return r;
      }
    }
    const key = normalizeCaller(number, this.deps.rules);
    if (!key.ok) return { key: null, kind: null, contacts: [] };
    return this.collect(key.e164);
  }

  private collect(e164: string): DetailedLookup {
    const found: IndexMatch[] = [];
    for (const source of [this.deps.datevConnect, this.deps.learned, this.deps.manual]) {
      const m = source?.find(e164);
      if (m) found.push(m);
    }
    const kind: MatchKind | null = found.some((m) => m.kind === 'exact') ? 'exact' : found.length > 0 ? 'switchboard' : null;
    const contacts: Contact[] = [];
    const seen = new Set<string>();
    for (const m of found) {
      if (m.kind !== kind) continue;
      for (const c of m.contacts) {
        const k = `${c.dataSource}\u0000${c.id}\u0000${c.id === '' ? c.name : ''}`;
        if (seen.has(k)) continue;
        seen.add(k);
        contacts.push({ ...c });
      }
    }
    return { key: e164, kind, contacts };
  }

  /**
   * Contacts whose name contains every word of `text` (case-insensitive): DATEVconnect addressees,
   * then learned, then the manual list; each contact once, sorted by name, at most `limit`. In slices.
   */
  async search(text: string, limit: number): Promise<Contact[]> {
    const words = text.toLocaleLowerCase('de').split(/\s+/).filter(Boolean);
    if (words.length === 0 || limit <= 0) return [];
    const matches = (lowerName: string): boolean => words.every((w) => lowerName.includes(w));
    const slicer = new Slicer();
    const found: Contact[] = [];
    const seen = new Set<string>();
    const add = (c: Contact): void => {
      const k = `${c.dataSource}\u0000${c.id}`;
      if (seen.has(k) || found.length >= limit) return;
      seen.add(k);
      found.push(c);
    };
    for (const c of (await this.deps.datevConnect?.searchNames(matches, limit, slicer)) ?? []) add(c);
    for (const source of [this.deps.learned, this.deps.manual]) {
      for (const c of source?.contacts() ?? []) {
        if (matches(c.name.toLocaleLowerCase('de'))) add(c);
        await slicer.tick();
      }
    }
    return found.sort((a, b) => a.name.localeCompare(b.name, 'de'));
  }

  /**
   * DATEV's Dial: `number` as typed in DATEV (never with the outside-line prefix; "089 1234567" is
   * Munich, not "89 1234567" after a prefix 0). Learns the pair and takes it as the choice for the number.
   */
  async learn(number: string, contact: Contact): Promise<void> {
    const key = typeof number === 'string' ? parseStoredNumber(number, this.deps.rules) : null;
    // the choice first, synchronously: a call from that number right after the Dial already has it
    const choosing = key && usableChoice(contact) ? this.deps.lastChoices?.set(key.e164, contact) : undefined;
    await Promise.all([this.learnWith(number, () => this.deps.learned?.learn(number, contact)), choosing]);
  }

  /** „Kontakt zuordnen…“ in the call list: `number` as the phone system reported it (may carry the outside-line prefix). */
  async learnFromCall(number: string, contact: Contact): Promise<void> {
    await this.learnWith(number, () => this.deps.learned?.learnReported(number, contact));
  }

  private async learnWith(number: string, learn: () => Promise<boolean> | undefined): Promise<void> {
    if (!this.deps.learned) return;
    try {
      if (await learn()) this.emit();
      else this.deps.logger.debug('Nummer nicht gelernt (unbrauchbar) / number not learned (unusable)', { number });
    } catch (e) {
      this.deps.logger.warn('Lernen fehlgeschlagen / learning failed', { error: String(e) });
    }
  }

  /** Lookup plus the configured ambiguity rule and the user's last choice for this number. */
  async resolve(number: string): Promise<Resolution> {
    const r = this.lookupDetailed(number);
    const last = r.key && this.deps.lastChoices ? this.deps.lastChoices.get(r.key) : null;
    return resolveAmbiguity(this.rule, r.contacts, last);
  }

  /** Remembers the user's pick for this number (for the `lastChosen` rule); `number` as the phone system reports it. */
  async rememberChoice(number: string, contact: Pick<Contact, 'id' | 'dataSource'>): Promise<void> {
    const r = this.lookupDetailed(number);
    if (r.key === null || !usableChoice(contact)) return;
    await this.deps.lastChoices?.set(r.key, contact);
  }

  status(): DirectoryStatus {
    return {
      datevConnect: this.deps.datevConnect?.status() ?? null,
      learnedNumbers: this.deps.learned?.size ?? null,
      manualList: this.deps.manual?.status() ?? null,
      ambiguity: this.rule,
    };
  }

  private emit(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (e) {
        this.deps.logger.warn('onIndexUpdated listener failed', { error: String(e) });
      }
    }
  }
}

/** A pick that can be found again: a DATEV contact with an id. */
function usableChoice(c: Pick<Contact, 'id' | 'dataSource'>): boolean {
  return typeof c.id === 'string' && c.id.trim() !== '' && typeof c.dataSource === 'string';
}
