// Preloaded into pkg's own process by scripts/pkg-sea.sh (node --require): two changes to the SEA that
// @yao-pkg/pkg 6.x builds, made where pkg writes its sea-config.json (the blob is generated from it right
// after). pkg's run fails when no sea-config.json went by (pkg changed how it writes it: the changes would
// silently be missing).
//   1. Node options baked into the exe. Node 22.23's SEA config takes "execArgv" (options the exe starts
//      with, as if given before the script), but pkg writes its sea-config.json without it and offers no
//      setting for it. This adds PKG_SEA_EXEC_ARGV (a JSON array of strings).
//   2. pkg's bootstrap (the SEA's "main", a 390 KB bundle) in Latin-1: V8 keeps a script's source as a
//      one-byte string only when every character is Latin-1, else two bytes per character — for the
//      whole file, for one "—" in a comment of pkg 6.23's bundle. Each character above U+00FF is written
//      as its \uXXXX escape (scripts/latin1-source.cjs).
'use strict';
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { latin1Source } = require('./latin1-source.cjs');

const execArgv = JSON.parse(process.env.PKG_SEA_EXEC_ARGV || '[]');
if (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== 'string')) {
  throw new Error(`PKG_SEA_EXEC_ARGV must be a JSON array of strings: ${process.env.PKG_SEA_EXEC_ARGV}`);
}

let written = 0;
let escaped = 0;
const writeFile = fsp.writeFile;
fsp.writeFile = function (file, data, ...rest) {
  if (typeof file === 'string' && path.basename(file) === 'sea-config.json') {
    const config = JSON.parse(String(data));
    if (execArgv.length > 0) data = JSON.stringify({ ...config, execArgv });
    if (typeof config.main === 'string') {
      const { source, count } = latin1Source(fs.readFileSync(config.main, 'utf8'));
      if (count > 0) fs.writeFileSync(config.main, source);
      escaped = count;
    }
    written++;
  }
  return writeFile.call(this, file, data, ...rest);
};
process.on('exit', (code) => {
  if (code !== 0) return;
  if (written !== 1) {
    process.stderr.write(`pkg-sea-config: pkg wrote ${written} sea-config.json files (expected 1): the exe would start without ${JSON.stringify(execArgv)} and with its bootstrap as a two-byte string\n`);
    process.exitCode = 1;
  } else if (escaped > 0) {
    process.stderr.write(`pkg-sea-config: ${escaped} characters above U+00FF in pkg's bootstrap written as escapes (a Latin-1 source)\n`);
  }
});
