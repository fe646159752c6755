#!/usr/bin/env node
/**
 * One line-coverage figure for all of src/: the Linux test run (vitest, coverage/linux/coverage-final.json)
 * merged with what the Windows node.exe processes of the Wine tests executed (raw V8 coverage that
 * NODE_V8_COVERAGE made them write, .cache/coverage/wine/*.json; see test/wine/env.ts coverageEnv).
 *
 *   node scripts/coverage-merge.js [--min <lines %>] [--linux <json>] [--wine <dir>] [--out <dir>]
 *
 * The Wine files name scripts as file:///Z:/<repo>/build/js/src/….js; they are mapped back to the
 * repo's build/js files and, through tsc's source maps (tsconfig.json "sourceMap"), to src/*.ts. The
 * conversion is the one vitest uses for the Linux run (V8CoverageProvider#v8ToIstanbul of
 * @vitest/coverage-v8 with its default ignoreEmptyLines), so a line counts the same way on both sides;
 * a line is covered when either side ran it. Only lines are enforced: statements, branches and
 * functions of the two compilers (esbuild on Linux, tsc for Windows) do not line up one to one.
 * Counted are the src/**\/*.ts files only (type-only files have no lines). Windows processes that are
 * killed (not ended cleanly) write no coverage, so their share is missing, never invented.
 *
 * Exit code 0 when lines >= --min, 1 below it or when an input is missing; prints the figure, the
 * Linux-only figure and the files below 90 %. Writes the merged map to <out>/coverage-final.json.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const libCoverage = require('istanbul-lib-coverage');
const { mergeProcessCovs } = require('@bcoe/v8-coverage');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src') + path.sep;
const BUILT_SRC = path.join(ROOT, 'build', 'js', 'src') + path.sep;

function args() {
  const a = { min: undefined, linux: path.join(ROOT, 'coverage', 'linux', 'coverage-final.json'), wine: path.join(ROOT, '.cache', 'coverage', 'wine'), out: path.join(ROOT, 'coverage', 'merged') };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in a) || argv[i + 1] === undefined) throw new Error(`usage: coverage-merge.js [--min N] [--linux json] [--wine dir] [--out dir] (bad: ${argv[i]})`);
    a[key] = key === 'min' ? Number(argv[i + 1]) : path.resolve(argv[i + 1]);
  }
  if (a.min !== undefined && !(a.min >= 0 && a.min <= 100)) throw new Error(`--min must be 0..100, got ${a.min}`);
  return a;
}

/** file:///Z:/work/x/build/js/src/a.js (any case, %-escapes) → /work/x/build/js/src/a.js; undefined for other scripts. */
function unixPathOf(url) {
  const m = /^file:\/\/\/([a-zA-Z]):(\/.*)$/.exec(url);
  if (!m || m[1].toUpperCase() !== 'Z') return undefined;
  const p = path.posix.normalize(decodeURIComponent(m[2]));
  return p.startsWith(BUILT_SRC) && p.endsWith('.js') ? p : undefined;
}

/** Every Wine process's coverage, with the program's scripts renamed to their Unix file URLs. */
function wineProcessCovs(dir) {
  if (!fs.existsSync(dir)) throw new Error(`no Wine coverage in ${dir}: run the Wine tests with WILDIX_WINE_COVERAGE=${dir} (scripts/test.sh does)`);
  const covs = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const result = [];
    for (const script of raw.result ?? []) {
      const file = unixPathOf(script.url);
      if (file && fs.existsSync(file)) result.push({ ...script, url: pathToFileURL(file).href });
    }
    covs.push({ result });
  }
  return covs;
}

async function converter() {
  const { V8CoverageProvider } = await import('@vitest/coverage-v8/dist/provider.js');
  const convert = V8CoverageProvider?.prototype?.v8ToIstanbul;
  if (typeof convert !== 'function') throw new Error('@vitest/coverage-v8 has no V8CoverageProvider#v8ToIstanbul any more: adapt scripts/coverage-merge.js to its version');
  // the parts of a provider that method uses: vitest's defaults for the Linux run
  const self = { options: { ignoreEmptyLines: true, experimentalAstAwareRemapping: false }, ctx: { logger: { error: (...m) => console.error(...m) } } };
  return (url, functions) => convert.call(self, url, 0, {}, functions);
}

/** The same map with every count 0. */
function zeroed(map) {
  const out = {};
  for (const file of map.files()) {
    const fc = map.fileCoverageFor(file).toJSON();
    out[file] = { ...fc, s: Object.fromEntries(Object.keys(fc.s).map((k) => [k, 0])) };
  }
  return libCoverage.createCoverageMap(out);
}

