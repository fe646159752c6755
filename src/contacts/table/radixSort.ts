/**
 * Sorts index entries (key, phone) by key ascending, then score descending, then input order — in
 * linear time (counting sort on the score, then LSD radix on the key in 16-bit digits), so 120,000
 * entries take a few milliseconds, and the work pauses whenever its time slice is used up.
 */
import type { Slicer } from '../slicer';

const TWO32 = 4294967296;
/** Items between two looks at the clock. */
const STEP = 16384;

export async function sortEntries(
  keys: Float64Array,
  phones: Uint32Array,
  n: number,
  /** Score (0-7) of each phone. */
  scoreOfPhone: Uint8Array,
  slicer: Slicer,
): Promise<{ keys: Float64Array; phones: Uint32Array }> {
  const due = (i: number): boolean => (i & (STEP - 1)) === STEP - 1 && slicer.due();
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  // score descending, stable
  const byScore = new Uint32Array(9);
  for (let i = 0; i < n; i++) byScore[8 - scoreOfPhone[phones[i]!]!]!++;
  for (let s = 1; s < 9; s++) byScore[s]! += byScore[s - 1]!;
  for (let i = 0; i < n; i++) {
    order[byScore[7 - scoreOfPhone[phones[i]!]!]!++] = i;
    if (due(i)) await slicer.yield();
  }
  // keys are integers below 10^15 < 2^50: low and high 32-bit words
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const l = k % TWO32;
    lo[i] = l;
    hi[i] = (k - l) / TWO32;
    if (due(i)) await slicer.yield();
  }
  const count = new Uint32Array(65537);
  for (const [word, shift] of [[lo, 0], [lo, 16], [hi, 0], [hi, 16]] as const) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((word[i]! >>> shift) & 0xffff) + 1]!++;
    if (count[1] === n) continue; // every digit 0: nothing to do
    for (let d = 1; d < 65537; d++) count[d]! += count[d - 1]!;
    for (let i = 0; i < n; i++) {
      const e = order[i]!;
      next[count[(word[e]! >>> shift) & 0xffff]!++] = e;
      if (due(i)) await slicer.yield();
    }
    [order, next] = [next, order];
  }
  const outKeys = new Float64Array(n);
  const outPhones = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const e = order[i]!;
    outKeys[i] = keys[e]!;
    outPhones[i] = phones[e]!;
    if (due(i)) await slicer.yield();
  }
  return { keys: outKeys, phones: outPhones };
}
