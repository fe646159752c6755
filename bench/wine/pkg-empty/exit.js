// The reference for the program's start-up (bench/wine/startup.ts): an exe made by @yao-pkg/pkg --sea
// exactly as the program's (scripts/pkg-sea.sh, Brotli) that only prints when its first statement runs
// (µs since the epoch, like the bare node.exe's) and exits — what pkg's own start-up costs.
console.log(Math.round((performance.timeOrigin + performance.now()) * 1000));
process.exit(0);
