import { CreditTable, shareOut, type Attribution } from './credit.js';
import type { PathSet } from './paths.js';

/**
 * Markov-chain attribution by removal effect (Anderl et al. 2016, the model of the
 * ChannelAttribution package). Journeys are walks from a start state through channel states to
 * "conversion" or "null"; a channel's removal effect is the share of the conversion probability
 * lost when its states lead to null instead. The probabilities are absorbing-chain probabilities
 * solved exactly — (I − Q)·x = r, one linear solve per removed channel — where ChannelAttribution
 * simulates walks and converges to the same numbers as its simulation count grows.
 *
 * Revenue: each state's conversion step is rewarded with the mean revenue of the conversions that
 * ended there, so the revenue removal effects weigh the channels that lead to large orders.
 *
 * Order k > 1 makes a state the last k channels of the walk (fewer at its beginning); removing a
 * channel removes every state that contains it.
 */
export interface MarkovOptions {
  order?: number;
}

const MAX_STATES = 1500;

interface Chain {
  /** Transient states: 0 is the start, the rest are channel tuples. */
  states: number;
  /** Row-normalised transition probabilities among transient states, states × states. */
  q: Float64Array;
  toConversion: Float64Array;
  /** Mean revenue of a conversion reached from each state. */
  meanValue: Float64Array;
  /** Per channel, the states that contain it. */
  statesOf: number[][];
}

function buildChain(paths: PathSet, order: number): Chain {
  const { channels, offsets, touches, conversions, value, nulls } = paths;
  const ids = new Map<string, number>([['', 0]]);
  const statesOf: number[][] = channels.map(() => []);
  const stateOf = (start: number, end: number): number => {
    const key = Array.prototype.join.call(touches.subarray(start, end), ',');
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
      for (const ch of new Set(touches.subarray(start, end))) statesOf[ch]!.push(id);
    }
    return id;
  };
  const edges = new Map<number, number>();
  const ends: { state: number; conv: number; nulls: number; value: number }[] = [];
  for (let p = 0; p < conversions.length; p++) {
    const w = conversions[p]! + nulls[p]!;
    if (w === 0) continue;
    const start = offsets[p]!;
    let prev = 0;
    for (let k = start; k < offsets[p + 1]!; k++) {
      const state = stateOf(Math.max(start, k + 1 - order), k + 1);
      const edge = prev * (MAX_STATES + 1) + state;
      edges.set(edge, (edges.get(edge) ?? 0) + w);
      prev = state;
      if (ids.size > MAX_STATES)
        throw new Error(`the order-${order} chain has more than ${MAX_STATES} states; use a lower order`);
    }
    ends.push({ state: prev, conv: conversions[p]!, nulls: nulls[p]!, value: value[p]! });
  }
  const states = ids.size;
  const counts = new Float64Array(states * states);
  for (const [edge, w] of edges) counts[Math.floor(edge / (MAX_STATES + 1)) * states + (edge % (MAX_STATES + 1))] = w;
  const toConversion = new Float64Array(states);
  const toNull = new Float64Array(states);
  const endValue = new Float64Array(states);
  for (const e of ends) {
    toConversion[e.state]! += e.conv;
    toNull[e.state]! += e.nulls;
    endValue[e.state]! += e.value;
  }
  const q = new Float64Array(states * states);
  const meanValue = new Float64Array(states);
  for (let s = 0; s < states; s++) {
    let out = toConversion[s]! + toNull[s]!;
    for (let t = 0; t < states; t++) out += counts[s * states + t]!;
    if (out === 0) continue;
    for (let t = 0; t < states; t++) q[s * states + t] = counts[s * states + t]! / out;
    meanValue[s] = toConversion[s]! > 0 ? endValue[s]! / toConversion[s]! : 0;
    toConversion[s]! /= out;
  }
  return { states, q, toConversion, meanValue, statesOf };
}

/**
 * Probabilities of conversion and expected revenue from the start state, with `removed` states
 * absorbing into null: Gaussian elimination with partial pivoting on (I − Q) for two right-hand
 * sides at once.
 */
function absorb(chain: Chain, removed: ReadonlySet<number>): { conversion: number; value: number } {
  const n = chain.states;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n * 2);
  for (let s = 0; s < n; s++) {
    a[s * n + s] = 1;
    if (removed.has(s)) continue;
    for (let t = 0; t < n; t++) a[s * n + t]! -= chain.q[s * n + t]!;
    b[s * 2] = chain.toConversion[s]!;
    b[s * 2 + 1] = chain.toConversion[s]! * chain.meanValue[s]!;
  }
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c]!, a[col * n + c]!];
      [b[col * 2], b[pivot * 2], b[col * 2 + 1], b[pivot * 2 + 1]] = [
        b[pivot * 2]!,
        b[col * 2]!,
        b[pivot * 2 + 1]!,
        b[col * 2 + 1]!,
      ];
    }
    const d = a[col * n + col]!;
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c]! -= f * a[col * n + c]!;
      b[r * 2]! -= f * b[col * 2]!;
      b[r * 2 + 1]! -= f * b[col * 2 + 1]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s0 = b[r * 2]!;
    let s1 = b[r * 2 + 1]!;
    for (let c = r + 1; c < n; c++) {
      s0 -= a[r * n + c]! * b[c * 2]!;
      s1 -= a[r * n + c]! * b[c * 2 + 1]!;
    }
    b[r * 2] = s0 / a[r * n + r]!;
    b[r * 2 + 1] = s1 / a[r * n + r]!;
  }
  return { conversion: b[0]!, value: b[1]! };
}

export interface RemovalEffects {
  conversionProbability: number;
  /** Per channel: 1 − P(conversion without the channel) / P(conversion). */
  conversion: Float64Array;
  value: Float64Array;
}

export function removalEffects(paths: PathSet, { order = 1 }: MarkovOptions = {}): RemovalEffects {
  if (!Number.isInteger(order) || order < 1) throw new Error('order must be a positive integer');
  const chain = buildChain(paths, order);
  const base = absorb(chain, new Set());
  const m = paths.channels.length;
  const conversion = new Float64Array(m);
  const value = new Float64Array(m);
  for (let ch = 0; ch < m; ch++) {
    const without = absorb(chain, new Set(chain.statesOf[ch]));
    conversion[ch] = base.conversion > 0 ? 1 - without.conversion / base.conversion : 0;
    value[ch] = base.value > 0 ? 1 - without.value / base.value : 0;
  }
  return { conversionProbability: base.conversion, conversion, value };
}

/** Conversions and revenue shared out in proportion to the removal effects. */
export function markov(paths: PathSet, options: MarkovOptions = {}): Attribution {
  const effects = removalEffects(paths, options);
  const table = new CreditTable(paths);
  const result = table.toAttribution('markov');
  shareOut(effects.conversion, result.totalConversions, table.conversions);
  shareOut(effects.value, result.totalValue, table.value);
  // An array, not an object keyed by channel: channel names (`utm · shop.example/referral`) may hold dots.
  const removal = paths.channels.map((channel, i) => ({
    channel,
    conversion: effects.conversion[i]!,
    value: effects.value[i]!,
  }));
  return table.toAttribution('markov', {
    order: options.order ?? 1,
    conversionProbability: effects.conversionProbability,
    removalEffects: removal,
  });
}
