#!/usr/bin/env node
/**
 * Bundles the compiled program (build/js, from `npm run build`) and the node_modules it uses for
 * scripts/package.sh, which hands build/bundle/main.js to pkg --sea:
 *   build/bundle/main.js     src/main.ts;
 *   build/bundle/early/…     the few modules of the early ROT registration (src/native/earlyStart.ts and
 *                            what it imports), as tsc wrote them, in their folders: both bundles
 *                            require() them from there, so each exists once (one loaded addon, one
 *                            DatevError class);
 *   build/bundle/program.js  src/program.ts, the rest, which main.js require()s once the CTI object is
 *                            in the ROT: V8 compiles (pre-parses) a script as a whole when it is loaded,
 *                            about 27 ms for these 850 KB, which would otherwise come before the
 *                            registration (start → ROT under Wine: 55 ms less, bench:wine).
 *
 * Why (issue 9, measured with bench/wine/memoryMap.ts): every module file pkg puts into the exe stays
 * in memory up to three times for the whole day — its decompressed bytes in pkg's file cache, its
 * source text in V8's heap (needed for lazy compilation and stack traces) and a line-ends table. Two
 * minified files instead of several hundred readable ones keep all three small, and load faster
 * (two snapshot lookups instead of hundreds).
 *
 * What stays the same: lazy require()s stay lazy, as esbuild wraps required modules in functions run
 * on first use; names are not mangled, so stack traces in the log still say where; Node's built-in
 * modules and the native addon (loaded with process.dlopen from a path, src/native/addon.ts) are not
 * bundled. Licence comments of the bundled packages are kept at the end of each file.
 *
 * Usage: node scripts/bundle.js [--metafile FILE]   (FILE: esbuild's account of what went into each, by size)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { latin1Source } = require('./latin1-source.cjs');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'build', 'js', 'src');
/**
 * build/bundle/: src/native/addon.ts finds the addon of the build tree (and pkg's asset of it) at
 * ../Release from here, as it does at ../../../Release from build/js/src/native/.
 */
const OUT_DIR = path.join(ROOT, 'build', 'bundle');
const EARLY_ENTRY = path.join(SRC, 'native', 'earlyStart.js');
const EARLY_DIR = path.join(OUT_DIR, 'early');
/** main.js require()s './program' at run time: program.js next to it. */
const BUNDLES = [
  { entry: 'main.js', external: ['./program'] },
  { entry: 'program.js', external: [] },
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Packages the program require()s by name, each put in place by an ES module that re-exports only
 * the names the program uses (scripts/bundle/*.mjs): a require()d module is bundled whole, an ES
 * module's unused exports are left out.
 */
const SHIMS = [
  { specifiers: ['zod/mini'], file: path.join(__dirname, 'bundle', 'zod-mini.mjs') },
  { specifiers: ['libphonenumber-js', 'libphonenumber-js/min'], file: path.join(__dirname, 'bundle', 'libphonenumber.mjs') },
];
/** Puts each shim in place of its packages, except for the shim's own import of the package. */
const shimPlugin = {
  name: 'shims',
  setup(build) {
    for (const shim of SHIMS) {
      const filter = new RegExp(`^(${shim.specifiers.map(escape).join('|')})$`);
      build.onResolve({ filter }, (args) => (args.importer === shim.file ? undefined : { path: shim.file }));
    }
  },
};
/** zod's English messages as an ES module (src/config/schema.ts takes the CommonJS file). */
const ALIASES = { 'zod/v4/locales/en.cjs': 'zod/v4/locales/en.js' };

/**
 * The compiled files of the early registration (earlyStart.js and what it imports), copied to
 * build/bundle/early/ in their folders, as Latin-1 like the bundles (tsc keeps „“–… as they are; esbuild
 * writes ASCII): one byte per character in V8; returns their paths in build/js.
 */
async function copyEarlyModules() {
  const { metafile } = await esbuild.build({ entryPoints: [EARLY_ENTRY], bundle: true, platform: 'node', write: false, metafile: true, logLevel: 'warning' });
  const files = Object.keys(metafile.inputs).map((f) => path.resolve(ROOT, f));
  const foreign = files.filter((f) => !f.startsWith(SRC + path.sep));
  if (foreign.length) throw new Error(`the early registration imports ${foreign.map((f) => path.relative(ROOT, f)).join(', ')}: only the program's own modules can be kept apart (build/bundle/early)`);
  fs.rmSync(EARLY_DIR, { recursive: true, force: true });
  for (const f of files) {
    const to = path.join(EARLY_DIR, path.relative(SRC, f));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, latin1Source(fs.readFileSync(f, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n')).source);
  }
  return new Set(files);
}

/** Imports of an early module become require()s of its copy in build/bundle/early/. */
function earlyPlugin(early) {
  return {
    name: 'early-modules',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = path.resolve(args.resolveDir, args.path) + '.js';
        if (!early.has(file)) return undefined;
        return { path: './' + path.relative(OUT_DIR, path.join(EARLY_DIR, path.relative(SRC, file))).replace(/\\/g, '/').replace(/\.js$/, ''), external: true };
      });
    },
  };
}

function compiledFiles(dir = SRC) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return compiledFiles(file);
    return e.name.endsWith('.js') ? [file] : [];
  });
}