function pct(s) {
  return s.total === 0 ? 100 : (100 * s.covered) / s.total;
}

function lineSummary(map) {
  let covered = 0;
  let total = 0;
  const files = [];
  for (const file of map.files()) {
    const s = map.fileCoverageFor(file).toSummary().lines;
    covered += s.covered;
    total += s.total;
    files.push({ file: path.relative(ROOT, file), covered: s.covered, total: s.total });
  }
  return { covered, total, files };
}

/**
 * The Linux run's map with every statement's count raised to what Wine ran on its line. The Linux
 * run's lines are the one definition of "a line of code" for both sides: tsc's source maps also map
 * comments, esbuild's (and so vitest's line set) do not; a Wine line outside that set is not counted.
 * Branches and functions stay the Linux run's (see the header).
 */
function raiseByWine(linuxMap, wineMap) {
  const out = {};
  for (const file of linuxMap.files()) {
    const fc = linuxMap.fileCoverageFor(file).toJSON();
    const ran = wineMap.data[file] ? wineMap.fileCoverageFor(file).getLineCoverage() : {};
    const s = {};
    for (const [id, loc] of Object.entries(fc.statementMap)) s[id] = Math.max(fc.s[id], ran[loc.start.line] ?? 0);
    const { all: _placeholder, ...rest } = fc; // "all": a file vitest never loaded, all zero; not a placeholder any more
    out[file] = { ...rest, s };
  }
  for (const file of wineMap.files()) {
    if (!linuxMap.data[file]) throw new Error(`${file} ran under Wine but is not in the Linux run's coverage (vitest coverage.include must be src/**/*.ts)`);
  }
  return libCoverage.createCoverageMap(out);
}

/** Only src/**\/*.ts of this repo. */
function onlySrc(map) {
  return libCoverage.createCoverageMap(Object.fromEntries(map.files().filter((f) => f.startsWith(SRC) && f.endsWith('.ts')).map((f) => [f, map.fileCoverageFor(f).toJSON()])));
}

async function main() {
  const a = args();
  if (!fs.existsSync(a.linux)) throw new Error(`no Linux coverage ${a.linux}: run npx vitest run --coverage first`);
  const linux = onlySrc(libCoverage.createCoverageMap(JSON.parse(fs.readFileSync(a.linux, 'utf8'))));

  const covs = wineProcessCovs(a.wine);
  const scripts = covs.length > 0 ? mergeProcessCovs(covs).result : [];
  if (scripts.length === 0) throw new Error(`the Wine coverage in ${a.wine} (${covs.length} process files) names no script of ${BUILT_SRC}`);
  const convert = await converter();
  const wine = libCoverage.createCoverageMap({});
  for (const s of scripts) wine.merge(await convert(s.url, s.functions));
  const wineSrc = onlySrc(wine);
  if (wineSrc.files().length === 0) throw new Error('no Wine script mapped back to src/*.ts: are the source maps in build/js (tsconfig.json "sourceMap")?');

  const merged = raiseByWine(linux, wineSrc);
  const lin = lineSummary(linux);
  const wineOnly = lineSummary(raiseByWine(zeroed(linux), wineSrc));
  fs.mkdirSync(a.out, { recursive: true });
  fs.writeFileSync(path.join(a.out, 'coverage-final.json'), JSON.stringify(merged.toJSON()));
  const all = lineSummary(merged);
  const fmt = (s) => `${pct(s).toFixed(2)} % (${s.covered}/${s.total})`;
  console.log(`src/ lines covered, Linux run + Windows node.exe under Wine: ${fmt(all)}`);
  console.log(`  Linux run alone: ${fmt(lin)}; Windows processes alone: ${fmt(wineOnly)} (${wineSrc.files().length} files loaded, ${covs.length} processes)`);
  const low = all.files.filter((f) => pct(f) < 90).sort((x, y) => pct(x) - pct(y));
  if (low.length > 0) {
    console.log('  files below 90 %:');
    for (const f of low) console.log(`    ${pct(f).toFixed(1).padStart(5)} %  ${String(f.total - f.covered).padStart(4)} lines not run  ${f.file}`);
  }
  if (a.min !== undefined && pct(all) < a.min) {
    console.error(`coverage-merge: src/ line coverage ${pct(all).toFixed(2)} % is below the required ${a.min} %`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`coverage-merge: ${e.message}`);
  process.exit(1);
});
