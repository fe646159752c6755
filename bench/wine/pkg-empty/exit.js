// The references for the program's start-up and idle memory (bench/wine/startup.ts, main.ts): an exe made
// by @yao-pkg/pkg --sea exactly as the program's (scripts/pkg-sea.sh, Brotli). By default it only prints
// when its first statement runs (µs since the epoch, like the bare node.exe's) and exits — what pkg's own
// start-up costs; with --idle it waits for ever instead (setInterval) — what pkg's own idle RSS is.
if (process.argv.includes('--idle')) {
  setInterval(() => {}, 1000);
} else {
  console.log(Math.round((performance.timeOrigin + performance.now()) * 1000));
  process.exit(0);
}
