import { CreditTable, type Attribution } from './credit.js';
import type { PathSet } from './paths.js';

/**
 * Rule-based models: each path's conversions and revenue are split over its touches by a weight
 * per position, and a channel earns the weights of its touches (a channel touched twice on a
 * path earns twice). Weights of a path sum to 1, so the credits add up to the totals.
 */
type Weigh = (length: number, ages: Float64Array | null, start: number, out: Float64Array) => void;

function attributeBy(paths: PathSet, model: string, weigh: Weigh): Attribution {
  const table = new CreditTable(paths);
  const { offsets, touches, ages, conversions, value } = paths;
  let scratch = new Float64Array(16);
  for (let p = 0; p < conversions.length; p++) {
    const conv = conversions[p]!;
    const val = value[p]!;
    if (conv === 0 && val === 0) continue;
    const start = offsets[p]!;
    const length = offsets[p + 1]! - start;
    if (scratch.length < length) scratch = new Float64Array(length * 2);
    weigh(length, ages, start, scratch);
    for (let k = 0; k < length; k++) {
      const w = scratch[k]!;
      if (w === 0) continue;
      const ch = touches[start + k]!;
      table.conversions[ch]! += w * conv;
      table.value[ch]! += w * val;
    }
  }
  return table.toAttribution(model);
}

export function firstTouch(paths: PathSet): Attribution {
  return attributeBy(paths, 'first_touch', (n, _a, _s, out) => {
    out.fill(0, 0, n);
    out[0] = 1;
  });
}

export function lastTouch(paths: PathSet): Attribution {
  return attributeBy(paths, 'last_touch', (n, _a, _s, out) => {
    out.fill(0, 0, n);
    out[n - 1] = 1;
  });
}

export function linear(paths: PathSet): Attribution {
  return attributeBy(paths, 'linear', (n, _a, _s, out) => out.fill(1 / n, 0, n));
}

/**
 * A touch's weight halves every `halfLifeDays` before the end of the journey. Paths without
 * touch times count each touch one day before the next, so the last touch is at age 0.
 */
export function timeDecay(paths: PathSet, halfLifeDays = 7): Attribution {
  if (!(halfLifeDays > 0)) throw new Error('halfLifeDays must be positive');
  const rate = Math.LN2 / halfLifeDays;
  return attributeBy(paths, 'time_decay', (n, ages, start, out) => {
    let total = 0;
    for (let k = 0; k < n; k++) {
      const age = ages ? ages[start + k]! : n - 1 - k;
      total += out[k] = Math.exp(-rate * age);
    }
    for (let k = 0; k < n; k++) out[k]! /= total;
  });
}

/**
 * Position based ("U-shaped"): `ends` to the first touch and as much to the last, the rest
 * spread over the touches between; a path of one touch gives it all, of two half each.
 */
export function positionBased(paths: PathSet, ends = 0.4): Attribution {
  if (!(ends >= 0 && ends <= 0.5)) throw new Error('the share of each end must be between 0 and 0.5');
  return attributeBy(paths, 'position_based', (n, _a, _s, out) => {
    if (n <= 2) {
      out.fill(1 / n, 0, n);
      return;
    }
    out.fill((1 - 2 * ends) / (n - 2), 0, n);
    out[0] = ends;
    out[n - 1] = ends;
  });
}
