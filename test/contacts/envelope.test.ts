/**
 * Envelope encryption of the per-user files (AES-256-GCM, key + IV sealed by DPAPI on Windows), with a
 * stand-in sealer here (the real DPAPI runs under Wine: test/wine/datevconnect.wine.test.ts), and the
 * DpapiCodec that uses it: new files, files DPAPI encrypted as a whole, plain JSON.
 */
import { describe, expect, it } from 'vitest';
import { EnvelopeError, isEnvelope, openEnvelope, sealEnvelope, type KeySealer } from '../../src/contacts/envelope';
import { Slicer } from '../../src/contacts/slicer';
import { DpapiCodec, DpapiError, type NativeDpapi } from '../../src/native/dpapi';

/** Like DPAPI: a 01 00 00 00 header, then the bytes scrambled with a per-entropy key. */
function standIn(): NativeDpapi & { sizes: number[] } {
  const sizes: number[] = [];
  const k = (entropy: string): number => Buffer.from(entropy).reduce((a, b) => (a + b) & 0xff, 0x33);
  return {
    sizes,
    protect: async (data, entropy) => {
      sizes.push(data.length);
      return Buffer.concat([Buffer.from([1, 0, 0, 0, k(entropy)]), Buffer.from(data).map((b) => b ^ k(entropy))]);
    },
    unprotect: async (data, entropy) => {
      const b = Buffer.from(data);
      if (b[0] !== 1 || b[4] !== k(entropy)) throw Object.assign(new Error('CryptUnprotectData failed: error 13'), { code: 'dpapi', win32Error: 13 });
      return b.subarray(5).map((x) => x ^ k(entropy));
    },
  };
}

const sealer = (n: NativeDpapi): KeySealer => ({ seal: (b) => n.protect(b, 'e'), open: (b) => n.unprotect(b, 'e') });

describe('envelope', () => {
  it('round trip for empty, small and multi-megabyte data; only key + IV are sealed; nothing plain on disk', async () => {
    const native = standIn();
    for (const plain of [Buffer.alloc(0), Buffer.from('Müller GmbH 089 1234567'), Buffer.alloc(3 * 1048576 + 5, 'Weiß ')]) {
      const slicer = new Slicer(0);
      const sealed = await sealEnvelope(plain, sealer(native), slicer);
      expect(isEnvelope(sealed)).toBe(true);
      expect([...sealed.subarray(0, 4)]).toEqual([1, 0, 0, 0]);
      expect(sealed.includes(Buffer.from('Müller'))).toBe(false);
      expect(sealed.includes(Buffer.from('Weiß '))).toBe(false);
      expect((await openEnvelope(sealed, sealer(native), new Slicer(0))).equals(plain)).toBe(true);
    }
    expect(native.sizes).toEqual([44, 44, 44]);
    const a = await sealEnvelope(Buffer.from('gleich'), sealer(native), new Slicer());
    const b = await sealEnvelope(Buffer.from('gleich'), sealer(native), new Slicer());
    expect(a.equals(b)).toBe(false); // a fresh key and IV per write
  });

  it('any change is detected; a key from another file does not open it', async () => {
    const native = standIn();
    const plain = Buffer.alloc(5000, 7);
    const sealed = await sealEnvelope(plain, sealer(native), new Slicer());
    const other = await sealEnvelope(plain, sealer(native), new Slicer());
    const sealedLength = sealed.readUInt32LE(sealed.length - 8);
    for (const at of [sealedLength + 10, sealed.length - 12]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 1;
      await expect(openEnvelope(bad, sealer(native), new Slicer()), `byte ${at}`).rejects.toThrow(/authentication failed/);
    }
    const swapped = Buffer.concat([other.subarray(0, sealedLength), sealed.subarray(sealedLength)]);
    await expect(openEnvelope(swapped, sealer(native), new Slicer())).rejects.toBeInstanceOf(EnvelopeError);
    const badLength = Buffer.from(sealed);
    badLength.writeUInt32LE(sealed.length, sealed.length - 8);
    await expect(openEnvelope(badLength, sealer(native), new Slicer())).rejects.toThrow(/key length/);
    const shortKey: KeySealer = { seal: async (b) => b, open: async (b) => b.subarray(1) };
    await expect(openEnvelope(await sealEnvelope(plain, shortKey, new Slicer()), shortKey, new Slicer())).rejects.toThrow(/key size/);
    await expect(openEnvelope(Buffer.from('kein Umschlag'), sealer(native), new Slicer())).rejects.toThrow(/not an encrypted file/);
    const wrongUser: KeySealer = { seal: (b) => native.protect(b, 'e'), open: (b) => native.unprotect(b, 'jemand anderes') };
    await expect(openEnvelope(sealed, wrongUser, new Slicer())).rejects.toMatchObject({ win32Error: 13 });
  });
});

describe('DpapiCodec', () => {
  it('writes envelopes, reads envelopes, whole-file DPAPI blobs of earlier versions and plain JSON', async () => {
    const native = standIn();
    const codec = new DpapiCodec(native);
    const plain = Buffer.from('{"n":"Weiß"}');
    const stored = await codec.encode(plain);
    expect(isEnvelope(stored)).toBe(true);
    expect(await codec.decode(stored)).toEqual(plain);
    const older = Buffer.from(await native.protect(plain, 'Wildix DATEV CTI / contact cache / v1'));
    expect(await codec.decode(older)).toEqual(plain);
    expect(await codec.decode(Buffer.from(' {"alt":1}'))).toEqual(Buffer.from(' {"alt":1}'));
    const damaged = Buffer.from(stored);
    damaged[damaged.length - 20]! ^= 1;
    const err = await codec.decode(damaged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DpapiError);
    expect((err as Error).message).toMatch(/another Windows user or damaged.*authentication failed/);
    await expect(new DpapiCodec(native, 'andere Entropie').decode(stored)).rejects.toMatchObject({ name: 'DpapiError', win32Error: 13 });
  });
});
