import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNumberRules, normalizeCaller, parseStoredNumber, type NumberRules } from '../../src/contacts/numbers';
import { withoutOutsideLinePrefix } from '../../src/telephony/dialable';

/** The number rules, and the outside-line prefix a PBX puts before callers' numbers (the call flow takes it off first). */
const PROFILES: Record<string, { rules: NumberRules; prefix: string }> = {
  std: { rules: checkNumberRules({}), prefix: '' },
  munich: { rules: checkNumberRules({ areaCode: '089' }), prefix: '' },
  pbx0: { rules: checkNumberRules({ areaCode: '089', extensionLength: 3 }), prefix: '0' },
};

interface Row {
  line: number;
  profile: string;
  kind: string;
  input: string;
  expected: string;
}

function loadCorpus(): Row[] {
  const text = readFileSync(join(__dirname, 'corpus', 'numbers.tsv'), 'utf8');
  const rows: Row[] = [];
  text.split('\n').forEach((l, i) => {
    if (l === '' || l.startsWith('#')) return;
    const [profile, kind, input, expected] = l.split('\t');
    rows.push({ line: i + 1, profile: profile!, kind: kind!, input: input!, expected: expected! });
  });
  return rows;
}

function actual(row: Row): string {
  const profile = PROFILES[row.profile];
  if (!profile) throw new Error(`unknown profile ${row.profile} in line ${row.line}`);
  const { rules, prefix } = profile;
  if (row.kind === 'caller') {
    const k = normalizeCaller(withoutOutsideLinePrefix(row.input, { outsideLinePrefix: prefix, extensionLength: rules.extensionLength }), rules);
    return k.ok ? k.e164 : '-';
  }
  const n = parseStoredNumber(row.input, rules);
  if (!n) return '-';
  return n.switchboardBase ? `${n.e164} sw=${n.switchboardBase}` : n.e164;
}

describe('number corpus (test/contacts/corpus/numbers.tsv)', () => {
  const rows = loadCorpus();

  it('holds at least 200 real-world formats, German and foreign', () => {
    expect(rows.length).toBeGreaterThanOrEqual(200);
    expect(rows.filter((r) => r.kind === 'stored' && r.expected.startsWith('+49')).length).toBeGreaterThanOrEqual(200);
    expect(rows.filter((r) => /^\+(?!49)/.test(r.expected)).length).toBeGreaterThanOrEqual(20);
  });

  it('understands every entry as expected', () => {
    const wrong = rows
      .map((r) => ({ r, got: actual(r) }))
      .filter(({ r, got }) => got !== r.expected)
      .map(({ r, got }) => `line ${r.line} [${r.profile}/${r.kind}] ${JSON.stringify(r.input)}: expected ${r.expected}, got ${got}`);
    expect(wrong).toEqual([]);
  });
});
