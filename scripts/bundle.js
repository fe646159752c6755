#!/usr/bin/env node
/**
 * Bundles the compiled program (build/js/src/main.js, from `npm run build`) and the node_modules it
 * uses into one minified file, build/bundle/main.js, which scripts/package.sh hands to pkg --sea.
 *
 * Why (issue 9, measured with bench/wine/memoryMap.ts): every module file pkg puts into the exe stays
 * in memory up to three times for the whole day — its decompressed bytes in pkg's file cache, its
 * source text in V8's heap (needed for lazy compilation and stack traces) and a line-ends table. One
 * minified file instead of several hundred readable ones keeps all three small, and loads faster
 * (one snapshot lookup instead of hundreds).
 *
 * What stays the same: lazy require()s (src/main.ts loads the rest of the program after the early ROT
 * registration) stay lazy, as esbuild wraps required modules in functions run on first use; names are
 * not mangled, so stack traces in the log still say where; Node's built-in
 * modules and the native addon (loaded with process.dlopen from a path, src/native/addon.ts) are not
 * bundled. Licence comments of the bundled packages are kept at the end of the file.
 *
 * Usage: node scripts/bundle.js [--metafile FILE]   (FILE: esbuild's account of what went in, by size)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'build', 'js', 'src', 'main.js');
/**
 * build/bundle/main.js: src/native/addon.ts finds the addon of the build tree (and pkg's asset of it)
 * at ../Release from here, as it does at ../../../Release from build/js/src/native/.
 */
const OUT = path.join(ROOT, 'build', 'bundle', 'main.js');

/**
 * zod/mini by name (scripts/bundle/zod-mini.mjs) and zod's English messages as ES modules, so that
 * esbuild can leave out what the program does not use (see there).
 */
const ZOD_MINI_SHIM = path.join(__dirname, 'bundle', 'zod-mini.mjs');
const ALIASES = { 'zod/mini': ZOD_MINI_SHIM, 'zod/v4/locales/en.cjs': 'zod/v4/locales/en.js' };

/** Names the compiled program takes from zod/mini (`z.name` in files that require it). */
function zodMiniNamesUsed(dir = path.join(ROOT, 'build', 'js', 'src')) {
  const names = new Set();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const n of zodMiniNamesUsed(file)) names.add(n);
      continue;
    }
    if (!entry.name.endsWith('.js')) continue;
    const code = fs.readFileSync(file, 'utf8');
    const binding = /const (\w+) = __importStar\(require\("zod\/mini"\)\)/.exec(code);
    if (!binding) continue;
    for (const m of code.matchAll(new RegExp(`\\b${binding[1]}\\.([A-Za-z_$][\\w$]*)`, 'g'))) names.add(m[1]);
  }
  return names;
}

/** Fails when the program uses a zod/mini name the shim does not export. */
async function checkZodMiniShim() {
  const exported = new Set(Object.keys(await import(require('node:url').pathToFileURL(ZOD_MINI_SHIM).href)));
  const missing = [...zodMiniNamesUsed()].filter((n) => !exported.has(n));
  if (missing.length) throw new Error(`${path.relative(ROOT, ZOD_MINI_SHIM)} lacks ${missing.join(', ')}: add them to its export list`);
}

async function main() {
  await checkZodMiniShim();
  const i = process.argv.indexOf('--metafile');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    outfile: OUT,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // Whitespace and syntax only: identifiers keep their names, so a stack trace in the log reads like
    // the source. Mangling them as well made the file 26 % smaller but the idle RSS no smaller (measured
    // under Wine: 157.8 MB mangled, 156.7 MB not; the source text is a small part of what a function costs).
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'eof',
    alias: ALIASES,
    metafile: i > 0,
    logLevel: 'warning',
  });
  if (i > 0) fs.writeFileSync(process.argv[i + 1], JSON.stringify(result.metafile));
  console.log(`bundle: ${path.relative(ROOT, OUT)} (${(fs.statSync(OUT).size / 1024).toFixed(0)} KB)`);
}

main().catch((err) => {
  console.error(`bundle: ERROR: ${err.message}`);
  process.exit(1);
});
