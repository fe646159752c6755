/**
 * The ZIP writer, read back by an independent reader written from PKWARE's APPNOTE (end record →
 * central directory → local headers), checking CRC-32, sizes, UTF-8 names and DOS times.
 */
import { describe, expect, it } from 'vitest';
import { crc32, inflateRawSync } from 'node:zlib';
import { zip } from '../../src/support/zip';

interface Read {
  name: string;
  data: Buffer;
  flags: number;
  time: number;
  date: number;
}

function unzip(buf: Buffer): Read[] {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBe(buf.length - 22);
  const count = buf.readUInt16LE(end + 10);
  expect(buf.readUInt16LE(end + 8)).toBe(count);
  let at = buf.readUInt32LE(end + 16);
  expect(at + buf.readUInt32LE(end + 12)).toBe(end);
  const out: Read[] = [];
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(at)).toBe(0x02014b50);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const csize = buf.readUInt32LE(at + 20);
    const usize = buf.readUInt32LE(at + 24);
    const nlen = buf.readUInt16LE(at + 28);
    const elen = buf.readUInt16LE(at + 30);
    const clen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nlen).toString('utf8');
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    // the local header repeats name, method, CRC and sizes
    expect([buf.readUInt16LE(local + 8), buf.readUInt32LE(local + 14), buf.readUInt32LE(local + 18), buf.readUInt32LE(local + 22)]).toEqual([method, crc, csize, usize]);
    const lnlen = buf.readUInt16LE(local + 26);
    const start = local + 30 + lnlen + buf.readUInt16LE(local + 28);
    expect(buf.subarray(local + 30, local + 30 + lnlen).toString('utf8')).toBe(name);
    expect(method).toBe(8);
    const data = inflateRawSync(buf.subarray(start, start + csize));
    expect([data.length, crc32(data)]).toEqual([usize, crc]);
    out.push({ name, data, flags: buf.readUInt16LE(at + 8), time: buf.readUInt16LE(at + 12), date: buf.readUInt16LE(at + 14) });
    at += 46 + nlen + elen + clen;
  }
  return out;
}

describe('ZIP writer', () => {
  it('writes files that an APPNOTE reader gets back byte for byte, with UTF-8 names and DOS times', async () => {
    const big = Buffer.from('2026-12-04 09:30:01 info TAPI LINE_CALLSTATE CONNECTED {"callId":"201-…"}\n'.repeat(20_000));
    const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    const mtime = new Date(2026, 11, 4, 9, 30, 17);
    const buf = await zip([
      { name: 'info.txt', data: Buffer.from('Müller & Söhne\r\n'), mtime },
      { name: 'logs/wildix-datev-cti-2026-12-04.log', data: big, mtime },
      { name: 'settings/user-Einstellungen für Ärzte.json', data: random, mtime },
      { name: 'empty.txt', data: Buffer.alloc(0), mtime },
    ]);
    const files = unzip(buf);
    expect(files.map((f) => f.name)).toEqual(['info.txt', 'logs/wildix-datev-cti-2026-12-04.log', 'settings/user-Einstellungen für Ärzte.json', 'empty.txt']);
    expect(files[0]!.data.toString()).toBe('Müller & Söhne\r\n');
    expect(files[1]!.data.equals(big)).toBe(true);
    expect(files[2]!.data.equals(random)).toBe(true);
    expect(files[3]!.data.length).toBe(0);
    expect(buf.length).toBeLessThan(big.length / 10); // log lines compress well
    for (const f of files) {
      expect(f.flags & 0x0800).toBe(0x0800); // names in UTF-8
      expect([f.time >> 11, (f.time >> 5) & 63, (f.time & 31) * 2]).toEqual([9, 30, 16]);
      expect([(f.date >> 9) + 1980, (f.date >> 5) & 15, f.date & 31]).toEqual([2026, 12, 4]);
    }
  });

  it('refuses names a ZIP must not hold', async () => {
    const mtime = new Date();
    for (const name of ['', '/etc/passwd', 'logs\\a.log']) {
      await expect(zip([{ name, data: Buffer.from('x'), mtime }])).rejects.toThrow('not a ZIP entry name');
    }
  });
});
