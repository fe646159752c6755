/**
 * The DATEVconnect contact source: crawls all addressees with their communications in the background
 * (bounded concurrency), refreshes incrementally by `timestamp` and the deletion log, rebuilds fully on
 * a schedule, persists the index per user so a restart does not wait for a crawl. On any failure the
 * last good index stays in use, the problem is logged once and shown by `status()`.
 *
 * Failures: an addressee that cannot be read does not fail the run (it keeps its cached data and is
 * asked for again at the next refresh) unless so many fail that the server is sick. A failed run is
 * retried with exponential back-off; a failed full rebuild next to a good cache does not stop the
 * incremental refreshes. After a 401 nothing is retried on the timer until the credentials change
 * (each try would be a failed Windows logon and lock the account).
 *
 * The index is a compact table (table/addresseeTable.ts), replaced as a whole when a crawl or a
 * refresh finishes; every long step (list parsing, building, saving, loading) works in time slices so
 * the JavaScript thread is never blocked for long.
 */
import { DATA_SOURCE_ADRESSATEN } from '../../datev/callData';
import type { Clock } from '../../util/clock';
import type { FileCodec } from '../jsonFile';
import type { Logger } from '../logger';
import type { NumberRules } from '../numbers';
import type { IndexMatch } from '../phoneIndex';
import type { Contact } from '../port';
import { DEFAULT_SLICE_MS, Slicer } from '../slicer';
import { AddresseeTable } from '../table/addresseeTable';
import { TableBuilder } from '../table/builder';
import type { DatevConnectClient } from './client';
import { DatevConnectError, type DatevConnectErrorKind } from './errors';
import { AddresseeFailures, backoffMs, failsTheRun } from './failures';
import { toRecord, type AddresseeRecord } from './records';
import { recordAt, TableCache } from './tableCache';

export interface DatevConnectSourceOptions {
  client: DatevConnectClient;
  rules: NumberRules;
  /** Per-user cache file. */
  cacheFile: string;
  /** The cache file of versions before the compact table: read once when `cacheFile` is missing, removed after the next save. */
  legacyCacheFile?: string;
  codec?: FileCodec;
  clock: Clock;
  logger: Logger;
  /** Parallel addressee requests during a crawl. */
  concurrency: number;
  /** Incremental refresh period. */
  refreshIntervalMs: number;
  /** Full rebuild period (catches edits that do not bump `timestamp`). */
  fullRebuildIntervalMs: number;
  /** Wait after a failed run before trying again (doubled after each further failure); also how often a new password is looked for after a 401. */
  retryDelayMs: number;
  /** Longest wait between failed runs (default 30 min). */
  maxRetryDelayMs?: number;
  /** After a 401 with credentials whose change cannot be noticed (Windows sign-in): wait before the next try (default 30 min). */
  unauthorizedRetryMs?: number;
  /** Called after the index changed; `deletedIds` lists addressees DATEV deleted. */
  onChange?: (deletedIds: ReadonlySet<string>) => void;
  /** Longest piece of index work between two pauses for the event loop (default DEFAULT_SLICE_MS). */
  sliceMs?: number;
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
  /** When the next timed attempt (or password check) is due. */
  nextAttempt?: string;
  /** Addressees the last run could not read (kept from the cache or left out; asked for again at the next refresh). */
  failedAddressees: number;
  /** DATEVconnect refused the credentials: no timed request until a new password is stored (when a change cannot be noticed: one every 30 min). */
  waitingForNewPassword: boolean;
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

/** Default longest back-off between failed runs, and the wait after a 401 that no password change can end. */
const DEFAULT_MAX_RETRY_MS = 30 * 60_000;
/** A full crawl may not drop more than half of a cached table of at least this many addressees … */
const SHRINK_GUARD_MIN_ROWS = 20;
/** … unless this many full crawls in a row agree. */
const SHRINK_CONFIRMATIONS = 3;

/** A full crawl that would drop most of the cached table: the old table is kept. */
class ShrinkRefused extends Error {
  constructor(
    readonly cached: number,
    readonly crawled: number,
  ) {
    super(`full crawl found ${crawled} of ${cached} cached addressees`);
  }
}

export class DatevConnectSource {
  private table: AddresseeTable;
  private lastFullCrawl = 0;
  private lastRefresh = 0;
  private deletionMark = '';
  private fromCache = false;
  private state: SourceState = 'idle';
  private error: { err: DatevConnectError; since: Date; key: string } | null = null;
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly cache: TableCache;
  /** Failed runs in a row (back-off). */
  private failures = 0;
  /** Failed full crawls in a row next to a cache, and when the next one may run. */
  private fullFailures = 0;
  private fullRetryAt = 0;
  /** Full crawls in a row refused by the shrink guard. */
  private shrinkRefusals = 0;
  /** Addressees the last run could not read: asked for again at the next refresh. */
  private retryIds = new Set<string>();
  /** After a 401: the credential fingerprint that was refused (undefined: a change cannot be noticed). */
  private authBlock: { key: string | undefined } | null = null;
  private nextAttemptAt = 0;

