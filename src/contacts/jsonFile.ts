/**
 * Per-user files (index cache, learned numbers, last choices): atomic write (temp file + rename),
 * tolerant read (missing or corrupt → a result saying so, never throws). The codec encrypts the bytes
 * (the Windows build: DPAPI for the current user); the default codec stores them as they are.
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

/** A per-user file of bytes, through the codec: atomic, serialised writes; a read never throws. */
export class BlobFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly codec: FileCodec = plainCodec,
  ) {}

  async read(): Promise<ReadResult<Buffer>> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, missing: code === 'ENOENT', error: code === 'ENOENT' ? undefined : String(e) };
    }
    try {
      return { ok: true, value: await this.codec.decode(bytes) };
    } catch (e) {
      return { ok: false, missing: false, error: String(e) };
    }
  }

  /** Writes atomically (temp file + rename); writes are serialised. Rejects with the file system error. */
  write(plain: Buffer): Promise<void> {
    const next = this.writing.then(async () => {
      await fs.mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await fs.writeFile(tmp, await this.codec.encode(plain));
      await fs.rename(tmp, this.path);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

export class JsonFile<T> {
  private readonly file: BlobFile;

  constructor(
    readonly path: string,
    private readonly validate: (v: unknown) => v is T,
    codec: FileCodec = plainCodec,
  ) {
    this.file = new BlobFile(path, codec);
  }

  async read(): Promise<ReadResult<T>> {
    const r = await this.file.read();
    if (!r.ok) return r;
    try {
      const value: unknown = JSON.parse(r.value.toString('utf8'));
      if (!this.validate(value)) return { ok: false, missing: false, error: 'unexpected content' };
      return { ok: true, value };
    } catch (e) {
      return { ok: false, missing: false, error: String(e) };
    }
  }

  /** Writes atomically; writes are serialised. Rejects with the file system error. */
  write(value: T): Promise<void> {
    return this.file.write(Buffer.from(JSON.stringify(value), 'utf8'));
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
