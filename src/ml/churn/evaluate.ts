import { fitBgNbd, probabilityNoPurchase } from '../btyd/bgnbd.js';
import { brier, calibrationTable, logLoss, prAuc, rocAuc } from '../metrics.js';
import type { TrainingRows } from '../trainingSet.js';
import { fitLogistic, sigmoid } from './logistic.js';
import { finiteOrNull } from '../metaSchemas.js';
import type { ChurnMetrics } from './meta.js';

export type ScoreMetrics = ChurnMetrics['baselines']['constant'];

export function scoreMetrics(p: ArrayLike<number>, y: ArrayLike<number>): ScoreMetrics {
  return {
    auc: finiteOrNull(rocAuc(p, y)),
    prAuc: finiteOrNull(prAuc(p, y)),
    brier: finiteOrNull(brier(p, y)),
    logLoss: finiteOrNull(logLoss(p, y)),
  };
}

export function churnRate(y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i]!;
  return y.length ? sum / y.length : NaN;
}

/** The model's test metrics: calibrated probabilities, plus the uncalibrated ones for comparison. */
export function modelMetrics(
  calibrated: Float64Array,
  uncalibrated: Float64Array,
  y: Float32Array,
): Pick<ChurnMetrics, 'auc' | 'prAuc' | 'brier' | 'logLoss' | 'calibrationTable' | 'uncalibrated'> {
  return {
    ...scoreMetrics(calibrated, y),
    calibrationTable: calibrationTable(calibrated, y),
    uncalibrated: { brier: finiteOrNull(brier(uncalibrated, y)), logLoss: finiteOrNull(logLoss(uncalibrated, y)) },
  };
}

/**
 * Baselines fitted on the training rows and measured on the test rows: a constant (the churn
 * rate), recency alone, and BG/NBD's probability of no order within the horizon.
 */
export async function baselineMetrics(
  train: TrainingRows,
  test: TrainingRows,
  horizonDays: number,
): Promise<ChurnMetrics['baselines']> {
  const rate = churnRate(train.churned);
  const constant = scoreMetrics(new Float64Array(test.rows).fill(rate), test.churned);

  const recency = oneFeatureBaseline(train, test, 'recencyDays', train.churned, test.churned);
  return { constant, recency, bgnbd: await bgnbdBaseline(train, test, horizonDays) };
}

/**
 * What a marketer ranks by without a model: one raw feature, through a logistic regression on
 * sign(x)·log(1 + |x|) (missing → 0) fitted on the training rows, so the direction is learned;
 * measured on the test rows.
 */
export function oneFeatureBaseline(
  train: TrainingRows,
  test: TrainingRows,
  feature: string,
  yTrain: Float32Array,
  yTest: Float32Array,
): ScoreMetrics {
  const logged = (rows: TrainingRows) =>
    Float64Array.from(rows.raw[feature] ?? new Float64Array(rows.rows), (x) =>
      Number.isFinite(x) ? Math.sign(x) * Math.log1p(Math.abs(x)) : 0,
    );
  const fit = fitLogistic(logged(train), yTrain);
  return scoreMetrics(
    logged(test).map((x) => sigmoid(fit.a * x + fit.b)),
    yTest,
  );
}

async function bgnbdBaseline(
  train: TrainingRows,
  test: TrainingRows,
  horizonDays: number,
): Promise<ChurnMetrics['baselines']['bgnbd']> {
  const summary = (rows: TrainingRows, i: number) => ({
    x: rows.raw.bgnbdX?.[i] ?? NaN,
    t_x: rows.raw.bgnbdTx?.[i] ?? NaN,
    T: rows.raw.bgnbdT?.[i] ?? NaN,
  });
  const data = Array.from({ length: train.rows }, (_, i) => summary(train, i));
  const fitted = await fitBgNbd(data);
  const empty = { auc: null, prAuc: null, brier: null, logLoss: null };
  if (!fitted.ok) return { ...empty, error: fitted.error.message };
  const params = fitted.value.params;
  const p = Float64Array.from({ length: test.rows }, (_, i) => {
    const { x, t_x, T } = summary(test, i);
    return probabilityNoPurchase(params, horizonDays, x, t_x, T);
  });
  return scoreMetrics(p, test.churned);
}
