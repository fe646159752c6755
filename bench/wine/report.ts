/** The Wine benchmark's table (stdout) and JSON (.cache/bench/wine.json). Figures only; no verdicts. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Row {
  measure: string;
  product: string;
  baseline: string;
  ratio: string;
  /** Reference figures (bare node.exe) or remarks. */
  reference: string;
  /** The goal of issue 9 for this figure, as text. */
  goal: string;
}

export const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
export const ms = (x: number): string => `${fmt(x, x < 10 ? 1 : 0)} ms`;
export const mb = (x: number): string => `${fmt(x)} MB`;

/** A plain-text table with a header, columns padded to their widest cell. */
export function table(rows: Row[]): string {
  const head: Row = { measure: 'measure', product: 'this program', baseline: 'native baseline', ratio: 'ratio', reference: 'bare node.exe / notes', goal: 'goal (issue 9)' };
  const cols: (keyof Row)[] = ['measure', 'product', 'baseline', 'ratio', 'reference', 'goal'];
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: Row): string => cols.map((c, k) => r[c].padEnd(width[k]!)).join(' | ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** The same table as Markdown (for README). */
export function markdown(rows: Row[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| measure | this program | native baseline | ratio | bare node.exe / notes | goal (issue 9) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${[r.measure, r.product, r.baseline, r.ratio, r.reference, r.goal].map(esc).join(' | ')} |`),
  ].join('\n');
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