/** Names the compiled program takes from `specifier` (tsc's `const x = [__importStar(]require("…")`, then `x.name`). */
function namesUsed(specifier, sources) {
  const names = new Set();
  const binding = new RegExp(`const (\\w+) = (?:__importStar\\()?require\\("${escape(specifier)}"\\)`, 'g');
  for (const code of sources) {
    for (const b of code.matchAll(binding)) {
      for (const m of code.matchAll(new RegExp(`\\b${b[1]}\\.([A-Za-z_$][\\w$]*)`, 'g'))) names.add(m[1]);
    }
  }
  return names;
}

/** Fails when the program uses a name its shim does not export. */
async function checkShims() {
  const sources = compiledFiles().map((f) => fs.readFileSync(f, 'utf8'));
  for (const shim of SHIMS) {
    const exported = new Set(Object.keys(await import(require('node:url').pathToFileURL(shim.file).href)));
    const used = new Set(shim.specifiers.flatMap((spec) => [...namesUsed(spec, sources)]));
    if (used.size === 0) throw new Error(`nothing in build/js uses ${shim.specifiers.join(' or ')}: drop ${path.relative(ROOT, shim.file)}`);
    const missing = [...used].filter((n) => !exported.has(n));
    if (missing.length) throw new Error(`${path.relative(ROOT, shim.file)} lacks ${missing.join(', ')}: add them to its export list`);
  }
}

/** Every script in the exe is Latin-1: V8 holds a source with one character above U+00FF at two bytes per character. */
function checkLatin1(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.js')) continue;
    const file = path.join(e.parentPath ?? e.path, e.name);
    if (latin1Source(fs.readFileSync(file, 'utf8')).count > 0) throw new Error(`${path.relative(ROOT, file)} has characters above U+00FF: V8 would keep it at two bytes per character`);
  }
}

async function main() {
  await checkShims();
  const i = process.argv.indexOf('--metafile');
  const early = await copyEarlyModules();
  const metafiles = [];
  for (const b of BUNDLES) {
    const out = path.join(OUT_DIR, b.entry);
    const result = await esbuild.build({
      entryPoints: [path.join(SRC, b.entry)],
      outfile: out,
      external: b.external,
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
      plugins: [earlyPlugin(early), shimPlugin],
      metafile: i > 0,
      // the default, said here because it matters: ASCII output, so V8 keeps the source one byte per character
      charset: 'ascii',
      logLevel: 'warning',
    });
    if (result.metafile) metafiles.push(result.metafile);
    console.log(`bundle: ${path.relative(ROOT, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KB)`);
  }
  console.log(`bundle: ${path.relative(ROOT, EARLY_DIR)}: ${[...early].map((f) => path.relative(SRC, f)).join(', ')}`);
  checkLatin1(OUT_DIR);
  if (i > 0) fs.writeFileSync(process.argv[i + 1], JSON.stringify(metafiles));
}

main().catch((err) => {
  console.error(`bundle: ERROR: ${err.message}`);
  process.exit(1);
});