  constructor(private readonly opts: DatevConnectSourceOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 32) {
      throw new RangeError(`DATEVconnect concurrency must be 1..32, got ${String(opts.concurrency)}`);
    }
    this.cache = new TableCache({ ...opts, baseUrl: opts.client.baseUrl });
    this.table = AddresseeTable.empty(DATA_SOURCE_ADRESSATEN);
  }

  /** Loads the per-user cache (in time slices) and schedules the background crawl/refresh. */
  async start(): Promise<void> {
    this.stopped = false;
    // runs like a refresh: a refresh asked for meanwhile waits, and its result is not overwritten by the cache
    while (this.running) await this.running;
    this.running = this.loadCache().finally(() => {
      this.running = null;
    });
    await this.running;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.state = 'stopped';
  }

  find(e164: string): IndexMatch | null {
    return this.table.find(e164);
  }

  /** The addressees whose (lower-cased) name `matches`, at most `limit`, in slices. */
  async searchNames(matches: (lowerName: string) => boolean, limit: number, slicer: Slicer): Promise<Contact[]> {
    const table = this.table;
    const out: Contact[] = [];
    for (let row = 0; row < table.rows && out.length < limit; row++) {
      if (matches(table.nameAt(row).toLocaleLowerCase('de'))) out.push(table.rowContact(row));
      if ((row & 511) === 0) await slicer.tick();
    }
    return out;
  }

  get ready(): boolean {
    return this.lastFullCrawl > 0;
  }

