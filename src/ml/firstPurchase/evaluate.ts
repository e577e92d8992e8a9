import { churnRate, oneFeatureBaseline, scoreMetrics } from '../churn/evaluate.js';
import type { TrainingRows } from '../trainingSet.js';
import type { FirstPurchaseMetrics } from './meta.js';

/**
 * What a marketer would rank prospects by without a model: recent product views, cart adds,
 * sessions, email open rate, and how recently they signed up (tenure).
 */
export const NAIVE_FEATURES = [
  'productViews30d',
  'cartAdds90d',
  'sessions30d',
  'emailOpenRate90d',
  'tenureDays',
] as const;

/** 1 when the prospect placed a first order in (T, T + H]: the model's label. */
export function ordered(rows: TrainingRows): Float32Array {
  return rows.churned.map((c) => 1 - c);
}

/** The constant and one-feature baselines, fitted on the training rows and measured on the test rows. */
export function naiveBaselines(train: TrainingRows, test: TrainingRows): FirstPurchaseMetrics['baselines'] {
  const yTrain = ordered(train);
  const yTest = ordered(test);
  const constant = scoreMetrics(new Float64Array(test.rows).fill(churnRate(yTrain)), yTest);
  const naive = Object.fromEntries(NAIVE_FEATURES.map((f) => [f, oneFeatureBaseline(train, test, f, yTrain, yTest)]));
  let best = { feature: NAIVE_FEATURES[0] as string, auc: naive[NAIVE_FEATURES[0]]!.auc };
  for (const [feature, m] of Object.entries(naive))
    if ((m.auc ?? -Infinity) > (best.auc ?? -Infinity)) best = { feature, auc: m.auc };
  return { constant, naive, best };
}
