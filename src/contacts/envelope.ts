/**
 * Envelope encryption for the per-user files: the bytes are encrypted with AES-256-GCM (node:crypto,
 * a fresh random key and IV per write) and only the 44 bytes of key + IV go through the key sealer —
 * DPAPI for the current Windows user (src/native/dpapi.ts). DPAPI itself is slow for megabytes (under
 * Wine 8 about 60 ms per MB, and it copies the data twice on the JavaScript thread); AES-GCM takes a
 * few ms for a 7 MB contact table and is done in pieces between pauses.
 *
 * Layout: sealed(key ‖ iv) ‖ ciphertext ‖ GCM tag (16) ‖ u32 LE length of the sealed part ‖ "WXE1".
 * The sealed part comes first (a DPAPI blob: files still start with 01 00 00 00) and is the GCM
 * additional data, so a key from another file never opens this one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Slicer } from './slicer';

const MAGIC = Buffer.from('WXE1', 'latin1');
const KEY = 32;
const IV = 12;
const TAG = 16;
const TRAILER = 8;
const PIECE = 1 << 20;

/** Seals and opens the 44 bytes of key + IV (DPAPI on Windows). */
export interface KeySealer {
  seal(keyAndIv: Buffer): Promise<Uint8Array>;
  open(sealed: Buffer): Promise<Uint8Array>;
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

/** True when the bytes end like an envelope. */
export function isEnvelope(bytes: Uint8Array): boolean {
  return bytes.length >= TRAILER + TAG && MAGIC.equals(bytes.subarray(bytes.length - 4));
}

export async function sealEnvelope(plain: Buffer, sealer: KeySealer, slicer: Slicer): Promise<Buffer> {
  const keyAndIv = randomBytes(KEY + IV);
  try {
    const sealed = Buffer.from(await sealer.seal(keyAndIv));
    const cipher = createCipheriv('aes-256-gcm', keyAndIv.subarray(0, KEY), keyAndIv.subarray(KEY));
    cipher.setAAD(sealed);
    const parts: Buffer[] = [sealed];
    for (let at = 0; at < plain.length; at += PIECE) {
      parts.push(cipher.update(plain.subarray(at, at + PIECE)));
      await slicer.tick();
    }
    parts.push(cipher.final(), cipher.getAuthTag());
    const trailer = Buffer.alloc(TRAILER);
    trailer.writeUInt32LE(sealed.length, 0);
    MAGIC.copy(trailer, 4);
    parts.push(trailer);
    return Buffer.concat(parts);
  } finally {
    keyAndIv.fill(0);
  }
}

/** The plain bytes; EnvelopeError when the layout is wrong or the data was changed; the sealer's error when the key cannot be opened. */
export async function openEnvelope(bytes: Buffer, sealer: KeySealer, slicer: Slicer): Promise<Buffer> {
  if (!isEnvelope(bytes)) throw new EnvelopeError('not an encrypted file of this program');
  const sealedLength = bytes.readUInt32LE(bytes.length - TRAILER);
  const end = bytes.length - TRAILER - TAG;
  if (sealedLength === 0 || sealedLength > end) throw new EnvelopeError('damaged (key length)');
  const sealed = bytes.subarray(0, sealedLength);
  const keyAndIv = Buffer.from(await sealer.open(sealed));
  try {
    if (keyAndIv.length !== KEY + IV) throw new EnvelopeError('damaged (key size)');
    const decipher = createDecipheriv('aes-256-gcm', keyAndIv.subarray(0, KEY), keyAndIv.subarray(KEY));
    decipher.setAAD(sealed);
    decipher.setAuthTag(bytes.subarray(end, end + TAG));
    const parts: Buffer[] = [];
    for (let at = sealedLength; at < end; at += PIECE) {
      parts.push(decipher.update(bytes.subarray(at, Math.min(end, at + PIECE))));
      await slicer.tick();
    }
    try {
      parts.push(decipher.final());
    } catch {
      throw new EnvelopeError('damaged (authentication failed)');
    }
    return Buffer.concat(parts);
  } finally {
    keyAndIv.fill(0);
  }
}
