/** The journal store contract against the in-memory fake and the file store; the file's own failure modes. */
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { entry, journalContract } from '../../contracts/journal.contract';
import type { JournalDisk } from '../../contracts/harness';
import type { FileCodec } from '../../src/contacts/jsonFile';
import { FileRecordLog } from '../../src/journal/fileLog';
import { FileJournalStore } from '../../src/journal/fileStore';
import { MemoryLogger } from '../../src/logging/logger';
import { ManualClock } from '../../fakes/clock/manualClock';
import { MemoryJournal } from '../../fakes/journal/memoryJournal';
import { COMPACT_SLACK, RETRY_FIRST_MS, RETRY_MAX_MS } from '../../src/journal/logStore';
import { stepSlicer } from '../../fakes/clock/stepSlicer';

/** Stands in for DPAPI: the bytes on disk are not the plain key. */
const xorCodec: FileCodec = {
  encode: async (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
  decode: async (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
};

const now = new Date(2026, 11, 2, 12, 0, 0);
const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'wcti-journal-')), 'journal.dat');

journalContract('in-memory fake', async () => {
  const log = new MemoryLogger();
  const store = new MemoryJournal(undefined, log);
  const d = store.disk;
  const disk: JournalDisk = {
    records: async () => d.recordCount(),
    tearLast: async () => d.tearLast(),
    corrupt: async (i) => d.corrupt(i),
    holdNextRewrite: () => d.holdNextRewrite(),
    failWrites: async (fail) => {
      d.failWrites = fail;
    },
  };
  return { store, log, disk, reopen: async (at) => { const s = store.reopen(); await s.load(at); return s; }, dispose: async () => {} };
});

/** The file under a store: its lines (header first) and what a crash or a broken disk does to them. */
function fileDisk(file: string, gate: { hold?: { begun: () => void; released: Promise<void> } }): JournalDisk {
  const lines = (): { lines: string[]; tail: string } => {
    if (!existsSync(file) || !statSync(file).isFile()) return { lines: [], tail: '' };
    const all = readFileSync(file, 'latin1').split('\n');
    const tail = all.pop()!;
    return { lines: all, tail };
  };
  const aside = `${file}.aside`;
  return {
    records: async () => {
      const l = lines();
      return Math.max(0, l.lines.length - 1) + (l.tail ? 1 : 0);
    },
    tearLast: async () => {
      const l = lines();
      const last = l.lines.pop()!;
      writeFileSync(file, l.lines.map((x) => x + '\n').join('') + last.slice(0, Math.floor(last.length / 2)), 'latin1');
    },
    corrupt: async (i) => {
      const l = lines();
      l.lines[i + 1] = 'A'.repeat(l.lines[i + 1]!.length);
      writeFileSync(file, l.lines.map((x) => x + '\n').join('') + l.tail, 'latin1');
    },
    holdNextRewrite: () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const begun = new Promise<void>((r) => (gate.hold = { begun: r, released }));
      return { begun, release };
    },
    // a folder where the file belongs: neither an append nor a rename over it works
    failWrites: async (fail) => {
      if (fail) {
        if (existsSync(file)) renameSync(file, aside);
        mkdirSync(file);
        writeFileSync(join(file, 'x'), 'x');
      } else {
        rmSync(file, { recursive: true, force: true });
        if (existsSync(aside)) renameSync(aside, file);
      }
    },
  };
}

journalContract('file store (protected bytes)', async () => {
  const file = tempFile();
  const log = new MemoryLogger();
  const gate: { hold?: { begun: () => void; released: Promise<void> } } = {};
  // the file's key is sealed at the start of every rewrite: that is where a held rewrite waits
  const codec: FileCodec = {
    encode: async (b) => {
      const hold = gate.hold;
      if (hold) {
        gate.hold = undefined;
        hold.begun();
        await hold.released;
      }
      return xorCodec.encode(b);
    },
    decode: xorCodec.decode,
  };
  const store = new FileJournalStore(file, log, codec);
  return {
    store,
    log,
    disk: fileDisk(file, gate),
    reopen: async (at) => {
      const s = new FileJournalStore(file, log, codec);
      await s.load(at);
      return s;
    },
    dispose: async () => {},
  };
});

