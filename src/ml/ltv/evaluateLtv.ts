import { decileMape, normalizedGini, spearman, topShareCapture } from '../metrics.js';

export type LtvMetrics = {
  /** Normalised Gini of the ranking by predicted value (1 = perfect, 0 = random). */
  gini: number;
  spearman: number;
  /** Mean over predicted-value deciles of |Σ predicted − Σ actual| / Σ actual. */
  decileMape: number;
  /** Share of actual revenue held by the top 20% by prediction. */
  top20Capture: number;
  /** Σ predicted / Σ actual: 1 is calibrated in total. */
  totalRatio: number;
  customers: number;
};

/** The LTV metrics, predictions first and holdout value second, as in metrics.ts. */
export function evaluateLtv(predicted: ArrayLike<number>, actual: ArrayLike<number>): LtvMetrics {
  let predictedTotal = 0;
  let actualTotal = 0;
  for (let i = 0; i < actual.length; i++) {
    predictedTotal += predicted[i]!;
    actualTotal += actual[i]!;
  }
  return {
    gini: normalizedGini(predicted, actual),
    spearman: spearman(predicted, actual),
    decileMape: decileMape(predicted, actual),
    top20Capture: topShareCapture(predicted, actual, 0.2),
    totalRatio: actualTotal === 0 ? NaN : predictedTotal / actualTotal,
    customers: actual.length,
  };
}
