/**
 * `BENCH_MAIN=bench/wine/startupOnly.ts npm run bench:wine`: only the start-up phase, with more starts
 * (BENCH_STARTS, default 9) — start-up figures move by tens of ms between starts on a shared machine, and
 * a comparison of a few ms needs more samples than the full benchmark takes. Interleaved like there:
 * each round a bare node.exe, process.exit(0) packaged by pkg --sea (bench/wine/pkg-empty) and the program,
 * cold then warm. Figures only.
 */
import { Bench, productSubject } from './benchEnv';
import { median } from './stats';
import { timeCtiStart, timeReference, type StartSample } from './startup';

const STARTS = Number(process.env.BENCH_STARTS ?? 9);

async function main(): Promise<void> {
  const bench = await Bench.start();
  const node: StartSample[] = [];
  const pkg: StartSample[] = [];
  const product: StartSample[] = [];
  try {
    for (let round = 0; round < STARTS; round++) {
      for (const cold of [true, false]) {
        const kind = cold ? 'cold' : 'warm';
        node.push(await timeReference(bench, 'node', cold, `start-node-${kind}`));
        pkg.push(await timeReference(bench, 'pkg', cold, `start-pkg-${kind}`));
        product.push(await timeCtiStart(bench, productSubject(), cold, `start-product-${kind}`));
      }
      process.stderr.write(`round ${round + 1}/${STARTS}\n`);
    }
  } finally {
    await bench.close();
  }
  const p50 = (xs: StartSample[], cold: boolean, f: (x: StartSample) => number = (x) => x.ms): number =>
    median(xs.filter((x) => x.cold === cold).map(f));
  for (const cold of [true, false]) {
    const n = p50(node, cold);
    const k = p50(pkg, cold);
    const p = p50(product, cold);
    console.log(
      `${cold ? 'cold' : 'warm'}, p50 of ${STARTS}: bare node.exe start → exit ${n.toFixed(0)} ms (first statement ${p50(node, cold, (x) => x.readyMs).toFixed(0)}), ` +
        `pkg --sea of process.exit(0) ${k.toFixed(0)} ms (first statement ${p50(pkg, cold, (x) => x.readyMs).toFixed(0)}), ` +
        `program start → ROT ${p.toFixed(0)} ms: ${(p - n).toFixed(0)} ms over bare node.exe, ${(p - k).toFixed(0)} ms over the packaged exit`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