describe('file journal', () => {
  it('writes no plain text when the codec protects it: neither the key nor the records', async () => {
    const file = tempFile();
    const store = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await store.load(now);
    store.put(entry(1, now, { notes: [{ text: 'Vertraulich', at: now.toISOString(), state: 'pending', attempts: 0 }] }), now);
    await store.flush();
    store.put(entry(2, now, { contact: { name: 'Ärztekammer', id: 'I-1', dataSource: 'DATEV_Institutionen' } }), now);
    await store.flush();
    const text = readFileSync(file, 'latin1');
    expect(text.split('\n')).toHaveLength(4); // header, two records, the final line break
    for (const plain of ['Vertraulich', 'Müller', 'Ärztekammer', '4711', '+49 89']) {
      expect(readFileSync(file).includes(Buffer.from(plain))).toBe(false);
      expect(Buffer.from(text, 'latin1').toString('utf8').includes(plain)).toBe(false);
    }
  });

  it('a corrupt or foreign file starts an empty journal, logged once; it is replaced at the next change', async () => {
    const file = tempFile();
    writeFileSync(file, 'not what we wrote');
    const log = new MemoryLogger();
    const store = new FileJournalStore(file, log, xorCodec);
    await store.load(now);
    expect(store.entries()).toEqual([]);
    expect(log.entries.filter((e) => e.level === 'warn' && e.message.includes('cannot be read'))).toHaveLength(1);
    store.put(entry(1, now), now);
    await store.flush();
    const again = new FileJournalStore(file, log, xorCodec);
    await again.load(now);
    expect(again.entries()).toHaveLength(1);
  });

  it("another Windows user's file (its key does not open) starts an empty journal", async () => {
    const file = tempFile();
    const mine = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await mine.load(now);
    mine.put(entry(1, now), now);
    await mine.flush();
    const log = new MemoryLogger();
    const theirs = new FileJournalStore(file, log, {
      encode: xorCodec.encode,
      decode: async () => {
        throw new Error('DPAPI: the key was sealed for another user');
      },
    });
    await theirs.load(now);
    expect(theirs.entries()).toEqual([]);
    expect(log.has('warn', 'its key cannot be opened: DPAPI: the key was sealed for another user')).toBe(true);
  });

  it('a journal file locked for a moment at start (virus scanner, backup) is read once it is free; nothing is lost', async () => {
    const file = tempFile();
    const first = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await first.load(now);
    for (let i = 1; i <= 5; i++) first.put(entry(i, now), now);
    await first.flush();
    const busy = Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });
    const spy = vi.spyOn(fs.promises, 'readFile').mockRejectedValueOnce(busy).mockRejectedValueOnce(busy);
    const again = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await again.load(now);
    spy.mockRestore();
    expect(again.entries()).toHaveLength(5);
  });

  it('a journal file that cannot be read at all is kept aside, never overwritten: its calls can still be recovered', async () => {
    const file = tempFile();
    const first = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await first.load(now);
    for (let i = 1; i <= 5; i++) first.put(entry(i, now), now);
    await first.flush();
    const before = readFileSync(file);
    const denied = Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
    const spy = vi.spyOn(fs.promises, 'readFile').mockRejectedValue(denied);
    const log = new MemoryLogger();
    const again = new FileJournalStore(file, log, xorCodec);
    await again.load(now);
    spy.mockRestore();
    expect(again.entries()).toEqual([]);
    again.put(entry(6, now), now);
    await again.flush();
    const aside = readdirSync(join(file, '..')).filter((n) => n.startsWith('journal.dat.unreadable-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(file, '..', aside[0]!)).equals(before)).toBe(true);
    expect(log.has('warn', aside[0]!)).toBe(true);
    const recovered = new FileJournalStore(join(file, '..', aside[0]!), new MemoryLogger(), xorCodec);
    await recovered.load(now);
    expect(recovered.entries()).toHaveLength(5);
  });

  it("a file whose key does not open (another user's, a damaged profile) is kept aside at the first write, not overwritten", async () => {
    const file = tempFile();
    const mine = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await mine.load(now);
    mine.put(entry(1, now), now);
    await mine.flush();
    const theirs = new FileJournalStore(file, new MemoryLogger(), {
      encode: xorCodec.encode,
      decode: async () => {
        throw new Error('DPAPI: the key was sealed for another user');
      },
    });
    await theirs.load(now);
    theirs.put(entry(2, now), now);
    await theirs.flush();
    expect(readdirSync(join(file, '..')).filter((n) => n.startsWith('journal.dat.unreadable-'))).toHaveLength(1);
  });

  it('skips records of an unexpected shape and keeps the rest', async () => {
    const file = tempFile();
    await new FileRecordLog(file, xorCodec).rewrite([JSON.stringify(entry(1, now)), JSON.stringify({ callId: 5 }), JSON.stringify(entry(2, now, { datev: 'nonsense' as never })), '{']);
    const log = new MemoryLogger();
    const store = new FileJournalStore(file, log, xorCodec);
    await store.load(now);
    expect(store.entries().map((e) => e.callId)).toEqual([entry(1, now).callId]);
    expect(log.has('warn', '3 damaged records or entries of an unexpected shape skipped')).toBe(true);
  });

  it('a temp file left by a rewrite a hard kill interrupted is removed; the journal is whole', async () => {
    const file = tempFile();
    const store = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await store.load(now);
    store.put(entry(1, now), now);
    await store.flush();
    writeFileSync(`${file}.4242.tmp`, 'half a rewrite');
    const again = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await again.load(now);
    expect(again.entries()).toHaveLength(1);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['journal.dat']);
  });

  it('a folder that cannot be created fails flush (logged once) and keeps the entries in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wcti-journal-'));
    writeFileSync(join(dir, 'file'), 'x');
    const log = new MemoryLogger();
    const store = new FileJournalStore(join(dir, 'file', 'journal.dat'), log);
    await store.load(now);
    store.put(entry(1, now), now);
    await expect(store.flush()).rejects.toThrow();
    store.put(entry(2, now), now);
    await expect(store.flush()).rejects.toThrow();
    expect(log.entries.filter((e) => e.level === 'error')).toHaveLength(1);
    expect(store.entries()).toHaveLength(2);
  });
});

