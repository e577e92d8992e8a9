import { circularKernel, circularSmooth, HOURS as HOURS_ } from './hours.js';

/**
 * Empirical-Bayes open-hour distributions. A customer's 24 open counts n_h (optionally smoothed
 * around the circle first, since an 8:00 reader also opens at 7:00 and 9:00) are combined with a
 * prior distribution as the posterior mean under a Dirichlet(k · prior) prior:
 *   p_h = (ñ_h + k · prior_h) / (n + k)
 * With no opens this is the prior; with many it is the customer's own smoothed histogram.
 */

/** A module-local copy for the hot loops: test runners rewrite imported bindings into property reads. */
const HOURS = HOURS_;

export type Shrinkage = { k: number; bandwidth: number };

export const DEFAULT_K_GRID = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 12, 20, 35, 60, 100] as const;
export const DEFAULT_BANDWIDTH_GRID = [0, 0.5, 0.75, 1, 1.25, 1.5, 2, 3] as const;

/** Pseudo-customers of uniform preference mixed into every prior, so no hour has probability 0. */
const UNIFORM_PSEUDO = 1;

/**
 * The shop-wide pattern: the average over customers of each customer's own open-hour
 * distribution (every customer counts once, however many emails they open), with a touch of
 * uniform so no hour is impossible. Customers without opens add nothing.
 */
export function openHourPrior(histograms: readonly (readonly number[])[]): number[] {
  const sum = new Float64Array(HOURS);
  let customers = 0;
  for (const histogram of histograms) {
    const n = total(histogram);
    if (n === 0) continue;
    customers++;
    for (let h = 0; h < HOURS; h++) sum[h]! += histogram[h]! / n;
  }
  return Array.from(sum, (s) => (s + UNIFORM_PSEUDO / HOURS) / (customers + UNIFORM_PSEUDO));
}

/**
 * A prior per segment, itself shrunk toward the shop-wide prior with the weight of `strength`
 * customers, so a segment of three customers does not get a three-customer pattern.
 */
export function segmentPriors(
  histograms: readonly (readonly number[])[],
  segments: readonly string[],
  shopPrior: readonly number[],
  strength = 20,
): Record<string, number[]> {
  const sums = new Map<string, { sum: Float64Array; customers: number }>();
  histograms.forEach((histogram, i) => {
    const n = total(histogram);
    if (n === 0) return;
    const segment = segments[i]!;
    let entry = sums.get(segment);
    if (!entry) sums.set(segment, (entry = { sum: new Float64Array(HOURS), customers: 0 }));
    entry.customers++;
    for (let h = 0; h < HOURS; h++) entry.sum[h]! += histogram[h]! / n;
  });
  const priors: Record<string, number[]> = {};
  for (const [segment, { sum, customers }] of [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    priors[segment] = Array.from(sum, (s, h) => (s + strength * shopPrior[h]!) / (customers + strength));
  }
  return priors;
}

/** The posterior-mean distribution over 24 hours; sums to 1. */
export function shrinkHistogram(
  histogram: readonly number[],
  prior: readonly number[],
  { k, bandwidth }: Shrinkage,
  kernel = circularKernel(bandwidth),
): number[] {
  const smoothed = circularSmooth(histogram, kernel);
  const n = total(histogram);
  return Array.from(smoothed, (c, h) => (c + k * prior[h]!) / (n + k));
}

export type ShrinkageSearch = Shrinkage & { logLik: number; grid: { k: number; bandwidth: number; logLik: number }[] };

/**
 * Chooses k and the smoothing bandwidth by maximising the mean log-likelihood of each customer's
 * next open hour (which is not in their histogram) over a grid: an empirical-Bayes fit of how
 * much a customer's past opens say about their next one. `priors[i]` is customer i's prior.
 */
export function chooseShrinkage(
  histograms: readonly (readonly number[])[],
  nextOpenHour: readonly number[],
  priors: readonly (readonly number[])[],
  grids: { k?: readonly number[]; bandwidth?: readonly number[] } = {},
): ShrinkageSearch {
  const kGrid = grids.k ?? DEFAULT_K_GRID;
  const bandwidthGrid = grids.bandwidth ?? DEFAULT_BANDWIDTH_GRID;
  const totals = histograms.map(total);
  const priorAtNext = nextOpenHour.map((hour, i) => priors[i]![hour]!);
  const grid: ShrinkageSearch['grid'] = [];
  let best = { k: kGrid[0]!, bandwidth: bandwidthGrid[0]!, logLik: -Infinity };
  for (const bandwidth of bandwidthGrid) {
    const kernel = circularKernel(bandwidth);
    // Only the smoothed count at the next open's hour enters the likelihood.
    const smoothedAtNext = nextOpenHour.map((hour, i) => {
      let c = 0;
      const histogram = histograms[i]!;
      for (let h = 0; h < HOURS; h++)
        if (histogram[h]! > 0) c += histogram[h]! * kernel[(((hour - h) % HOURS) + HOURS) % HOURS]!;
      return c;
    });
    for (const k of kGrid) {
      let logLik = 0;
      for (let i = 0; i < nextOpenHour.length; i++)
        logLik += Math.log((smoothedAtNext[i]! + k * priorAtNext[i]!) / (totals[i]! + k));
      logLik /= Math.max(1, nextOpenHour.length);
      grid.push({ k, bandwidth, logLik });
      if (logLik > best.logLik) best = { k, bandwidth, logLik };
    }
  }
  return { ...best, grid };
}

export function total(histogram: ArrayLike<number>): number {
  let n = 0;
  for (let h = 0; h < HOURS; h++) n += histogram[h]!;
  return n;
}
