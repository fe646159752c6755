/**
 * The DATEVconnect contact source: crawls all addressees with their communications in the background
 * (bounded concurrency), refreshes incrementally by `timestamp` and the deletion log, rebuilds fully on
 * a schedule, persists the records per user so a restart does not wait for a crawl. On any failure the
 * last good index stays in use, the problem is logged once and shown by `status()`.
 */
import { DATA_SOURCE_ADRESSATEN } from '../../datev/callData';
import type { Clock } from '../../util/clock';
import { JsonFile, isRecord, type FileCodec } from '../jsonFile';
import type { Logger } from '../logger';
import { parseStoredNumber, type NumberRules } from '../numbers';
import { PhoneIndex, type IndexMatch } from '../phoneIndex';
import type { DatevConnectClient } from './client';
import { DatevConnectError, type DatevConnectErrorKind } from './errors';
import { isAddresseeRecord, phoneScore, toRecord, type AddresseeRecord } from './records';

export interface DatevConnectSourceOptions {
  client: DatevConnectClient;
  rules: NumberRules;
  /** Per-user cache file (JSON). */
  cacheFile: string;
  codec?: FileCodec;
  clock: Clock;
  logger: Logger;
  /** Parallel addressee requests during a crawl. */
  concurrency: number;
  /** Incremental refresh period. */
  refreshIntervalMs: number;
  /** Full rebuild period (catches edits that do not bump `timestamp`). */
  fullRebuildIntervalMs: number;
  /** Wait after a failed run before trying again. */
  retryDelayMs: number;
  /** Called after the index changed; `deletedIds` lists addressees DATEV deleted. */
  onChange?: (deletedIds: ReadonlySet<string>) => void;
}

export type SourceState = 'idle' | 'crawling' | 'refreshing' | 'ready' | 'error' | 'stopped';

export interface DatevConnectStatus {
  url: string;
  auth: string;
  state: SourceState;
  /** True once contacts are searchable (from the cache file or a crawl). */
  ready: boolean;
  fromCache: boolean;
  addressees: number;
  numbers: number;
  /** Phone entries that could not be understood as a number. */
  unusableNumbers: number;
  lastFullCrawl?: string;
  lastRefresh?: string;
  lastError?: {
    kind: DatevConnectErrorKind;
    httpStatus?: number;
    code?: string;
    message: string;
    de: string;
    en: string;
    since: string;
  };
}

interface CacheFile {
  version: 1;
  baseUrl: string;
  lastFullCrawl: number;
  lastRefresh: number;
  deletionMark: string;
  addressees: AddresseeRecord[];
}

function isCacheFile(v: unknown): v is CacheFile {
  return (
    isRecord(v) &&
    v.version === 1 &&
    typeof v.baseUrl === 'string' &&
    typeof v.lastFullCrawl === 'number' &&
    typeof v.lastRefresh === 'number' &&
    typeof v.deletionMark === 'string' &&
    Array.isArray(v.addressees) &&
    v.addressees.every(isAddresseeRecord)
  );
}

export class DatevConnectSource {
  private records = new Map<string, AddresseeRecord>();
  private index = new PhoneIndex(false);
  private unusable = 0;
  private lastFullCrawl = 0;
  private lastRefresh = 0;
  private deletionMark = '';
  private fromCache = false;
  private state: SourceState = 'idle';
  private error: { err: DatevConnectError; since: Date; key: string } | null = null;
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly cache: JsonFile<CacheFile>;