describe('journal limits', () => {
  it('a call DATEV does not have yet that the limits drop is logged with its CallID; delivered ones go quietly', async () => {
    const log = new MemoryLogger();
    const store = new MemoryJournal(undefined, log);
    await store.load(now);
    store.put(entry(1, now, { datev: 'pending' }), now);
    for (let i = 2; i <= 1001; i++) store.put(entry(i, new Date(now.getTime() + i * 1000), { datev: 'journal' }), now);
    store.put(entry(1002, new Date(now.getTime() + 1002 * 1000), { datev: 'live' }), now);
    const warnings = log.entries.filter((e) => e.level === 'warn' && e.message.includes('dropped by the journal'));
    expect(warnings.map((w) => w.meta?.callId)).toEqual([entry(1, now).callId]);
  });
});

describe('journal writes after a failure', () => {
  it('are tried again by themselves after a pause that doubles up to a minute; flush() tries at once', async () => {
    const clock = new ManualClock(now);
    const log = new MemoryLogger();
    const store = new MemoryJournal(undefined, log, clock);
    const disk = store.disk;
    await store.load(now);
    store.failWrites = true;
    store.put(entry(1, now), now);
    await expect(store.flush()).rejects.toThrow('disk full'); // flush waits for the write under way
    expect(disk.writes).toBe(1);
    let pause = RETRY_FIRST_MS;
    for (let i = 0; i < 12; i++) {
      clock.advance(pause - 1);
      await new Promise((r) => setImmediate(r)); // a try would have begun by now
      expect(disk.writes).toBe(1 + i);
      clock.advance(1);
      await vi.waitFor(() => expect(disk.writes).toBe(2 + i));
      await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
      pause = Math.min(RETRY_MAX_MS, pause * 2);
    }
    expect(pause).toBe(RETRY_MAX_MS);
    expect(log.entries.filter((e) => e.level === 'error')).toHaveLength(1);
    store.failWrites = false;
    store.put(entry(2, now), now); // waits for the retry: no write in between
    await new Promise((r) => setImmediate(r));
    expect(disk.writes).toBe(13);
    clock.advance(RETRY_MAX_MS);
    await vi.waitFor(() => expect(disk.recordCount()).toBe(2));
    expect(clock.pendingTimers).toBe(0);
    expect(log.has('info', 'written again after 13 failed attempts')).toBe(true);
    // a flush while a retry waits does not wait for it
    store.failWrites = true;
    store.put(entry(3, now), now);
    await expect(store.flush()).rejects.toThrow();
    store.failWrites = false;
    await store.flush();
    expect(store.disk.recordCount()).toBe(3);
  });
});

describe('LogJournalStore: a compaction does not hold the writes back', () => {
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
  };

  it('a change made while a compaction serialises the live entries (in slices) is on disk at once, also for a process killed before the compaction ends', async () => {
    const store = new MemoryJournal(undefined, undefined, undefined, stepSlicer(0)); // pauses after every entry
    await store.load(now);
    const live = 50;
    for (let i = 0; i < live; i++) store.put(entry(i, new Date(now.getTime() - 100_000 + i)), now);
    await store.flush();
    // change every entry again until the log holds more than 2 × 50 + COMPACT_SLACK records: the compaction begins
    let round = 0;
    while (store.disk.recordCount() <= 2 * live + COMPACT_SLACK) {
      round++;
      for (let i = 0; i < live; i++) store.put(entry(i, new Date(now.getTime() - 100_000 + i), { attempts: round }), now);
      await turns(3);
    }
    const rewrite = store.disk.holdNextRewrite();
    let rewriting = false;
    void rewrite.begun.then(() => (rewriting = true));
    for (let i = 0; i < live; i++) store.put(entry(i, new Date(now.getTime() - 100_000 + i), { attempts: 1000 }), now);
    await turns(5); // the compaction is under way: it pauses after every entry it serialises
    expect(rewriting).toBe(false);
    // a call ends now: its entry goes to the disk (appended to the old log) without waiting for the compaction
    const late = entry(500, now, { datev: 'journal' });
    store.put(late, now);
    await turns(5);
    expect(rewriting).toBe(false);
    const killed = new MemoryJournal(store.disk.copy());
    await killed.load(now);
    expect(killed.get(late.callId)).toMatchObject({ datev: 'journal' });
    // the compaction then ends with every entry in its last version
    const flushed = store.flush();
    await until(() => rewriting);
    rewrite.release();
    await flushed;
    expect(store.disk.recordCount()).toBe(live + 1);
    const after = store.reopen();
    await after.load(now);
    expect(after.entries()).toEqual(store.entries());
    expect(after.entries().filter((e) => e.attempts === 1000)).toHaveLength(live);
  });
});

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !f(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(f()).toBe(true);
}
