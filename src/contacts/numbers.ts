/**
 * Phone number normalisation for the contact directory: caller numbers from the PBX and numbers as
 * DATEV users typed them, both turned into E.164 keys with libphonenumber-js (min metadata).
 * Rules: see README "Matching" (country, area code, extension length). Numbers come without the PBX's
 * outside-line prefix: the call flow takes it off first (withoutOutsideLinePrefix).
 */
import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';

export interface NumberRules {
  /** ISO country of the site, e.g. "DE"; numbers without international prefix belong to it. */
  country: CountryCode;
  /** Area code of the site ("089" or "89"); lets local numbers without area code match. "" = none. */
  areaCode: string;
  /** Internal extensions have at most this many digits; they never match a contact. */
  extensionLength: number;
}

export const DEFAULT_NUMBER_RULES: NumberRules = {
  country: 'DE',
  areaCode: '',
  extensionLength: 4,
};

export class NumberRulesError extends Error {
  override readonly name = 'NumberRulesError';
}

/** Outside-line prefixes (config `outsideLinePrefix`): up to 3 digits. The call flow takes them off numbers (src/telephony/dialable.ts). */
export const OUTSIDE_LINE_PREFIX = /^\d{0,3}$/;

/** Countries whose numbers the directory can read (libphonenumber's; "GB", not "UK"). Shared with the config schema. */
export function isKnownCountry(country: unknown): country is CountryCode {
  return typeof country === 'string' && isSupportedCountry(country);
}

/** Validates and normalises the rules; throws NumberRulesError with a clear text on bad values. */
export function checkNumberRules(input: Partial<NumberRules>): NumberRules {
  const r: NumberRules = { ...DEFAULT_NUMBER_RULES, ...input };
  if (!isKnownCountry(r.country)) {
    throw new NumberRulesError(`Unknown country "${String(r.country)}" (expected an ISO code such as DE)`);
  }
  if (typeof r.areaCode !== 'string' || !/^\d{0,6}$/.test(r.areaCode.replace(/[\s/]/g, ''))) {
    throw new NumberRulesError(`Invalid area code "${String(r.areaCode)}" (digits only, e.g. 089)`);
  }
  if (!Number.isInteger(r.extensionLength) || r.extensionLength < 0 || r.extensionLength > 8) {
    throw new NumberRulesError(`Invalid extension length ${String(r.extensionLength)} (0-8)`);
  }
  return { ...r, areaCode: r.areaCode.replace(/[\s/]/g, '') };
}

/** A setting `numberRulesOrDefaults` could not use (it took the default instead). */
export interface NumberRulesProblem {
  key: keyof NumberRules;
  error: string;
}

/**
 * The rules, each setting checked on its own: a bad one falls back to its default and is reported;
 * never throws (config values reach here after the config check, but must never stop the program).
 */
export function numberRulesOrDefaults(input: Partial<NumberRules>): { rules: NumberRules; problems: NumberRulesProblem[] } {
  const picked: Partial<NumberRules> = {};
  const problems: NumberRulesProblem[] = [];
  for (const key of Object.keys(DEFAULT_NUMBER_RULES) as (keyof NumberRules)[]) {
    if (input[key] === undefined) continue;
    try {
      checkNumberRules({ [key]: input[key] });
      Object.assign(picked, { [key]: input[key] });
    } catch (e) {
      problems.push({ key, error: (e as Error).message });
    }
  }
  return { rules: checkNumberRules(picked), problems };
}

/** Longer digit strings are no phone numbers (E.164 allows 15 digits; prefixes add a few). */
const MAX_INPUT_DIGITS = 24;
/** Shortest national significant number accepted (area code + subscriber number). */
const MIN_NATIONAL_DIGITS = 6;
/** Shorter caller numbers are never external numbers worth a lookup. */
const MIN_EXTERNAL_DIGITS = 5;

export type SkipReason = 'empty' | 'anonymous' | 'internal' | 'unparseable';
export type CallerKey = { ok: true; e164: string } | { ok: false; reason: SkipReason };

