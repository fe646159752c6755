// scripts/latin1-source.cjs: pkg's bootstrap made Latin-1 for the exe (scripts/pkg-sea-config.cjs) must
// still be the same program.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { latin1Source } = require(path.join(__dirname, '..', '..', 'scripts', 'latin1-source.cjs')) as { latin1Source: (text: string) => { source: string; count: number } };

const isLatin1 = (s: string): boolean => !/[^\u0000-\u00ff]/.test(s);

describe('latin1Source', () => {
  it('leaves a Latin-1 source (umlauts included) as it is', () => {
    const text = "const a = 'Grüße, Straße'; // ä ö ü ß\n";
    expect(latin1Source(text)).toEqual({ source: text, count: 0 });
  });

  it('escapes every character above U+00FF, and the program computes the same', () => {
    // strings, a template, regular expressions with and without u, an identifier, a comment, an astral character
    const text = [
      '// a comment with — and „quotes“',
      "const s = 'Gespräch – „Notiz“ …';",
      'const t = `${s} → ✓`;',
      'const r = /[–—]/.test("a—b") && /\\u{1F600}|😀/u.test("😀");',
      'const grüßΩ = 1;',
      // identity escapes of such a character, and an escaped backslash before one
      'const e = ["\\—", /\\—/.test("—"), `\\—`, "\\\\—"];',
      'result = [s, t, r, grüßΩ, "😀".length, e];',
    ].join('\n');
    const { source, count } = latin1Source(text);
    expect(isLatin1(source)).toBe(true);
    expect(count).toBe([...text].reduce((n, c) => n + (c.codePointAt(0)! > 0xffff ? 2 : c.charCodeAt(0) > 0xff ? 1 : 0), 0));
    const run = (code: string): unknown => {
      const context: { result?: unknown } = {};
      vm.runInNewContext(code, context);
      return context.result;
    };
    expect(run(source)).toEqual(run(text));
    expect(run(source)).toEqual(['Gespräch – „Notiz“ …', 'Gespräch – „Notiz“ … → ✓', true, 1, 2, ['—', true, '—', '\\—']]);
  });

  it("makes pkg's SEA bootstrap Latin-1 and it still compiles", () => {
    const file = path.join(__dirname, '..', '..', 'node_modules', '@yao-pkg', 'pkg', 'prelude', 'sea-bootstrap.bundle.js');
    const text = fs.readFileSync(file, 'utf8');
    const { source } = latin1Source(text);
    expect(isLatin1(source)).toBe(true);
    expect(() => new vm.Script(source, { filename: 'sea-main.js' })).not.toThrow();
  });
});
