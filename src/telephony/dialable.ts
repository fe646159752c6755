/**
 * Turns a number as DATEV users type it ("089/123 45-67", "+49 (0)89 1234567 (Zentrale)") into the
 * dialable string given to lineMakeCallW, according to the configured format. Pure.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export type DialFormat = 'e164' | 'national' | 'digits';

export interface DialOptions {
  country: CountryCode;
  format: DialFormat;
  /** Prepended to external numbers (e.g. "0" when the PBX needs an outside line). */
  outsideLinePrefix: string;
  /** Numbers with at most this many digits are internal extensions and dialled as they are. */
  extensionLength: number;
}

export type DialableResult = { ok: true; dialable: string; internal: boolean } | { ok: false; reason: string };

export const MAX_INPUT_LENGTH = 256;

/** Strips notes and decorations, keeping digits, a leading + and * / # (for feature codes). */
export function cleanNumber(input: string): string {
  let s = input.trim();
  // notes after the number: "089 1234567 (Zentrale)", "089 1234567 nur vormittags"
  const m = /^[\s+0-9()/\-.\u2010-\u2015\u00a0]+/.exec(s.replace(/\(0\)/g, ''));
  s = m ? m[0] : s;
  const plus = s.trimStart().startsWith('+');
  const digits = s.replace(/[^0-9*#]/g, '');
  return plus ? `+${digits}` : digits;
}

export function toDialable(input: string, o: DialOptions): DialableResult {
  if (input.length > MAX_INPUT_LENGTH) return { ok: false, reason: `Nummer ist zu lang (${input.length} Zeichen, höchstens ${MAX_INPUT_LENGTH})` };
  const cleaned = cleanNumber(input);
  const digitCount = cleaned.replace(/[^0-9]/g, '').length;
  if (digitCount === 0) return { ok: false, reason: input.trim() === '' ? 'Keine Rufnummer angegeben' : `Keine Ziffern in „${input.trim().slice(0, 40)}“` };
  if (digitCount > 20) return { ok: false, reason: `Zu viele Ziffern (${digitCount})` };
  if (!cleaned.startsWith('+') && digitCount <= o.extensionLength) return { ok: true, dialable: cleaned, internal: true };
  if (/[*#]/.test(cleaned)) return { ok: true, dialable: cleaned, internal: false };
  // neither international (+, 00) nor national (0): a local number; only the PBX knows its area
  if (!cleaned.startsWith('+') && !cleaned.startsWith('0')) return { ok: true, dialable: o.outsideLinePrefix + cleaned, internal: false };
  const parsed = parsePhoneNumberFromString(cleaned, o.country);
  if (!parsed || !parsed.isPossible()) {
    return { ok: true, dialable: o.outsideLinePrefix + cleaned.replace(/^\+/, '00'), internal: false };
  }
  let out: string;
  switch (o.format) {
    case 'e164':
      out = parsed.number;
      break;
    case 'national':
      out = parsed.country === o.country ? parsed.formatNational().replace(/[^0-9]/g, '') : parsed.number.replace(/^\+/, '00');
      break;
    case 'digits':
      out = parsed.number.replace(/^\+/, '00');
      break;
  }
  return { ok: true, dialable: o.outsideLinePrefix + out, internal: false };
}

/**
 * A number the PBX reports without its outside-line prefix (datev-contacts.md §3.3: the number of an
 * outgoing call carries it as dialled; incoming callers' numbers only on PBXs that put it before them):
 * taken off once, from a number that starts with it and keeps more than an extension's digits after it.
 * "0 089 1234567" → "089 1234567", "00891234567" → "0891234567"; "+49…" and extensions stay.
 */
export function withoutOutsideLinePrefix(number: string, o: Pick<DialOptions, 'outsideLinePrefix' | 'extensionLength'>): string {
  const prefix = o.outsideLinePrefix;
  const s = number.trim();
  if (prefix === '' || !s.startsWith(prefix)) return number;
  const rest = s.slice(prefix.length).trimStart();
  return rest.replace(/[^0-9]/g, '').length > o.extensionLength ? rest : number;
}
