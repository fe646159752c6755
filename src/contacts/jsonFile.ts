/**
 * Per-user JSON files (index cache, learned numbers, last choices): atomic write (temp file + rename),
 * tolerant read (missing or corrupt → null, never throws). A codec hook lets the Windows build encrypt
 * the bytes with DPAPI (not done yet: the default codec stores plain UTF-8 JSON).
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

export interface FileCodec {
  encode(plain: Buffer): Promise<Buffer>;
  decode(stored: Buffer): Promise<Buffer>;
}

export const plainCodec: FileCodec = {
  encode: async (b) => b,
  decode: async (b) => b,
};

export type ReadResult<T> = { ok: true; value: T } | { ok: false; missing: boolean; error?: string };

export class JsonFile<T> {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly validate: (v: unknown) => v is T,
    private readonly codec: FileCodec = plainCodec,
  ) {}

  async read(): Promise<ReadResult<T>> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, missing: code === 'ENOENT', error: code === 'ENOENT' ? undefined : String(e) };
    }
    try {
      const value: unknown = JSON.parse((await this.codec.decode(bytes)).toString('utf8'));
      if (!this.validate(value)) return { ok: false, missing: false, error: 'unexpected content' };
      return { ok: true, value };
    } catch (e) {
      return { ok: false, missing: false, error: String(e) };
    }
  }

  /** Writes atomically; writes are serialised. Rejects with the file system error. */
  write(value: T): Promise<void> {
    const next = this.writing.then(async () => {
      await fs.mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await fs.writeFile(tmp, await this.codec.encode(Buffer.from(JSON.stringify(value), 'utf8')));
      await fs.rename(tmp, this.path);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