const ANONYMOUS = new Set([
  'anonymous', 'anonym', 'unknown', 'unbekannt', 'private', 'privat', 'withheld', 'restricted',
  'unavailable', 'unterdrueckt', 'unterdrückt', 'rufnummer unterdrückt', 'nicht verfügbar', 'clip no screening',
]);

/** Turns a caller number as the PBX reports it into an E.164 key, or says why it is not looked up. */
export function normalizeCaller(raw: unknown, rules: NumberRules): CallerKey {
  if (typeof raw !== 'string') return { ok: false, reason: 'unparseable' };
  let s = raw.trim();
  // SIP/TEL URIs: keep the user part.
  const uri = /^(?:sips?|tel):([^@;]*)/i.exec(s);
  if (uri) s = uri[1]!.trim();
  if (s === '') return { ok: false, reason: 'empty' };
  if (ANONYMOUS.has(s.toLowerCase())) return { ok: false, reason: 'anonymous' };
  if (/[^\d\s+()/.\-]/.test(s)) return { ok: false, reason: 'unparseable' };
  const plus = s.startsWith('+');
  const digits = s.replace(/\D/g, '');
  if (digits === '') return { ok: false, reason: 'unparseable' };
  if (!plus && digits.length <= rules.extensionLength) return { ok: false, reason: 'internal' };
  if (digits.length < MIN_EXTERNAL_DIGITS) return { ok: false, reason: 'unparseable' };
  const e164 = toE164(plus, digits, rules);
  return e164 === null ? { ok: false, reason: 'unparseable' } : { ok: true, e164 };
}

/**
 * The key a caller number most likely has, without parsing: "+<digits>" for an international number
 * ("+…" or "00…"),
 * "+<country code><digits without trunk 0>" for a national one (DACH). `trusted` when the key cannot
 * differ from the parsed one (a DACH number whose national part does not start with 0); otherwise it is
 * only a candidate, valid when found exactly in an index (stored keys are parsed E.164 numbers).
 */
export function quickKey(raw: string, rules: NumberRules): { key: string; trusted: boolean } | null {
  const s = raw.replace(/[\s\-/().]/g, '');
  let key: string | null = null;
  if (/^\+[1-9]\d{5,14}$/.test(s)) key = s;
  else if (/^00[1-9]\d{5,14}$/.test(s)) key = '+' + s.slice(2);
  else if (TRUNK_ZERO.has(rules.country) && /^0[1-9]\d{5,13}$/.test(s)) key = `+${countryCallingCode(rules.country)}${s.slice(1)}`;
  if (key === null) return null;
  const dach = /^\+(?:49|43|41)([0-9])/.exec(key);
  return { key, trusted: dach !== null && dach[1] !== '0' };
}

/** Countries whose national numbers are trunk prefix 0 + the E.164 national number. */
const TRUNK_ZERO = new Set<string>(['DE', 'AT', 'CH']);

const callingCodes = new Map<string, string>();
function countryCallingCode(country: CountryCode): string {
  let code = callingCodes.get(country);
  if (code === undefined) {
    code = getCountryCallingCode(country);
    callingCodes.set(country, code);
  }
  return code;
}

/** E.164 for a digit string, with the site's area code for local numbers; null when not a phone number. */
export function toE164(plus: boolean, digits: string, rules: NumberRules): string | null {
  let text: string;
  if (plus) {
    text = '+' + digits;
  } else if (digits.startsWith('0')) {
    text = digits;
  } else if (rules.areaCode !== '' && digits.length <= 8) {
    text = (rules.areaCode.startsWith('0') ? rules.areaCode : '0' + rules.areaCode) + digits;
  } else if (digits.length >= 10) {
    text = digits; // country code without "+"/"00" (e.g. 4989…): libphonenumber recognises it
  } else {
    return null; // local number and no area code configured: never guess
  }
  if (text.length > MAX_INPUT_DIGITS) return null;
  const parsed = parsePhoneNumberFromString(text, rules.country);
  // The min metadata only checks lengths loosely (DE allows 2-digit numbers); real subscriber numbers
  // with area code have at least MIN_NATIONAL_DIGITS digits.
  if (!parsed || !parsed.isPossible() || parsed.nationalNumber.length < MIN_NATIONAL_DIGITS) return null;
  return parsed.number;
}

