/**
 * A ZIP archive (PKWARE APPNOTE 6.3: local headers, central directory, end record; deflate, UTF-8
 * names) of a few files held in memory — what the support bundle needs, nothing more: no ZIP64 (the
 * bundle stays far below 4 GB and 65,535 entries), no encryption. Compression runs on libuv's thread
 * pool (zlib's asynchronous deflate), so a bundle of log files does not hold the JavaScript thread
 * that carries the calls' way to DATEV.
 */
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

const deflate = promisify(deflateRaw);

export interface ZipEntry {
  /** Path inside the archive, "/" between folders. */
  name: string;
  data: Uint8Array;
  /** Modification time (stored as local DOS time, as Windows' Explorer shows it). */
  mtime: Date;
}

/** ZIP's limits without ZIP64. */
const MAX_BYTES = 0xffffffff;
const MAX_ENTRIES = 0xffff;
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION = 20; // 2.0: deflate, folders

/** DOS date and time of `d` in local time (2-second steps; 1980 at the earliest). */
function dosTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** The archive of `entries`, in their order. Throws for names or sizes ZIP cannot hold without ZIP64. */
export async function zip(entries: readonly ZipEntry[]): Promise<Buffer> {
  if (entries.length > MAX_ENTRIES) throw new Error(`too many files for a ZIP without ZIP64: ${entries.length}`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    if (name.length === 0 || name.length > 0xffff || e.name.startsWith('/') || e.name.includes('\\')) throw new Error(`not a ZIP entry name: "${e.name}"`);
    if (e.data.length > MAX_BYTES) throw new Error(`${e.name} is too large for a ZIP without ZIP64`);
    const packed = await deflate(e.data, { level: constants.Z_DEFAULT_COMPRESSION });
    const crc = crc32(e.data);
    const { time, date } = dosTime(e.mtime);
    // the fields both headers carry, from "version needed" on (APPNOTE 4.3.7 and 4.3.12)
    const fields = (b: Buffer, at: number): void => {
      b.writeUInt16LE(VERSION, at);
      b.writeUInt16LE(UTF8_NAMES, at + 2);
      b.writeUInt16LE(DEFLATE, at + 4);
      b.writeUInt16LE(time, at + 6);
      b.writeUInt16LE(date, at + 8);
      b.writeUInt32LE(crc, at + 10);
      b.writeUInt32LE(packed.length, at + 14);
      b.writeUInt32LE(e.data.length, at + 18);
      b.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30); // + name; no extra field
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    const head = Buffer.alloc(46); // + name; no extra field or comment, disk 0, no attributes
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE(VERSION, 4); // made by: MS-DOS attributes, 2.0
    fields(head, 6);
    head.writeUInt32LE(offset, 42);
    parts.push(local, name, packed);
    central.push(head, name);
    offset += local.length + name.length + packed.length;
    if (offset > MAX_BYTES) throw new Error('the archive is too large for a ZIP without ZIP64');
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
