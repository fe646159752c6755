/**
 * The journal's file (`%LOCALAPPDATA%\Wildix\DatevCti\journal.dat`), text lines:
 *   WXJ1 <the file's key sealed by the codec, base64>      (DPAPI for the Windows user)
 *   <record: IV ‖ AES-256-GCM(JSON of one entry) ‖ tag, base64>
 *   …
 * Appends add lines (one write per batch, flushed to disk); a rewrite writes a new file with a new key
 * next to the old one (temp file, flushed, renamed over it), so a hard kill leaves the old or the new
 * file, whole. At a read a line that does not decrypt (damaged) is skipped, and so is a last line
 * without its line break (cut short by a crash: the log is then rewritten before the next append).
 * A file that cannot be read (locked for longer than a moment, access denied, its key does not open:
 * another Windows user's, a damaged profile) is never overwritten: at the first write it is renamed to
 * `journal.dat.unreadable-<time>` and kept, so its calls can still be recovered.
 * DPAPI seals only the 32-byte key, once per file — not every record (DPAPI is slow under Wine and would
 * run once per record at every start); only the same Windows user can open the key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { close, fdatasync, open as openFd, promises as fs, write } from 'node:fs';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import { Slicer } from '../contacts/slicer';
import { plainCodec, type FileCodec } from '../contacts/jsonFile';
import { keepAside, readPatiently, removeStaleTemps, replaceFile, unreadableName } from '../util/safeFile';
import type { LogContents, RecordLog } from './logStore';

const openAsync = promisify(openFd);
const writeAsync = promisify(write);
const datasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

const MAGIC = 'WXJ1 ';
const KEY = 32;
const IV = 12;
const TAG = 16;

export class FileRecordLog implements RecordLog {
  private key: Buffer | undefined;
  /** The file, open for appends between them (a plain descriptor: closed before a rename, after a failure). */
  private fd: number | undefined;
  /** The file there could not be read: where it goes before the first write (undefined: nothing to keep). */
  private keepAs: string | undefined;

  constructor(
    readonly path: string,
    private readonly codec: FileCodec = plainCodec,
  ) {}

  get name(): string {
    return this.path;
  }

  async read(): Promise<LogContents> {
    await this.closeFile();
    this.key = undefined;
    await removeStaleTemps(this.path); // left by a rewrite a hard kill interrupted (the journal itself is whole)
    this.keepAs = undefined;
    let bytes: Buffer;
    try {
      bytes = await readPatiently(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], damaged: 0, torn: false, appendable: false };
      return this.unreadable(String(e));
    }
    const lines = bytes.toString('latin1').split('\n');
    const tail = lines.pop()!; // '' when the file ends with a line break
    const header = lines[0];
    if (header === undefined || !header.startsWith(MAGIC)) return this.unreadable('not a journal file of this program');
    let key: Buffer;
    try {
      key = Buffer.from(await this.codec.decode(Buffer.from(header.slice(MAGIC.length), 'base64')));
    } catch (e) {
      return this.unreadable(`its key cannot be opened: ${(e as Error).message}`);
    }
    if (key.length !== KEY) return this.unreadable('damaged key');
    const records: string[] = [];
    let damaged = 0;
    const slicer = new Slicer();
    for (let i = 1; i < lines.length; i++) {
      const r = open(lines[i]!, key);
      if (r === undefined) damaged++;
      else records.push(r);
      if (slicer.due()) await slicer.yield();
    }
    this.key = key;
    const torn = tail.length > 0;
    return { records, damaged, torn, appendable: !torn };
  }

  /** The file is there but cannot be used: it is kept aside at the first write, never overwritten. */
  private unreadable(why: string): LogContents {
    this.keepAs = unreadableName(this.path, new Date());
    return { records: [], damaged: 0, torn: false, appendable: false, problem: `${why}; the file is kept as ${basename(this.keepAs)} at the first write` };
  }

  async append(records: readonly string[]): Promise<void> {
    const key = this.key;
    if (!key) throw new Error('the journal file has no key yet (it is rewritten first)');
    const bytes = Buffer.from(records.map((r) => seal(r, key) + '\n').join(''), 'latin1');
    try {
      this.fd ??= await openAsync(this.path, 'a');
      for (let at = 0; at < bytes.length; ) at += (await writeAsync(this.fd, bytes, at, bytes.length - at, null)).bytesWritten;
      await datasyncAsync(this.fd);
    } catch (e) {
      await this.closeFile();
      throw e;
    }
  }

  private async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeAsync(fd).catch(() => undefined);
  }

  async rewrite(records: readonly string[]): Promise<void> {
    const key = randomBytes(KEY);
    const sealed = Buffer.from(await this.codec.encode(key));
    const parts: string[] = [`${MAGIC}${sealed.toString('base64')}\n`];
    const slicer = new Slicer();
    for (const r of records) {
      parts.push(seal(r, key) + '\n');
      if (slicer.due()) await slicer.yield();
    }
    await fs.mkdir(dirname(this.path), { recursive: true });
    await this.closeFile(); // Windows renames nothing over an open file
    if (this.keepAs) {
      // (a failure here fails this write: it is tried again later, the file still unharmed)
      await keepAside(this.path, this.keepAs);
      this.keepAs = undefined;
    }
    await replaceFile(this.path, parts.join(''), 'latin1');
    this.key = key;
  }
}

function seal(record: string, key: Buffer): string {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(record, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

/** The record of a line, or undefined when it does not decrypt (damaged, another key). */
function open(line: string, key: Buffer): string | undefined {
  const bytes = Buffer.from(line, 'base64');
  if (bytes.length < IV + TAG) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
    return Buffer.concat([decipher.update(bytes.subarray(IV, bytes.length - TAG)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
