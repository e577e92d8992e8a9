import { normalizedGini } from '../metrics.js';

/**
 * How much of the ZILN network and how much of BG/NBD + Gamma-Gamma a lifetime value gets.
 *
 * Both predict expected revenue in dollars, so their weighted mean is a prediction on the same
 * scale, and a weight of 0 or 1 is one family alone. The weight is chosen by normalised Gini on
 * out-of-fold predictions for every customer the models may learn from, never by one validation
 * fold: revenue is heavy-tailed, and on a fold of a few hundred customers one large order decides
 * the Gini. On Online Retail the single-fold choice picked ZILN in 3 folds of 5 where BG/NBD + GG
 * won on the holdout (docs/models.md).
 */

/** The weights tried, of the first family (ZILN): a coarse grid, since finer steps only fit noise. */
export const BLEND_WEIGHTS = [0, 0.25, 0.5, 0.75, 1] as const;

/** w·a + (1 − w)·b per customer. */
export function blendPredictions(a: ArrayLike<number>, b: ArrayLike<number>, weight: number): Float64Array {
  if (a.length !== b.length) throw new Error(`blendPredictions: ${a.length} vs ${b.length} predictions`);
  return Float64Array.from({ length: a.length }, (_, i) => weight * a[i]! + (1 - weight) * b[i]!);
}

export type BlendChoice = {
  /** The weight of `a`; 1 − weight goes to `b`. */
  weight: number;
  /** Normalised Gini of every weight tried, in BLEND_WEIGHTS order. */
  gini: number[];
};

/**
 * The weight whose blend ranks `actual` best. Ties (and NaN, when nobody spent) go to the weight
 * closest to an even blend, since averaging two unbiased predictors loses nothing on average.
 */
export function chooseBlendWeight(a: ArrayLike<number>, b: ArrayLike<number>, actual: ArrayLike<number>): BlendChoice {
  const gini = BLEND_WEIGHTS.map((w) => normalizedGini(blendPredictions(a, b, w), actual));
  let best = BLEND_WEIGHTS.indexOf(0.5);
  gini.forEach((g, i) => {
    const current = gini[best]!;
    const closer = Math.abs(BLEND_WEIGHTS[i]! - 0.5) < Math.abs(BLEND_WEIGHTS[best]! - 0.5);
    if (g > current || (Number.isNaN(current) && !Number.isNaN(g)) || (g === current && closer)) best = i;
  });
  return { weight: BLEND_WEIGHTS[best]!, gini };
}
