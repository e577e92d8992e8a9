import { circularKernel, HOURS as HOURS_ } from './hours.js';
import { total } from './shrinkage.js';

/**
 * A latent preferred hour per customer: each open lands near it (a discretised wrapped Gaussian
 * of spread σ hours) or, with probability ε, at any hour. Preferred hours follow a shop-wide (or
 * segment) distribution π, fitted by EM across customers. A customer's opens give a posterior
 * over their preferred hour, shrunk toward π when they are few, and the next open's distribution
 * is that posterior pushed through the same noise. Unlike a Dirichlet mixing the shop's pattern
 * into the customer's histogram, one open at 14:00 moves the whole prediction toward 14:00
 * instead of adding a bump there to the shop's morning and evening peaks.
 */

/** A module-local copy for the hot loops: test runners rewrite imported bindings into property reads. */
const HOURS = HOURS_;

export type PreferredHourParams = { pi: number[]; sigma: number; epsilon: number };

export const DEFAULT_SIGMA_GRID = [0.75, 1, 1.25, 1.5, 2, 2.5, 3] as const;
export const DEFAULT_EPSILON_GRID = [0.05, 0.1, 0.15, 0.2, 0.3, 0.45] as const;
const EM_MAX_ITERATIONS = 100;
/**
 * EM stops once an iteration gains less than this in mean log-likelihood per customer: hours
 * whose π heads for 0 crawl there for ever, but nothing a prediction can notice changes.
 */
const EM_TOLERANCE = 1e-7;

/** P(open at hour o | preferred hour q) as a row-major 24 × 24 matrix (row q). */
export function openLikelihood(sigma: number, epsilon: number): Float64Array {
  const kernel = circularKernel(sigma);
  const matrix = new Float64Array(HOURS * HOURS);
  for (let q = 0; q < HOURS; q++) {
    for (let o = 0; o < HOURS; o++)
      matrix[q * HOURS + o] = (1 - epsilon) * kernel[(o - q + HOURS) % HOURS]! + epsilon / HOURS;
  }
  return matrix;
}

/**
 * Per customer, the likelihood of their opens under each preferred hour, scaled so the largest
 * is 1 (only ratios matter for the posterior). Customers without opens get all ones.
 */
export function evidence(histograms: readonly (readonly number[])[], likelihood: Float64Array): Float64Array {
  const out = new Float64Array(histograms.length * HOURS);
  const logLik = Float64Array.from(likelihood, Math.log);
  const row = new Float64Array(HOURS);
  histograms.forEach((histogram, i) => {
    row.fill(0);
    for (let o = 0; o < HOURS; o++) {
      const count = histogram[o]!;
      if (count === 0) continue;
      for (let q = 0; q < HOURS; q++) row[q]! += count * logLik[q * HOURS + o]!;
    }
    let top = -Infinity;
    for (let q = 0; q < HOURS; q++) if (row[q]! > top) top = row[q]!;
    for (let q = 0; q < HOURS; q++) out[i * HOURS + q] = Math.exp(row[q]! - top);
  });
  return out;
}

/**
 * EM for π given fixed evidence: π ← mean posterior (plus `pseudo` customers distributed as
 * `anchor`, uniform unless given, so no hour gets probability 0). Mixture weights converge slowly
 * under plain EM, so steps are extrapolated with SQUAREM (Varadhan & Roland 2008), falling back
 * to the plain EM step whenever the extrapolation leaves the simplex or lowers the likelihood.
 */
export function fitPi(
  ev: Float64Array,
  rows: readonly number[],
  start: readonly number[],
  anchor: readonly number[] = uniform(),
  pseudo = 1,
): number[] {
  const step = (pi: readonly number[]) => emStep(ev, rows, pi, anchor, pseudo);
  let pi = [...start];
  for (let iteration = 0; iteration < EM_MAX_ITERATIONS; iteration++) {
    const p1 = step(pi);
    const p2 = step(p1.pi);
    const r = p1.pi.map((v, q) => v - pi[q]!);
    const v = p2.pi.map((x, q) => x - 2 * p1.pi[q]! + pi[q]!);
    const alpha = Math.min(-1, -Math.sqrt(dot(r, r) / Math.max(dot(v, v), 1e-300)));
    let next = p2;
    const jump = pi.map((x, q) => x - 2 * alpha * r[q]! + alpha * alpha * v[q]!);
    if (jump.every((x) => x > 0)) {
      const candidate = step(jump);
      if (candidate.logLik >= p2.logLik) next = candidate;
    }
    pi = next.pi;
    if (next.logLik - p1.logLik < EM_TOLERANCE * Math.max(1, rows.length)) break;
  }
  return pi;
}

