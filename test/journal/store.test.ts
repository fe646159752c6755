/** The journal store contract against the in-memory fake and the file store; the file's own failure modes. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entry, journalContract } from '../../contracts/journal.contract';
import type { FileCodec } from '../../src/contacts/jsonFile';
import { FileJournalStore } from '../../src/journal/fileStore';
import { MemoryLogger } from '../../src/logging/logger';
import { MemoryJournal } from '../../fakes/journal/memoryJournal';

/** Stands in for DPAPI: the bytes on disk are not the plain JSON. */
const xorCodec: FileCodec = {
  encode: async (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
  decode: async (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
};

journalContract('in-memory fake', async () => {
  const store = new MemoryJournal();
  return { store, reopen: async (now) => { const s = store.reopen(); await s.load(now); return s; }, dispose: async () => {} };
});

journalContract('file store (protected bytes)', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wcti-journal-')), 'journal.json');
  const log = new MemoryLogger();
  const store = new FileJournalStore(file, log, xorCodec);
  return {
    store,
    reopen: async (now) => {
      const s = new FileJournalStore(file, log, xorCodec);
      await s.load(now);
      return s;
    },
    dispose: async () => {},
  };
});

describe('file journal', () => {
  const now = new Date(2026, 11, 2, 12, 0, 0);

  it('writes no plain text when the codec protects it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wcti-journal-')), 'journal.json');
    const store = new FileJournalStore(file, new MemoryLogger(), xorCodec);
    await store.load(now);
    store.put(entry(1, now, { notes: [{ text: 'Vertraulich', at: now.toISOString(), state: 'pending', attempts: 0 }] }), now);
    await store.flush();
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from('Vertraulich'))).toBe(false);
    expect(bytes.includes(Buffer.from('Müller'))).toBe(false);
  });

  it('a corrupt or foreign file starts an empty journal, logged once; it is replaced at the next change', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wcti-journal-')), 'journal.json');
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

  it('skips entries of an unexpected shape and keeps the rest', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wcti-journal-')), 'journal.json');
    writeFileSync(file, JSON.stringify({ version: 1, entries: [entry(1, now), { callId: 5 }, entry(2, now, { datev: 'nonsense' as never })] }));
    const log = new MemoryLogger();
    const store = new FileJournalStore(file, log);
    await store.load(now);
    expect(store.entries().map((e) => e.callId)).toEqual([entry(1, now).callId]);
    expect(log.has('warn', '2 entries of an unexpected shape skipped')).toBe(true);
  });

  it('a folder that cannot be written fails flush (logged once) and keeps the entries in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wcti-journal-'));
    writeFileSync(join(dir, 'file'), 'x');
    const log = new MemoryLogger();
    const store = new FileJournalStore(join(dir, 'file', 'journal.json'), log);
    await store.load(now);
    store.put(entry(1, now), now);
    await expect(store.flush()).rejects.toThrow();
    store.put(entry(2, now), now);
    await expect(store.flush()).rejects.toThrow();
    expect(log.entries.filter((e) => e.level === 'error')).toHaveLength(1);
    expect(store.entries()).toHaveLength(2);
  });
});