  constructor(private readonly opts: DatevConnectSourceOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 32) {
      throw new RangeError(`DATEVconnect concurrency must be 1..32, got ${String(opts.concurrency)}`);
    }
    this.cache = new JsonFile(opts.cacheFile, isCacheFile, opts.codec);
  }

  /** Loads the per-user cache (fast) and schedules the background crawl/refresh. */
  async start(): Promise<void> {
    this.stopped = false;
    const r = await this.cache.read();
    if (r.ok && r.value.baseUrl === this.opts.client.baseUrl) {
      this.records = new Map(r.value.addressees.map((a) => [a.id, a]));
      this.lastFullCrawl = r.value.lastFullCrawl;
      this.lastRefresh = r.value.lastRefresh;
      this.deletionMark = r.value.deletionMark;
      this.rebuildIndex();
      this.fromCache = true;
      this.state = 'ready';
      this.opts.logger.info('DATEV-Kontakte aus dem Zwischenspeicher geladen / DATEV contacts loaded from cache', { addressees: this.records.size, numbers: this.index.size });
      this.opts.onChange?.(new Set());
    } else if (!r.ok && !r.missing) {
      this.opts.logger.warn('Kontakt-Zwischenspeicher unlesbar, lade neu von DATEVconnect / contact cache unreadable, crawling again', { file: this.opts.cacheFile, error: r.error });
    }
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.state = 'stopped';
  }

  find(e164: string): IndexMatch | null {
    return this.index.find(e164);
  }

  get ready(): boolean {
    return this.lastFullCrawl > 0;
  }

  /** Runs a refresh now (full when due) after any run in progress; resolves when done, never rejects. */
  async refreshNow(full = false): Promise<void> {
    while (this.running) await this.running;
    this.running = this.run(full).finally(() => {
      this.running = null;
    });
    await this.running;
  }

  status(): DatevConnectStatus {
    const s: DatevConnectStatus = {
      url: this.opts.client.baseUrl,
      auth: this.opts.client.authDescription,
      state: this.state,
      ready: this.ready,
      fromCache: this.fromCache,
      addressees: this.records.size,
      numbers: this.index.size,
      unusableNumbers: this.unusable,
    };
    if (this.lastFullCrawl) s.lastFullCrawl = new Date(this.lastFullCrawl).toISOString();
    if (this.lastRefresh) s.lastRefresh = new Date(this.lastRefresh).toISOString();
    if (this.error) {
      const { err, since } = this.error;
      const support = err.support;
      s.lastError = { kind: err.kind, message: err.message, de: support.de, en: support.en, since: since.toISOString() };
      if (err.details.httpStatus !== undefined) s.lastError.httpStatus = err.details.httpStatus;
      if (err.details.code !== undefined) s.lastError.code = err.details.code;
    }
    return s;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer?.();
    this.cancelTimer = this.opts.clock.setTimeout(() => {
      this.cancelTimer = null;
      void this.refreshNow().then(() => this.schedule(this.error ? this.opts.retryDelayMs : this.opts.refreshIntervalMs));
    }, ms);
  }

  private async run(forceFull: boolean): Promise<void> {
    if (this.stopped) return;
    const now = this.opts.clock.now().getTime();
    const full = forceFull || !this.ready || now - this.lastFullCrawl >= this.opts.fullRebuildIntervalMs;
    this.state = full ? 'crawling' : 'refreshing';
    try {
      const changed = full ? await this.crawl() : await this.refresh();
      if (this.error) {
        this.opts.logger.info('DATEVconnect wieder erreichbar / DATEVconnect reachable again', { after: this.error.key });
        this.error = null;
      }
      this.state = this.stopped ? 'stopped' : 'ready';
      if (changed && !this.stopped) await this.persist();
    } catch (e) {
      this.fail(e);
      this.state = this.stopped ? 'stopped' : 'error';
    }
  }

  /** Full crawl into fresh structures; swapped in only when complete. */
  private async crawl(): Promise<boolean> {
    const started = Date.now();
    const list = await this.opts.client.listAddressees();
    const ids = [...new Set(list.map((a) => a.id as string))];
    const records = new Map<string, AddresseeRecord>();
    await mapLimit(ids, this.opts.concurrency, async (id) => {
      const detail = await this.opts.client.getAddressee(id);
      const rec = detail ? toRecord(detail) : null;
      if (rec) records.set(rec.id, rec);
    });
    const previous = new Set(this.records.keys());
    this.records = records;
    this.rebuildIndex();
    const deleted = new Set([...previous].filter((id) => !records.has(id)));
    this.lastFullCrawl = this.lastRefresh = this.opts.clock.now().getTime();
    this.deletionMark = maxTimestamp(records.values());
    this.fromCache = false;
    this.opts.logger.info('DATEV-Kontakte vollständig eingelesen / DATEV contacts crawled', {
      addressees: records.size,
      numbers: this.index.size,
      unusableNumbers: this.unusable,
      ms: Date.now() - started,
    });
    this.opts.onChange?.(deleted);
    return true;
  }

  /** Incremental: addressees with timestamp ≥ the newest known one, plus the deletion log. */
  private async refresh(): Promise<boolean> {
    const mark = maxTimestamp(this.records.values());
    const changedList = mark ? await this.opts.client.listAddressees(`timestamp ge ${mark}`) : await this.opts.client.listAddressees();
    const deletions = this.deletionMark ? await this.opts.client.deletionLog(`timestamp ge ${this.deletionMark}`) : await this.opts.client.deletionLog();
    const toFetch = changedList
      .filter((a) => {
        const known = this.records.get(a.id as string);
        return !known || typeof a.timestamp !== 'string' || a.timestamp !== known.timestamp;
      })
      .map((a) => a.id as string);
    const fetched: AddresseeRecord[] = [];
    const gone = new Set<string>();
    await mapLimit(toFetch, this.opts.concurrency, async (id) => {
      const detail = await this.opts.client.getAddressee(id);
      const rec = detail ? toRecord(detail) : null;
      if (rec) fetched.push(rec);
      else gone.add(id);
    });
    const deleted = new Set<string>();
    for (const d of deletions) {
      if (this.records.has(d.id)) deleted.add(d.id);
      if (d.timestamp > this.deletionMark) this.deletionMark = d.timestamp;
    }
    for (const id of gone) if (this.records.has(id)) deleted.add(id);
    for (const id of deleted) {
      this.removeFromIndex(id);
      this.records.delete(id);
    }
    for (const rec of fetched) {
      deleted.delete(rec.id);
      this.removeFromIndex(rec.id);
      this.records.set(rec.id, rec);
      this.addToIndex(rec);
    }
    this.lastRefresh = this.opts.clock.now().getTime();
    const changed = fetched.length > 0 || deleted.size > 0;
    if (changed) {
      this.opts.logger.info('DATEV-Kontakte aktualisiert / DATEV contacts refreshed', { changed: fetched.length, deleted: deleted.size });
      this.opts.onChange?.(deleted);
    }
    return changed;
  }

  private rebuildIndex(): void {
    const { index, unusable } = indexRecords(this.records.values(), this.opts.rules);
    this.index = index;
    this.unusable = unusable;
  }

  private addToIndex(rec: AddresseeRecord): void {
    this.unusable += addRecord(this.index, rec, this.opts.rules);
  }

  /** Call before the record leaves `records`: its numbers are recomputed (the index does not track owners). */
  private removeFromIndex(id: string): void {
    const rec = this.records.get(id);
    if (!rec) return;
    const e164s: string[] = [];
    const bases: string[] = [];
    for (const p of rec.phones) {
      const n = parseStoredNumber(p.raw, this.opts.rules, p.std);
      if (!n) continue;
      e164s.push(n.e164);
      if (n.switchboardBase) bases.push(n.switchboardBase);
    }
    this.index.removeNumbers(id, e164s, bases);
  }

  private async persist(): Promise<void> {
    try {
      await this.cache.write({
        version: 1,
        baseUrl: this.opts.client.baseUrl,
        lastFullCrawl: this.lastFullCrawl,
        lastRefresh: this.lastRefresh,
        deletionMark: this.deletionMark,
        addressees: [...this.records.values()],
      });
    } catch (e) {
      this.opts.logger.warn('Kontakt-Zwischenspeicher nicht geschrieben / could not write contact cache', { file: this.opts.cacheFile, error: String(e) });
    }
  }

  private fail(e: unknown): void {
    const err = e instanceof DatevConnectError ? e : new DatevConnectError('malformed', String(e));
    const key = `${err.kind}|${err.details.httpStatus ?? ''}|${err.details.code ?? ''}`;
    if (this.error?.key === key) {
      this.opts.logger.debug('DATEVconnect weiterhin gestört / DATEVconnect still failing', { kind: err.kind, message: err.message });
      this.error = { ...this.error, err };
      return;
    }
    this.error = { err, since: this.opts.clock.now(), key };
    const s = err.support;
    this.opts.logger.error(`DATEVconnect: ${s.de} / ${s.en}`, {
      kind: err.kind,
      httpStatus: err.details.httpStatus,
      code: err.details.code,
      detail: err.message,
      url: err.details.url,
      keptAddressees: this.records.size,
    });
  }
}