  /** Bytes the index holds (columns and id hash). */
  get indexBytes(): number {
    return this.table.byteLength;
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
      addressees: this.table.rows,
      numbers: this.table.size,
      unusableNumbers: this.table.unusable,
      failedAddressees: this.retryIds.size,
      waitingForNewPassword: this.authBlock !== null,
    };
    if (this.lastFullCrawl) s.lastFullCrawl = new Date(this.lastFullCrawl).toISOString();
    if (this.lastRefresh) s.lastRefresh = new Date(this.lastRefresh).toISOString();
    if (this.cancelTimer) s.nextAttempt = new Date(this.nextAttemptAt).toISOString();
    if (this.error) {
      const { err, since } = this.error;
      const support = err.support;
      s.lastError = { kind: err.kind, message: err.message, de: support.de, en: support.en, since: since.toISOString() };
      if (err.details.httpStatus !== undefined) s.lastError.httpStatus = err.details.httpStatus;
      if (err.details.code !== undefined) s.lastError.code = err.details.code;
    }
    return s;
  }

  private async loadCache(): Promise<void> {
    const { loaded, problem } = await this.cache.read(this.slicer());
    if (loaded && loaded.meta.baseUrl === this.opts.client.baseUrl) {
      this.table = loaded.table;
      this.lastFullCrawl = loaded.meta.lastFullCrawl;
      this.lastRefresh = loaded.meta.lastRefresh;
      this.deletionMark = loaded.meta.deletionMark;
      this.fromCache = true;
      this.state = 'ready';
      this.opts.logger.info('DATEV-Kontakte aus dem Zwischenspeicher geladen / DATEV contacts loaded from cache', { addressees: this.table.rows, numbers: this.table.size });
      this.opts.onChange?.(new Set());
      if (loaded.save) await this.persist();
    } else if (problem !== undefined) {
      this.opts.logger.warn('Kontakt-Zwischenspeicher unlesbar, lade neu von DATEVconnect / contact cache unreadable, crawling again', { file: this.opts.cacheFile, error: problem });
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer?.();
    this.nextAttemptAt = this.opts.clock.now().getTime() + ms;
    this.cancelTimer = this.opts.clock.setTimeout(() => {
      this.cancelTimer = null;
      void this.tick();
    }, ms);
  }

  /** A timer run: refreshes unless it waits for new credentials, then schedules the next one. */
  private async tick(): Promise<void> {
    if (await this.mayTry()) await this.refreshNow();
    this.schedule(this.nextDelay());
  }

  /** False while a refused password is still the stored one. */
  private async mayTry(): Promise<boolean> {
    const block = this.authBlock;
    if (block === null || block.key === undefined) return true;
    const key = await this.opts.client.credentialKey().catch(() => undefined);
    return key !== undefined && key !== block.key;
  }

  private nextDelay(): number {
    const maxMs = this.opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_MS;
    if (this.authBlock) return this.authBlock.key === undefined ? (this.opts.unauthorizedRetryMs ?? DEFAULT_MAX_RETRY_MS) : this.opts.retryDelayMs;
    if (this.failures > 0) return backoffMs(this.failures, this.opts.retryDelayMs, maxMs);
    return this.opts.refreshIntervalMs;
  }

  /** Full when asked, when nothing is cached, or when the rebuild is due and not waiting after a failed one. */
  private wantsFull(forceFull: boolean, now: number): boolean {
    if (forceFull || !this.ready) return true;
    return now - this.lastFullCrawl >= this.opts.fullRebuildIntervalMs && now >= this.fullRetryAt;
  }

  private async run(forceFull: boolean): Promise<void> {
    if (this.stopped) return;
    const now = this.opts.clock.now().getTime();
    const full = this.wantsFull(forceFull, now);
    this.state = full ? 'crawling' : 'refreshing';
    const credential = await this.opts.client.credentialKey().catch(() => undefined);
    try {
      const changed = full ? await this.crawl() : await this.refresh();
      this.succeeded(full);
      if (changed && !this.stopped) await this.persist();
    } catch (e) {
      if (e instanceof ShrinkRefused) this.shrinkRefused(e);
      else this.failed(e, full, credential);
    }
    this.state = this.stopped ? 'stopped' : this.error ? 'error' : 'ready';
  }

  private succeeded(full: boolean): void {
    if (this.error) {
      this.opts.logger.info('DATEVconnect wieder erreichbar / DATEVconnect reachable again', { after: this.error.key });
      this.error = null;
    }
    this.failures = 0;
    this.authBlock = null;
    if (full) {
      this.fullFailures = 0;
      this.fullRetryAt = 0;
      this.shrinkRefusals = 0;
    }
  }

  private failed(e: unknown, full: boolean, credential: string | undefined): void {
    this.fail(e);
    this.failures++;
    if (full && this.ready) this.deferFullCrawl();
    if (e instanceof DatevConnectError && e.kind === 'unauthorized') this.blockUntilNewCredentials(credential);
    else if (this.authBlock?.key !== undefined && credential !== this.authBlock.key) {
      // a new password was tried and not refused (the server failed otherwise): the usual back-off applies
      this.authBlock = null;
    }
  }

  /** The next full crawl waits (refresh interval doubling up to the maximum); incremental refreshes go on meanwhile. */
  private deferFullCrawl(): void {
    this.fullFailures++;
    const base = Math.max(this.opts.refreshIntervalMs, this.opts.retryDelayMs);
    const wait = backoffMs(this.fullFailures, base, Math.max(base, this.opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_MS));
    this.fullRetryAt = this.opts.clock.now().getTime() + wait;
  }

  /** After a 401: no timed request until the credentials change (or, when that cannot be noticed, rarely). */
  private blockUntilNewCredentials(credential: string | undefined): void {
    const first = this.authBlock === null;
    this.authBlock = { key: credential };
    if (!first) return;
    if (credential !== undefined) {
      this.opts.logger.warn(
        'DATEVconnect: Kennwort abgelehnt – keine weiteren Anmeldeversuche, bis ein neues Kennwort gespeichert ist (wildix-datev-cti --set-datevconnect-password), damit das Konto nicht gesperrt wird / password refused – no further sign-in attempts until a new password is stored, so the account is not locked',
        { auth: this.opts.client.authDescription },
      );
    } else {
      const minutes = Math.round((this.opts.unauthorizedRetryMs ?? DEFAULT_MAX_RETRY_MS) / 60_000);
      this.opts.logger.warn(`DATEVconnect: Anmeldung abgelehnt – nächster Versuch erst in ${minutes} Minuten, damit das Konto nicht gesperrt wird / sign-in refused – next attempt in ${minutes} minutes, so the account is not locked`, {
        auth: this.opts.client.authDescription,
      });
    }
  }

  private shrinkRefused(e: ShrinkRefused): void {
    this.shrinkRefusals++;
    this.deferFullCrawl();
    this.opts.logger.warn('DATEV-Kontakte: vollständiges Einlesen fand viel weniger Adressaten, bisherige Kontakte behalten, später neuer Versuch / full crawl found far fewer addressees, kept the cached contacts, will try again', {
      cached: e.cached,
      crawled: e.crawled,
      attempt: this.shrinkRefusals,
      acceptedAfter: SHRINK_CONFIRMATIONS,
    });
  }

  /**
   * Full crawl into a fresh table; swapped in only when complete. An addressee that cannot be read
   * keeps its cached data (or is left out) and is asked for again at the next refresh.
   */
  private async crawl(): Promise<boolean> {
    const started = Date.now();
    const slicer = this.slicer();
    const ids = await this.listAllIds(slicer);
    const previous = this.table;
    await previous.prepareRowOf(slicer);
    const builder = new TableBuilder(this.opts.rules, undefined, ids.length);
    const failures = await this.fetchAddressees(ids, (rec) => builder.add(rec));
    for (const id of failures.ids) {
      const row = previous.rowOf(id);
      if (row >= 0) builder.add(recordAt(previous, row));
    }
    const table = await builder.finish(slicer);
    await table.prepareRowOf(slicer);
    const deleted = new Set<string>();
    for (let r = 0; r < previous.rows; r++) {
      const id = previous.idAt(r);
      if (table.rowOf(id) < 0) deleted.add(id);
      if (slicer.due()) await slicer.yield();
    }
    this.guardShrink(previous.rows, table.rows, deleted.size);
    this.table = table;
    this.retryIds = new Set(failures.ids);
    this.lastFullCrawl = this.lastRefresh = this.opts.clock.now().getTime();
    this.deletionMark = table.maxTimestamp();
    this.fromCache = false;
    this.opts.logger.info('DATEV-Kontakte vollständig eingelesen / DATEV contacts crawled', {
      addressees: table.rows,
      numbers: table.size,
      unusableNumbers: table.unusable,
      failedAddressees: failures.count,
      ms: Date.now() - started,
    });
    this.opts.onChange?.(deleted);
    return true;
  }

  /** The ids of all addressees, each once, in list order. */
  private async listAllIds(slicer: Slicer): Promise<string[]> {
    const list = await this.opts.client.listAddresseeStamps();
    const seen = new Set<string>();
    const ids: string[] = [];
    for (const a of list) {
      if (!seen.has(a.id)) {
        seen.add(a.id);
        ids.push(a.id);
      }
      if (slicer.due()) await slicer.yield();
    }
    return ids;
  }

  /** Throws ShrinkRefused when the crawl would drop more than half of a big cached table (until crawls in a row confirm it). */
  private guardShrink(cached: number, crawled: number, dropped: number): void {
    if (cached < SHRINK_GUARD_MIN_ROWS || dropped <= cached / 2) return;
    if (this.shrinkRefusals + 1 < SHRINK_CONFIRMATIONS) throw new ShrinkRefused(cached, crawled);
    this.opts.logger.warn('DATEV-Kontakte: deutlich weniger Adressaten, mehrfach bestätigt, übernommen / far fewer addressees, confirmed by several full crawls, accepted', { cached, crawled });
  }

  /**
   * Fetches `ids` with bounded concurrency, handing each record to `add` and each id DATEV no longer
   * has to `gone`. A failing addressee is counted (and logged once for the run), not thrown; the run
   * fails as a whole on a failure that concerns every request (401) or when the server is sick.
   */
  private async fetchAddressees(ids: readonly string[], add: (rec: AddresseeRecord) => void, gone?: (id: string) => void): Promise<AddresseeFailures> {
    const failures = new AddresseeFailures(ids.length, new Set(this.retryIds));
    await mapLimit(ids, this.opts.concurrency, async (id) => {
      let detail: Record<string, unknown> | null;
      try {
        detail = await this.opts.client.getAddressee(id);
      } catch (e) {
        if (failsTheRun(e)) throw e;
        failures.add(id, e as DatevConnectError);
        if (failures.hopeless()) throw failures.asRunError();
        return;
      }
      failures.ok();
      const rec = detail ? toRecord(detail) : null;
      if (rec) add(rec);
      else gone?.(id);
    });
    if (failures.tooMany()) throw failures.asRunError();
    if (failures.count > 0) {
      this.opts.logger.warn('DATEV-Adressaten konnten nicht gelesen werden, neuer Versuch bei der nächsten Aktualisierung / DATEV addressees could not be read, tried again at the next refresh', failures.summary());
    }
    return failures;
  }

  /** Incremental: addressees with timestamp ≥ the newest known one and those that failed last time, plus the deletion log. */
  private async refresh(): Promise<boolean> {
    const slicer = this.slicer();
    const table = this.table;
    await table.prepareRowOf(slicer);
    const mark = table.maxTimestamp();
    const changedList = await this.opts.client.listAddresseeStamps(mark ? `timestamp ge ${mark}` : undefined);
    const deletions = this.deletionMark ? await this.opts.client.deletionLog(`timestamp ge ${this.deletionMark}`) : await this.opts.client.deletionLog();
    const toFetch = new Set<string>();
    for (const a of changedList) {
      const row = table.rowOf(a.id);
      if (row < 0 || a.timestamp === '' || a.timestamp !== table.timestampAt(row)) toFetch.add(a.id);
      if (slicer.due()) await slicer.yield();
    }
    for (const id of this.retryIds) toFetch.add(id);
    const fetched: AddresseeRecord[] = [];
    const gone = new Set<string>();
    const failures = await this.fetchAddressees([...toFetch], (rec) => fetched.push(rec), (id) => gone.add(id));
    this.retryIds = new Set(failures.ids);
    const deleted = new Set<string>();
    for (const d of deletions) {
      if (table.rowOf(d.id) >= 0) deleted.add(d.id);
      if (d.timestamp > this.deletionMark) this.deletionMark = d.timestamp;
    }
    for (const id of gone) if (table.rowOf(id) >= 0) deleted.add(id);
    for (const rec of fetched) deleted.delete(rec.id);
    this.lastRefresh = this.opts.clock.now().getTime();
    const changed = fetched.length > 0 || deleted.size > 0;
    if (!changed) return false;
    const drop = new Uint8Array(table.rows);
    for (const id of [...deleted, ...fetched.map((f) => f.id)]) {
      const row = table.rowOf(id);
      if (row >= 0) drop[row] = 1;
    }
    const builder = await TableBuilder.from(table, (row) => drop[row] === 0, this.opts.rules, slicer);
    for (const rec of fetched) {
      builder.add(rec);
      if (slicer.due()) await slicer.yield();
    }
    this.table = await builder.finish(slicer);
    this.opts.logger.info('DATEV-Kontakte aktualisiert / DATEV contacts refreshed', { changed: fetched.length, deleted: deleted.size });
    this.opts.onChange?.(deleted);
    return true;
  }

  private async persist(): Promise<void> {
    const times = { lastFullCrawl: this.lastFullCrawl, lastRefresh: this.lastRefresh, deletionMark: this.deletionMark };
    await this.cache.write(this.table, times, this.slicer());
  }

  private slicer(): Slicer {
    return new Slicer(this.opts.sliceMs ?? DEFAULT_SLICE_MS);
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
      keptAddressees: this.table.rows,
    });
  }
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
