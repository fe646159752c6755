/**
 * Per-user files (index cache, learned numbers, last choices): atomic write (temp file flushed to disk,
 * then renamed over the file), tolerant read (missing or corrupt → a result saying so, never throws).
 * A file locked for a moment (a virus scanner, a backup) is read again a few times. With
 * `keepUnreadable`, a file that still cannot be read, decoded or understood is never overwritten: before
 * the first write it is renamed to `<name>.unreadable-<yyyymmdd-hhmmss>` and kept (like the journal,
 * src/journal/fileLog.ts). Temp files a killed process left behind are removed at the first read or write.
 * The codec encrypts the bytes (the Windows build: DPAPI for the current user); the default codec stores
 * them as they are.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorCode, keepAside, readPatiently, removeStaleTemps, replaceFile, unreadableName } from '../util/safeFile';
import type { Logger } from './logger';

export interface FileCodec {
  encode(plain: Buffer): Promise<Buffer>;
  decode(stored: Buffer): Promise<Buffer>;
}

export const plainCodec: FileCodec = {
  encode: async (b) => b,
  decode: async (b) => b,
};

/** `keptAs`: the file could not be used and is moved there before the next write (with `keepUnreadable`). */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; missing: boolean; error?: string; keptAs?: string };

export interface BlobFileOptions {
  /** Never overwrite a file that could not be read or understood: keep it aside (for files that cannot be rebuilt). */
  keepUnreadable?: boolean;
  /** Told when an unreadable file is moved aside. */
  logger?: Logger;
}

/** A per-user file of bytes, through the codec: atomic, serialised writes; a read never throws. */
export class BlobFile {
  private writing: Promise<void> = Promise.resolve();
  /** Where the file goes before the next write because it could not be used (undefined: nothing to keep). */
  private keepAs: string | undefined;
  private cleaned = false;

  constructor(
    readonly path: string,
    private readonly codec: FileCodec = plainCodec,
    private readonly options: BlobFileOptions = {},
  ) {}

  async read(): Promise<ReadResult<Buffer>> {
    await this.removeStaleTemp();
    this.keepAs = undefined;
    let bytes: Buffer;
    try {
      bytes = await readPatiently(this.path);
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return { ok: false, missing: true, error: undefined };
      return this.unusable(String(e));
    }
    try {
      return { ok: true, value: await this.codec.decode(bytes) };
    } catch (e) {
      return this.unusable(String(e));
    }
  }

  /**
   * The content read last is not understood (bad JSON, another format): with `keepUnreadable` the file is
   * kept aside before the next write. Returns the name it will be kept as.
   */
  rejectContent(): string | undefined {
    if (this.options.keepUnreadable) this.keepAs ??= unreadableName(this.path, new Date());
    return this.keepAs;
  }

  /** Writes atomically (temp file + rename); writes are serialised. Rejects with the file system error. */
  write(plain: Buffer): Promise<void> {
    const next = this.writing.then(async () => {
      const bytes = await this.codec.encode(plain);
      await fs.mkdir(dirname(this.path), { recursive: true });
      await this.removeStaleTemp();
      await this.keepAside();
      await replaceFile(this.path, bytes); // a power loss leaves the old or the new file, whole
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private unusable(error: string): ReadResult<Buffer> {
    const keptAs = this.rejectContent();
    return keptAs === undefined ? { ok: false, missing: false, error } : { ok: false, missing: false, error, keptAs };
  }

  /** Moves a file that could not be used out of the way; a failure fails the write (the file stays unharmed). */
  private async keepAside(): Promise<void> {
    const keepAs = this.keepAs;
    if (keepAs === undefined) return;
    if (await keepAside(this.path, keepAs)) {
      this.options.logger?.warn(`Nicht lesbare Datei aufbewahrt als ${basename(keepAs)} / unreadable file kept as ${basename(keepAs)}`, { file: this.path, keptAs: keepAs });
    }
    this.keepAs = undefined;
  }

  /** Temp files (`<name>.<pid>.tmp`) a killed process left; once, at the first read or write. */
  private async removeStaleTemp(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    await removeStaleTemps(this.path);
  }
}

export class JsonFile<T> {
  private readonly file: BlobFile;

  constructor(
    readonly path: string,
    private readonly validate: (v: unknown) => v is T,
    codec: FileCodec = plainCodec,
    options: BlobFileOptions = {},
  ) {
    this.file = new BlobFile(path, codec, options);
  }

  async read(): Promise<ReadResult<T>> {
    const r = await this.file.read();
    if (!r.ok) return r;
    let error: string;
    try {
      const value: unknown = JSON.parse(r.value.toString('utf8'));
      if (this.validate(value)) return { ok: true, value };
      error = 'unexpected content';
    } catch (e) {
      error = String(e);
    }
    const keptAs = this.file.rejectContent();
    return keptAs === undefined ? { ok: false, missing: false, error } : { ok: false, missing: false, error, keptAs };
  }

  /** Writes atomically; writes are serialised. Rejects with the file system error. */
  write(value: T): Promise<void> {
    return this.file.write(Buffer.from(JSON.stringify(value), 'utf8'));
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
