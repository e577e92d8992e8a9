import { CreditTable, type Attribution } from './credit.js';
import type { PathSet } from './paths.js';

/**
 * Shapley values of the channels in the cooperative game of Zhao et al. (2018, "Shapley value
 * methods for attribution modeling in online advertising"): a coalition S of channels is worth
 * the conversions (or revenue) of the journeys that touched only channels in S. Each journey
 * counts once, by its set of channels, whatever their order or repetition.
 *
 * Up to `exactUpTo` channels the value is computed exactly over all 2^n coalitions (a subset-sum
 * transform gives every coalition's worth in n·2^n steps). Above that, it is estimated from
 * `samples` random channel orders drawn with `seed`: in one order, a channel's marginal
 * contribution is the worth of the journeys whose channels it completes.
 */
export interface ShapleyOptions {
  exactUpTo?: number;
  samples?: number;
  seed?: number;
}

interface ChannelSets {
  /** Distinct channel sets of converting journeys, each a list of channel ids. */
  sets: number[][];
  conversions: number[];
  value: number[];
}

function channelSets(paths: PathSet): ChannelSets {
  const { offsets, touches, conversions, value } = paths;
  const index = new Map<string, number>();
  const out: ChannelSets = { sets: [], conversions: [], value: [] };
  for (let p = 0; p < conversions.length; p++) {
    if (conversions[p] === 0 && value[p] === 0) continue;
    const set = [...new Set(touches.subarray(offsets[p]!, offsets[p + 1]!))].sort((a, b) => a - b);
    const key = set.join(',');
    let i = index.get(key);
    if (i === undefined) {
      i = out.sets.length;
      index.set(key, i);
      out.sets.push(set);
      out.conversions.push(0);
      out.value.push(0);
    }
    out.conversions[i]! += conversions[p]!;
    out.value[i]! += value[p]!;
  }
  return out;
}

/** Exact Shapley values: φ_i = Σ_{S ∌ i} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)). */
function exact(n: number, sets: ChannelSets, worth: number[], into: Float64Array): void {
  const size = 1 << n;
  const v = new Float64Array(size);
  sets.sets.forEach((set, k) => {
    v[set.reduce((m, ch) => m | (1 << ch), 0)]! += worth[k]!;
  });
  // Subset sums: v(S) becomes the worth of every journey whose channels are a subset of S.
  for (let bit = 0; bit < n; bit++) for (let m = 0; m < size; m++) if (m & (1 << bit)) v[m]! += v[m ^ (1 << bit)]!;
  const weight = new Float64Array(n);
  for (let s = 0; s < n; s++) weight[s] = 1 / (n * binomial(n - 1, s));
  for (let m = 0; m < size; m++) {
    const s = popcount(m);
    if (s === n) continue;
    for (let i = 0; i < n; i++) if (!(m & (1 << i))) into[i]! += weight[s]! * (v[m | (1 << i)]! - v[m]!);
  }
}

/** Permutation sampling: in each random order a journey's worth goes to the last of its channels to arrive. */
function sampled(
  n: number,
  sets: ChannelSets,
  worth: number[][],
  into: Float64Array[],
  samples: number,
  seed: number,
): void {
  const random = xorshift32(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const arrival = new Int32Array(n);
  for (let s = 0; s < samples; s++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let k = 0; k < n; k++) arrival[order[k]!] = k;
    sets.sets.forEach((set, k) => {
      let last = set[0]!;
      for (const ch of set) if (arrival[ch]! > arrival[last]!) last = ch;
      for (let w = 0; w < worth.length; w++) into[w]![last]! += worth[w]![k]! / samples;
    });
  }
}

export function shapley(
  paths: PathSet,
  { exactUpTo = 15, samples = 2000, seed = 1 }: ShapleyOptions = {},
): Attribution {
  const n = paths.channels.length;
  const sets = channelSets(paths);
  const table = new CreditTable(paths);
  const isExact = n <= exactUpTo;
  if (isExact) {
    exact(n, sets, sets.conversions, table.conversions);
    exact(n, sets, sets.value, table.value);
  } else {
    sampled(n, sets, [sets.conversions, sets.value], [table.conversions, table.value], samples, seed);
  }
  return table.toAttribution('shapley', isExact ? { method: 'exact' } : { method: 'sampled', samples, seed });
}

function popcount(m: number): number {
  let c = 0;
  for (; m; m &= m - 1) c++;
  return c;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Marsaglia's xorshift32: a seeded stream, enough to shuffle channel orders repeatably. */
function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
