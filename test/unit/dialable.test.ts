import { describe, expect, it } from 'vitest';
import { cleanNumber, toDialable, withoutOutsideLinePrefix, type DialOptions } from '../../src/telephony/dialable';

const de: DialOptions = { country: 'DE', format: 'e164', outsideLinePrefix: '', extensionLength: 4 };

describe('dialable numbers', () => {
  it.each([
    ['089/123 45-67', '+49891234567'],
    ['+49 (0)89 1234567', '+49891234567'],
    ['0049 89 1234567', '+49891234567'],
    ['(089) 1234567 (Zentrale)', '+49891234567'],
    ['089 1234567 nur vormittags', '+49891234567'],
    ['+43 1 5551234', '+4315551234'],
    ['0171 2345678', '+491712345678'],
  ])('%s → %s (E.164)', (input, out) => {
    expect(toDialable(input, de)).toEqual({ ok: true, dialable: out, internal: false });
  });

  it('national format with outside-line prefix, foreign numbers international', () => {
    const o: DialOptions = { ...de, format: 'national', outsideLinePrefix: '0' };
    expect(toDialable('+49 89 1234567', o)).toMatchObject({ dialable: '00891234567' });
    expect(toDialable('+43 1 5551234', o)).toMatchObject({ dialable: '0004315551234' });
    expect(toDialable('+43 1 5551234', { ...de, format: 'digits' })).toMatchObject({ dialable: '004315551234' });
  });

  it('internal extensions and feature codes are dialled as they are', () => {
    expect(toDialable('205', de)).toEqual({ ok: true, dialable: '205', internal: true });
    expect(toDialable('*21#', de)).toEqual({ ok: true, dialable: '*21#', internal: true });
    expect(toDialable('*7 12345', de)).toEqual({ ok: true, dialable: '*712345', internal: false });
  });

  it('impossible numbers are dialled as digits rather than refused', () => {
    expect(toDialable('12345678901', de)).toMatchObject({ ok: true, dialable: '12345678901' });
  });

  it.each([
    ['', 'Keine Rufnummer angegeben'],
    ['   ', 'Keine Rufnummer angegeben'],
    ['Zentrale', 'Keine Ziffern in „Zentrale“'],
    ['1'.repeat(25), 'Zu viele Ziffern (25)'],
    ['0'.repeat(300), 'Nummer ist zu lang (300 Zeichen, höchstens 256)'],
  ])('refuses %j: %s', (input, reason) => {
    expect(toDialable(input, de)).toEqual({ ok: false, reason });
  });

  it('cleanNumber keeps + and digits only', () => {
    expect(cleanNumber(' +49 (0)89-12.34 ')).toBe('+498912 34'.replace(' ', ''));
  });

  it('a number the PBX reports loses the outside-line prefix once; international, extensions and other numbers stay', () => {
    const o = { outsideLinePrefix: '0', extensionLength: 3 };
    expect(withoutOutsideLinePrefix('00891234567', o)).toBe('0891234567');
    expect(withoutOutsideLinePrefix('0 030 1234567', o)).toBe('030 1234567'); // not Greece (+30…)
    expect(withoutOutsideLinePrefix('00043 1 5551234', o)).toBe('0043 1 5551234');
    expect(withoutOutsideLinePrefix('+49 89 1234567', o)).toBe('+49 89 1234567');
    expect(withoutOutsideLinePrefix('017', o)).toBe('017');
    expect(withoutOutsideLinePrefix('0171', o)).toBe('0171'); // an extension's digits after it: no prefix
    expect(withoutOutsideLinePrefix('91234567', o)).toBe('91234567');
    expect(withoutOutsideLinePrefix('00891234567', { outsideLinePrefix: '', extensionLength: 3 })).toBe('00891234567');
    expect(withoutOutsideLinePrefix('9 0891234567', { outsideLinePrefix: '9', extensionLength: 3 })).toBe('0891234567');
  });
});
