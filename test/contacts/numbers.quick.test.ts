import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMBER_RULES, normalizeCaller, quickKey } from '../../src/contacts/numbers';

describe('quick key (lookup fast path)', () => {
  it('matches the parsed E.164 key for the usual caller formats', () => {
    for (const n of ['0049 89 1234567', '+49 89 1234567', '+4989123456', '089 1234567', '0171-2345678', '+43 1 5551234']) {
      const k = normalizeCaller(n, DEFAULT_NUMBER_RULES);
      expect(k.ok && k.e164).toBe(quickKey(n, DEFAULT_NUMBER_RULES)?.key);
    }
  });
  it('trusts only DACH keys whose national part cannot hide a trunk 0', () => {
    expect(quickKey('+49 89 1234567', DEFAULT_NUMBER_RULES)).toEqual({ key: '+49891234567', trusted: true });
    expect(quickKey('+49 (0)89 1234567', DEFAULT_NUMBER_RULES)).toEqual({ key: '+490891234567', trusted: false });
    expect(quickKey('+33 1 23456789', DEFAULT_NUMBER_RULES)).toEqual({ key: '+33123456789', trusted: false });
  });

  it('gives no candidate where only parsing can tell', () => {
    expect(quickKey('201', DEFAULT_NUMBER_RULES)).toBeNull();
    expect(quickKey('06 1234567', { ...DEFAULT_NUMBER_RULES, country: 'IT' })).toBeNull();
    expect(quickKey('anonymous', DEFAULT_NUMBER_RULES)).toBeNull();
  });
});

describe('quick key against the number corpus', () => {
  it('never disagrees with parsing where it is trusted, for every corpus input', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const lines = readFileSync(join(__dirname, 'corpus', 'numbers.tsv'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    let checked = 0;
    for (const l of lines) {
      const input = l.split('\t')[2]!;
      const q = quickKey(input, DEFAULT_NUMBER_RULES);
      if (!q?.trusted) continue;
      const k = normalizeCaller(input, DEFAULT_NUMBER_RULES);
      if (k.ok) {
        expect(q.key, input).toBe(k.e164);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});