/** Adds an addressee's phones to the index; returns how many could not be understood. */
function addRecord(index: PhoneIndex, rec: AddresseeRecord, rules: NumberRules): number {
  let unusable = 0;
  const who = { id: rec.id, name: rec.name, dataSource: DATA_SOURCE_ADRESSATEN };
  for (const p of rec.phones) {
    let n = parseStoredNumber(p.raw, rules);
    // number_standardized is kept only where the typed text cannot be read (saves memory and disk).
    if (n) p.std = undefined;
    else n = parseStoredNumber(p.raw, rules, p.std);
    if (!n) {
      unusable++;
      continue;
    }
    index.add(rec.id, n.e164, who, p.raw || p.std || '', phoneScore(rec, p), n.switchboardBase);
  }
  return unusable;
}

/** Builds a fresh index from addressee records. */
export function indexRecords(records: Iterable<AddresseeRecord>, rules: NumberRules): { index: PhoneIndex; unusable: number } {
  const index = new PhoneIndex(false);
  let unusable = 0;
  for (const rec of records) unusable += addRecord(index, rec, rules);
  return { index, unusable };
}

function maxTimestamp(records: Iterable<AddresseeRecord>): string {
  let max = '';
  for (const r of records) if (r.timestamp > max) max = r.timestamp;
  return max;
}

/** Runs `fn` over `items` with at most `limit` in flight; stops taking new items after the first error and rethrows it. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { e: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { e: unknown }).e;
}
