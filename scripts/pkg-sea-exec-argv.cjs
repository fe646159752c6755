// Preloaded into pkg's own process by scripts/pkg-sea.sh (node --require): Node options baked into the exe.
// Node 22.23's SEA config takes "execArgv" (options the exe starts with, as if given before the script),
// but @yao-pkg/pkg 6.x writes its sea-config.json without it and offers no setting for it. This adds
// PKG_SEA_EXEC_ARGV (a JSON array of strings) to that file as pkg writes it, and makes pkg's run fail
// when no sea-config.json went by (pkg changed how it writes it: the options would silently be missing).
'use strict';
const fsp = require('node:fs/promises');
const path = require('node:path');

const execArgv = JSON.parse(process.env.PKG_SEA_EXEC_ARGV || '[]');
if (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== 'string')) {
  throw new Error(`PKG_SEA_EXEC_ARGV must be a JSON array of strings: ${process.env.PKG_SEA_EXEC_ARGV}`);
}
let written = 0;
const writeFile = fsp.writeFile;
fsp.writeFile = function (file, data, ...rest) {
  if (typeof file === 'string' && path.basename(file) === 'sea-config.json') {
    if (execArgv.length > 0) data = JSON.stringify({ ...JSON.parse(String(data)), execArgv });
    written++;
  }
  return writeFile.call(this, file, data, ...rest);
};
process.on('exit', (code) => {
  if (code === 0 && written !== 1) {
    process.stderr.write(`pkg-sea-exec-argv: pkg wrote ${written} sea-config.json files (expected 1): the exe would start without ${JSON.stringify(execArgv)}\n`);
    process.exitCode = 1;
  }
});
