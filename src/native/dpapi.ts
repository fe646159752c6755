/**
 * DPAPI (native/dpapi) for the files of the current Windows user: a FileCodec for the contact caches
 * (index, learned numbers, last choices; their AES key sealed by DPAPI) and the store of the
 * DATEVconnect Basic password. Only the same Windows user can decrypt them (CryptProtectData, no UI);
 * each use has its own entropy.
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretSource } from '../contacts/datevconnect/auth';
import { DatevConnectError } from '../contacts/datevconnect/errors';
import { isEnvelope, openEnvelope, sealEnvelope, type KeySealer } from '../contacts/envelope';
import type { FileCodec } from '../contacts/jsonFile';
import { Slicer } from '../contacts/slicer';
import type { NativeAddon } from './addon';

/** native/dpapi. Rejects with an Error carrying code "dpapi", fn and win32Error. */
export interface NativeDpapi {
  protect(data: Uint8Array, entropy: string): Promise<Uint8Array>;
  unprotect(data: Uint8Array, entropy: string): Promise<Uint8Array>;
}

export const CACHE_ENTROPY = 'Wildix DATEV CTI / contact cache / v1';
export const PASSWORD_ENTROPY = 'Wildix DATEV CTI / DATEVconnect password / v1';
/** File name of the stored password in the per-user data folder (%LOCALAPPDATA%\Wildix\DatevCti). */
export const PASSWORD_FILE = 'datevconnect-password.dpapi';
const MAX_PASSWORD = 1024;

export class DpapiError extends Error {
  override readonly name = 'DpapiError';
  constructor(
    message: string,
    readonly win32Error: number | undefined,
  ) {
    super(message);
  }
}

/** The `dpapi` module of the addon, checked (an older wildix_cti.node has none). */
export function nativeDpapi(addon: NativeAddon): NativeDpapi {
  const m = (addon as unknown as Record<string, unknown>).dpapi as Partial<NativeDpapi> | undefined;
  if (typeof m !== 'object' || m === null || typeof m.protect !== 'function' || typeof m.unprotect !== 'function') {
    throw new Error('wildix_cti.node has no dpapi module; rebuild the addon');
  }
  return m as NativeDpapi;
}

/** The addon answers with a Buffer: use it as it is (a cache file is megabytes; no second copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function wrap(what: string, e: unknown): DpapiError {
  const err = (typeof e === 'object' && e !== null ? e : {}) as { message?: unknown; win32Error?: unknown };
  return new DpapiError(`${what}: ${typeof err.message === 'string' ? err.message : String(e)}`, typeof err.win32Error === 'number' ? err.win32Error : undefined);
}

/** A cache file written before DPAPI was used: plain JSON (DPAPI blobs start with the bytes 01 00 00 00). The old contact cache is migrated from it (src/contacts/datevconnect/legacyCache.ts). */
export function isPlainJson(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x7b || bytes[i] === 0x5b; // { or [
}

/**
 * Encrypts cache files for the current Windows user: AES-256-GCM with a fresh key whose 44 bytes
 * (key + IV) DPAPI protects (src/contacts/envelope.ts) — DPAPI on megabytes is slow and copies them on
 * the JavaScript thread. Reads files that DPAPI encrypted as a whole (earlier versions) and plain-JSON
 * files from before DPAPI; both are written in the new form on the next write.
 */
export class DpapiCodec implements FileCodec {
  private readonly sealer: KeySealer;

  constructor(
    private readonly native: NativeDpapi,
    private readonly entropy: string = CACHE_ENTROPY,
  ) {
    this.sealer = { seal: (k) => this.native.protect(k, this.entropy), open: (b) => this.native.unprotect(b, this.entropy) };
  }

  async encode(plain: Buffer): Promise<Buffer> {
    try {
      return await sealEnvelope(plain, this.sealer, new Slicer());
    } catch (e) {
      throw wrap('encrypting a cache file (DPAPI)', e);
    }
  }

  async decode(stored: Buffer): Promise<Buffer> {
    if (isPlainJson(stored)) return stored;
    try {
      if (isEnvelope(stored)) return await openEnvelope(stored, this.sealer, new Slicer());
      return asBuffer(await this.native.unprotect(stored, this.entropy));
    } catch (e) {
      throw wrap('decrypting a cache file (DPAPI; written by another Windows user or damaged)', e);
    }
  }
}

/** Checks a password before it is stored: 1–1024 characters, no NUL, CR or LF. */
export function checkPassword(password: string): string | undefined {
  if (password.length === 0) return 'Das Kennwort ist leer / the password is empty';
  if (password.length > MAX_PASSWORD) return `Das Kennwort ist länger als ${MAX_PASSWORD} Zeichen / the password is longer than ${MAX_PASSWORD} characters`;
  if (/[\0\r\n]/.test(password)) return 'Das Kennwort enthält Zeilenumbrüche oder NUL / the password contains line breaks or NUL';
  return undefined;
}

/**
 * The DATEVconnect Basic password, DPAPI-protected in one file of the user's profile. The secret
 * source reads it on first use and again whenever the file changes (a new password stored with
 * --set-datevconnect-password is used by the next request of a running program).
 */
export class DpapiSecretStore {
  #cache: { stamp: string; password: string } | undefined;

  constructor(
    readonly file: string,
    private readonly native: NativeDpapi,
  ) {}

  async save(password: string): Promise<void> {
    const problem = checkPassword(password);
    if (problem) throw new TypeError(problem);
    let blob: Buffer;
    try {
      blob = Buffer.from(await this.native.protect(Buffer.from(password, 'utf8'), PASSWORD_ENTROPY));
    } catch (e) {
      throw wrap('encrypting the DATEVconnect password (DPAPI)', e);
    }
    await fs.mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, blob);
    await fs.rename(tmp, this.file);
    this.#cache = undefined;
  }

  async exists(): Promise<boolean> {
    return fs.stat(this.file).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** The stored password; undefined when none is stored. Rejects with DpapiError when it cannot be decrypted. */
  async load(): Promise<string | undefined> {
    let stamp: string;
    try {
      const s = await fs.stat(this.file);
      stamp = `${s.mtimeMs}:${s.size}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (this.#cache?.stamp === stamp) return this.#cache.password;
    const blob = await fs.readFile(this.file);
    let plain: Uint8Array;
    try {
      plain = await this.native.unprotect(blob, PASSWORD_ENTROPY);
    } catch (e) {
      throw wrap(`decrypting the DATEVconnect password in ${this.file} (stored by another Windows user or damaged; store it again)`, e);
    }
    const password = Buffer.from(plain).toString('utf8');
    this.#cache = { stamp, password };
    return password;
  }

  /** For BasicAuthProvider: a missing or unreadable password is an "authUnavailable" DatevConnectError. */
  secretSource(): SecretSource {
    return async () => {
      let password: string | undefined;
      try {
        password = await this.load();
      } catch (e) {
        throw new DatevConnectError('authUnavailable', (e as Error).message);
      }
      if (password === undefined) {
        throw new DatevConnectError('authUnavailable', `no DATEVconnect password stored (${this.file}); store it with: wildix-datev-cti --set-datevconnect-password`);
      }
      return password;
    };
  }
}
