import type { z } from 'zod';
import { decileMape, normalizedGini, spearman, topShareCapture } from '../metrics.js';
import { finiteOrNull } from '../metaSchemas.js';
import type { TrainingRows } from '../trainingSet.js';
import type { ltvMetricsSchema } from './meta.js';

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

/** BG/NBD expected purchases × Gamma-Gamma expected spend, measured like the network. */
export function btydBaseline(test: TrainingRows): z.infer<typeof ltvMetricsSchema> {
  const purchases = test.raw.btydExpectedPurchases!;
  const spend = test.raw.btydExpectedSpend!;
  const predicted = Float64Array.from(purchases, (p, i) =>
    Number.isFinite(p) && Number.isFinite(spend[i]!) ? p * spend[i]! : 0,
  );
  return nullable(evaluateLtv(predicted, test.futureRevenue));
}

/** The metrics as meta.json stores them: NaN becomes null. */
export function nullable(m: ReturnType<typeof evaluateLtv>): z.infer<typeof ltvMetricsSchema> {
  return {
    gini: finiteOrNull(m.gini),
    spearman: finiteOrNull(m.spearman),
    decileMape: finiteOrNull(m.decileMape),
    top20Capture: finiteOrNull(m.top20Capture),
    totalRatio: finiteOrNull(m.totalRatio),
    customers: m.customers,
  };
}
