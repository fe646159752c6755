/**
 * The journal of the Windows user as a file: an append-only log of DPAPI-protected records
 * (src/journal/fileLog.ts) under the log store (src/journal/logStore.ts). A file that cannot be read
 * (corrupt, another user's, locked) starts an empty journal, logged once, and is kept aside at the next
 * change (journal.dat.unreadable-<time>);
 * damaged records and a record cut short by a crash are skipped. A `journal.json` left by a development
 * build before this format is not read (and not deleted).
 */
import type { FileCodec } from '../contacts/jsonFile';
import type { Logger } from '../logging/logger';
import type { Clock } from '../util/clock';
import { FileRecordLog } from './fileLog';
import { LogJournalStore } from './logStore';

/** The journal's file in the user's data folder (%LOCALAPPDATA%\Wildix\DatevCti). */
export const JOURNAL_FILE = 'journal.dat';

export class FileJournalStore extends LogJournalStore {
  /** `timers`: for tests (the retry after a failed write). */
  constructor(path: string, log: Logger, codec?: FileCodec, timers?: Clock) {
    super(new FileRecordLog(path, codec), log, timers);
  }
}