/** One EM update of π, and the penalised log-likelihood at the π it started from. */
function emStep(
  ev: Float64Array,
  rows: readonly number[],
  pi: readonly number[],
  anchor: readonly number[],
  pseudo: number,
): { pi: number[]; logLik: number } {
  const sum = new Float64Array(HOURS);
  const post = new Float64Array(HOURS);
  let logLik = 0;
  for (const i of rows) {
    const offset = i * HOURS;
    let z = 0;
    for (let q = 0; q < HOURS; q++) z += post[q] = pi[q]! * ev[offset + q]!;
    for (let q = 0; q < HOURS; q++) sum[q]! += post[q]! / z;
    logLik += Math.log(z);
  }
  for (let q = 0; q < HOURS; q++) logLik += pseudo * anchor[q]! * Math.log(pi[q]!);
  return { pi: Array.from(sum, (s, q) => (s + pseudo * anchor[q]!) / (rows.length + pseudo)), logLik };
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** P(next open at `hour`) for one customer: `predictive(...)[hour]` without the other 23. */
function predictiveAt(
  ev: Float64Array,
  offset: number,
  pi: readonly number[],
  likelihood: Float64Array,
  hour: number,
): number {
  let z = 0;
  let p = 0;
  for (let q = 0; q < HOURS; q++) {
    const w = pi[q]! * ev[offset + q]!;
    z += w;
    p += w * likelihood[q * HOURS + hour]!;
  }
  return p / z;
}

/** Distribution of the next open hour given one customer's evidence row. */
export function predictive(
  ev: ArrayLike<number>,
  offset: number,
  pi: readonly number[],
  likelihood: Float64Array,
): number[] {
  const out = new Float64Array(HOURS);
  predictiveInto(ev, offset, pi, likelihood, out, 0, new Float64Array(HOURS));
  return Array.from(out);
}

/**
 * `predictive` written into `out[outOffset…outOffset+23]` (which must hold zeros), with `post` as
 * 24 doubles of scratch: the same arithmetic, without allocating per customer.
 */
export function predictiveInto(
  ev: ArrayLike<number>,
  offset: number,
  pi: readonly number[],
  likelihood: Float64Array,
  out: Float64Array,
  outOffset: number,
  post: Float64Array,
): void {
  let z = 0;
  for (let q = 0; q < HOURS; q++) z += post[q] = pi[q]! * ev[offset + q]!;
  for (let q = 0; q < HOURS; q++) {
    const w = post[q]! / z;
    if (w < 1e-15) continue;
    const row = q * HOURS;
    for (let o = 0; o < HOURS; o++) out[outOffset + o]! += w * likelihood[row + o]!;
  }
}

export type PreferredHourSearch = PreferredHourParams & { logLik: number; evaluated: number };

/**
 * Chooses (σ, ε) on a grid, with π fitted by EM on the customers that have opens, by how well the
 * predictive explains each customer's next open (mean log-likelihood). The grid is searched one
 * axis at a time until neither axis improves: the surface is smooth, and this needs a third of
 * the fits of the full grid.
 */
export function fitPreferredHour(
  histograms: readonly (readonly number[])[],
  nextOpenHour: readonly number[],
  grids: { sigma?: readonly number[]; epsilon?: readonly number[] } = {},
): PreferredHourSearch {
  const sigmas = grids.sigma ?? DEFAULT_SIGMA_GRID;
  const epsilons = grids.epsilon ?? DEFAULT_EPSILON_GRID;
  const withOpens = histograms.flatMap((h, i) => (total(h) > 0 ? [i] : []));
  const cache = new Map<string, PreferredHourParams & { logLik: number }>();
  // Neighbouring grid points have similar π: starting EM from the last one saves iterations.
  let start = uniform();
  const evaluate = (s: number, e: number) => {
    const key = `${s}|${e}`;
    let result = cache.get(key);
    if (!result) {
      const sigma = sigmas[s]!;
      const epsilon = epsilons[e]!;
      const likelihood = openLikelihood(sigma, epsilon);
      const ev = evidence(histograms, likelihood);
      const pi = (start = fitPi(ev, withOpens, start));
      let logLik = 0;
      nextOpenHour.forEach((hour, i) => (logLik += Math.log(predictiveAt(ev, i * HOURS, pi, likelihood, hour))));
      result = { pi, sigma, epsilon, logLik: logLik / Math.max(1, nextOpenHour.length) };
      cache.set(key, result);
    }
    return result;
  };
  let s = Math.floor(sigmas.length / 2);
  let e = Math.floor(epsilons.length / 2);
  for (let moved = true; moved;) {
    moved = false;
    const bestSigma = argmax(sigmas.length, (i) => evaluate(i, e).logLik);
    if (bestSigma !== s) [s, moved] = [bestSigma, true];
    const bestEpsilon = argmax(epsilons.length, (j) => evaluate(s, j).logLik);
    if (bestEpsilon !== e) [e, moved] = [bestEpsilon, true];
  }
  return { ...evaluate(s, e), evaluated: cache.size };
}

function argmax(n: number, value: (i: number) => number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = value(i);
    if (v > bestValue) [best, bestValue] = [i, v];
  }
  return best;
}

/** π per segment, by EM shrunk toward the shop's π with the weight of `strength` customers. */
export function segmentPis(
  histograms: readonly (readonly number[])[],
  segments: readonly string[],
  params: PreferredHourParams,
  strength = 20,
): Record<string, number[]> {
  const ev = evidence(histograms, openLikelihood(params.sigma, params.epsilon));
  const rows = new Map<string, number[]>();
  histograms.forEach((h, i) => {
    if (total(h) === 0) return;
    const list = rows.get(segments[i]!);
    if (list) list.push(i);
    else rows.set(segments[i]!, [i]);
  });
  const out: Record<string, number[]> = {};
  for (const [segment, index] of [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    out[segment] = fitPi(ev, index, params.pi, params.pi, strength);
  return out;
}

function uniform(): number[] {
  return new Array<number>(HOURS).fill(1 / HOURS);
}
