/** Small statistics for the Wine benchmark: percentiles of samples, ratios, rounding. */

/** The p-th percentile (0–100) by linear interpolation between closest ranks; NaN without samples. */
export function percentile(samples: readonly number[], p: number): number {
  const xs = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const rank = (p / 100) * (xs.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (rank - lo);
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export function min(samples: readonly number[]): number {
  return samples.length ? Math.min(...samples) : Number.NaN;
}

export function max(samples: readonly number[]): number {
  return samples.length ? Math.max(...samples) : Number.NaN;
}

/** Rounded to `digits` decimals (JSON output). */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "2.6×" (or "" when either side is missing). */
export function ratio(product: number, baseline: number): string {
  if (!Number.isFinite(product) || !Number.isFinite(baseline) || baseline === 0) return '';
  return `${(product / baseline).toFixed(1)}×`;
}
