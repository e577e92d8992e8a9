/** Arithmetic on the 24-hour circle, where 23:00 and 00:00 are neighbours. */

export const HOURS = 24;

/** Signed-free distance between two hours on the circle (0…12). */
export function circularDistance(a: number, b: number): number {
  const d = (((a - b) % HOURS) + HOURS) % HOURS;
  return Math.min(d, HOURS - d);
}

/**
 * Weights of a wrapped Gaussian kernel over hour offsets 0…23 (offset d and 24 − d are the same
 * distance), summing to 1. Bandwidth 0 is the identity: no smoothing.
 */
export function circularKernel(bandwidth: number): Float64Array {
  const weights = new Float64Array(HOURS);
  if (bandwidth <= 0) {
    weights[0] = 1;
    return weights;
  }
  let sum = 0;
  for (let d = 0; d < HOURS; d++) {
    const distance = Math.min(d, HOURS - d);
    sum += weights[d] = Math.exp(-(distance * distance) / (2 * bandwidth * bandwidth));
  }
  for (let d = 0; d < HOURS; d++) weights[d]! /= sum;
  return weights;
}

/** Circular convolution of 24 counts with a kernel from `circularKernel`; the total is preserved. */
export function circularSmooth(counts: ArrayLike<number>, kernel: Float64Array): Float64Array {
  const out = new Float64Array(HOURS);
  for (let h = 0; h < HOURS; h++) {
    const c = counts[h]!;
    if (c === 0) continue;
    for (let d = 0; d < HOURS; d++) out[(h + d) % HOURS]! += c * kernel[d]!;
  }
  return out;
}

/** Probability mass within ±radius hours of `hour`, wrapping around midnight. */
export function windowMass(probs: ArrayLike<number>, hour: number, radius: number): number {
  let mass = 0;
  for (let d = -radius; d <= radius; d++) mass += probs[(((hour + d) % HOURS) + HOURS) % HOURS]!;
  return mass;
}

/**
 * The hour whose ±radius window holds the most mass: the choice that maximises the expected hit
 * rate within ±radius (radius 0 is the mode). Ties go to the earliest hour, so it is deterministic.
 */
export function bestWindowHour(probs: ArrayLike<number>, radius: number): { hour: number; mass: number } {
  let hour = 0;
  let mass = -Infinity;
  for (let h = 0; h < HOURS; h++) {
    const m = windowMass(probs, h, radius);
    // A relative margin keeps float noise from turning an exact tie into a different hour.
    if (m > mass + 1e-12) {
      hour = h;
      mass = m;
    }
  }
  return { hour, mass };
}

export function checkHistogram(histogram: ArrayLike<number>, row = 0): void {
  if (histogram.length !== HOURS) throw new Error(`histogram ${row} has ${histogram.length} bins, expected ${HOURS}`);
  for (let h = 0; h < HOURS; h++) {
    const v = histogram[h]!;
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`histogram ${row} has an invalid count ${v} at hour ${h}`);
  }
}

export function checkHour(hour: number, row = 0): void {
  if (!(Number.isInteger(hour) && hour >= 0 && hour < HOURS))
    throw new Error(`row ${row}: hour must be an integer 0–23, got ${hour}`);
}