export interface StoredNumber {
  /** The number's E.164 key. */
  e164: string;
  /** Set for a company switchboard entry ("…-0"): the number without the 0, prefix of its direct dials. */
  switchboardBase?: string;
}

const DDI_WORD = /(?:durchwahl|durchw\.|dw\.?)\s*[:.]?\s*-?\s*(\d{1,5})(?!\d)/i;
const EXT_WORD = /(?:\b(?:ext|extension|app|apparat|nebenstelle|nst)\b\.?|(?:^|[\s\d])x|#)\s*[:.]?\s*\d{1,6}(?!\d).*$/i;
const RUN = /[+(]?[\d+(][\d\s+()/.\-]*/g;

/**
 * Understands a number as a DATEV user typed it ("089/123 45-67", "+49 (0)89 1234567", "0049 …",
 * "089 12345-0 Zentrale", "0171 1234567 nur vormittags", "… Durchwahl 17", "… App. 12").
 * `standardized` (DATEV's number_standardized, "0049…") is used when the text cannot be parsed.
 */
export function parseStoredNumber(raw: unknown, rules: NumberRules, standardized?: unknown): StoredNumber | null {
  const fromText = typeof raw === 'string' ? parseStoredText(raw, rules) : null;
  if (fromText) return fromText;
  if (typeof standardized === 'string' && /^\+?\d{6,20}$/.test(standardized.trim())) {
    // (DATEV's form: digits with the international 00 — datev-contacts.md §2.3 — read as +, whatever the site's country)
    const std = standardized.trim().replace(/^00(?=[1-9])/, '+');
    const e164 = toE164(std.startsWith('+'), std.replace(/^\+/, ''), rules);
    if (e164) return { e164 };
  }
  return null;
}

function parseStoredText(raw: string, rules: NumberRules): StoredNumber | null {
  let s = raw
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\u00a0\u2007\u202f\t]/g, ' ')
    .replace(/\uff0b/g, '+');
  let ddi = '';
  const ddiWord = DDI_WORD.exec(s);
  if (ddiWord) {
    ddi = ddiWord[1]!;
    s = s.slice(0, ddiWord.index);
  }
  s = s.replace(EXT_WORD, (m) => (/^\d/.test(m) ? m[0]! : ''));
  // The number is the run with the most digits (labels such as "Mobil 2:" or notes are dropped).
  let best = '';
  let bestDigits = 0;
  for (const m of s.matchAll(RUN)) {
    const n = m[0].replace(/\D/g, '').length;
    if (n > bestDigits) {
      best = m[0];
      bestDigits = n;
    }
  }
  let run = best.replace(/[\s(/.\-]+$/, '').trim();
  if (bestDigits === 0) return null;
  // "+49 (0)89 …": the trunk 0 in brackets is not dialled after a country code.
  run = run.replace(/^(\+\s*\d{1,3})\s*\(\s*0\s*\)/, '$1 ').replace(/^(00\s*\d{1,3})\s*\(\s*0\s*\)/, '$1 ');
  const plus = run.startsWith('+') || /^\(\s*\+/.test(run);
  const board = /^(.*\d)\s*-\s*0$/.exec(run);
  if (board && ddi === '') {
    const baseDigits = board[1]!.replace(/\D/g, '');
    const base = toE164(plus, baseDigits, rules);
    const e164 = toE164(plus, baseDigits + '0', rules);
    if (base && e164) return { e164, switchboardBase: base };
  }
  let digits = run.replace(/\D/g, '');
  if (board && ddi !== '') digits = digits.slice(0, -1);
  const e164 = toE164(plus, digits + ddi, rules);
  return e164 ? { e164 } : null;
}
