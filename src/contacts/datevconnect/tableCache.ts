/**
 * The DATEVconnect source's per-user cache: the compact table with when it was crawled and refreshed,
 * read at start (also from the JSON file of versions before the table, converted once) and written after
 * every change. Numbers are parsed again when the number settings changed since the file was written.
 */
import { promises as fs } from 'node:fs';
import { DATA_SOURCE_ADRESSATEN } from '../../datev/callData';
import { BlobFile, type FileCodec } from '../jsonFile';
import type { Logger } from '../logger';
import type { NumberRules } from '../numbers';
import type { Slicer } from '../slicer';
import type { AddresseeTable } from '../table/addresseeTable';
import { TableBuilder } from '../table/builder';
import { decodeTable, encodeTable, isTableFile, type TableMeta } from '../table/tableCodec';
import { looksLikeJson, readLegacyCache } from './legacyCache';
import type { AddresseeRecord } from './records';

/** When the cached table was crawled and refreshed, and from which server. */
export type CacheTimes = Pick<TableMeta, 'baseUrl' | 'lastFullCrawl' | 'lastRefresh' | 'deletionMark'>;

/** The cached table (`save`: it was converted and should be written in the current form), or why there is none. */
export interface CacheRead {
  loaded?: { table: AddresseeTable; meta: CacheTimes; save: boolean };
  problem?: string;
}

/** The number rules that decide the stored keys (a change re-reads the numbers of the cache). */
export function numbersKey(rules: NumberRules): string {
  return JSON.stringify([rules.country, rules.areaCode]);
}

export class TableCache {
  private readonly file: BlobFile;
  private legacyRemoved = false;

  constructor(
    private readonly o: { cacheFile: string; legacyCacheFile?: string; codec?: FileCodec; rules: NumberRules; baseUrl: string; logger: Logger },
  ) {
    this.file = new BlobFile(o.cacheFile, o.codec);
  }

  /** The cached table, in time slices; the old JSON file when there is no table file yet. */
  async read(slicer: Slicer): Promise<CacheRead> {
    let r = await this.file.read();
    if (!r.ok && r.missing && this.o.legacyCacheFile) r = await new BlobFile(this.o.legacyCacheFile, this.o.codec).read();
    if (!r.ok) return { problem: r.error };
    if (isTableFile(r.value)) {
      const d = await decodeTable(r.value, slicer);
      if (!d.ok) return { problem: d.error };
      if (d.meta.baseUrl !== this.o.baseUrl || d.meta.rules === numbersKey(this.o.rules)) return { loaded: { table: d.table, meta: d.meta, save: false } };
      this.o.logger.info('Rufnummern-Einstellungen geändert, Nummern des Zwischenspeichers werden neu gelesen / number settings changed, re-reading cached numbers', {});
      return { loaded: { table: await this.reindex(d.table, slicer), meta: d.meta, save: true } };
    }
    if (!looksLikeJson(r.value)) return { problem: 'unknown file format' };
    try {
      const builder = new TableBuilder(this.o.rules);
      const meta = await readLegacyCache(r.value, slicer, (rec) => builder.add(rec));
      const table = await builder.finish(slicer);
      this.o.logger.info('Kontakt-Zwischenspeicher ins kompakte Format übernommen / contact cache migrated to the compact format', { addressees: table.rows });
      return { loaded: { table, meta, save: true } };
    } catch (e) {
      return { problem: `old format: ${String(e)}` };
    }
  }

  /** The table again with every number parsed under the current rules (after a settings change). */
  private async reindex(table: AddresseeTable, slicer: Slicer): Promise<AddresseeTable> {
    const builder = new TableBuilder(this.o.rules);
    for (let r = 0; r < table.rows; r++) {
      builder.add(recordAt(table, r));
      if (slicer.due()) await slicer.yield();
    }
    return builder.finish(slicer);
  }

  /** Writes the table with its times; the old JSON file goes with the first write. Never throws (logged). */
  async write(table: AddresseeTable, times: Omit<CacheTimes, 'baseUrl'>, slicer: Slicer): Promise<void> {
    try {
      const meta: TableMeta = { baseUrl: this.o.baseUrl, rules: numbersKey(this.o.rules), ...times, dataSource: DATA_SOURCE_ADRESSATEN };
      await this.file.write(await encodeTable(table, meta, slicer));
      if (this.o.legacyCacheFile && !this.legacyRemoved) {
        await fs.rm(this.o.legacyCacheFile, { force: true });
        this.legacyRemoved = true;
      }
    } catch (e) {
      this.o.logger.warn('Kontakt-Zwischenspeicher nicht geschrieben / could not write contact cache', { file: this.o.cacheFile, error: String(e) });
    }
  }
}

/** The addressee of a table row as a record (to keep it when a crawl could not read it again). */
export function recordAt(table: AddresseeTable, row: number): AddresseeRecord {
  return { id: table.idAt(row), name: table.nameAt(row), active: table.activeAt(row), timestamp: table.timestampAt(row), phones: table.phonesOf(row) };
}
