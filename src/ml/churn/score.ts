import * as tf from '@tensorflow/tfjs';
import { DriverExplainer, type Driver, type DriverImportance } from '../drivers.js';
import type { ChurnMeta } from './meta.js';
import { readTensor } from '../tensors.js';

export type { Driver } from '../drivers.js';

export interface ScoreOptions {
  /** Top drivers per customer (0, the default, skips the gradient pass). */
  drivers?: number;
  batchSize?: number;
}

export interface ChurnScores {
  /** Calibrated P(no order within the horizon), one per row. */
  probabilities: Float32Array;
  /** The uncalibrated logit of the network. */
  logits: Float32Array;
  /** Pushes on the churn logit (gradient × standardised input); > 0 raises the risk. */
  drivers?: Driver[][];
}

type ScoringMeta = Pick<ChurnMeta, 'means' | 'stds' | 'calibration' | 'columns'>;

/**
 * Scores rows encoded with the model's columns (see encodeRows): standardises with the training
 * statistics, runs the network in batches inside tf.tidy, and applies Platt scaling. The network
 * must output the logit, as createChurnModel's does.
 */
export function scoreChurn(
  model: tf.LayersModel,
  meta: ScoringMeta,
  X: Float32Array,
  opts: ScoreOptions = {},
): ChurnScores {
  const d = meta.means.length;
  if (X.length % d !== 0)
    throw new Error(`scoreChurn: X has ${X.length} values, not a multiple of the model's ${d} columns`);
  const rows = X.length / d;
  const batchSize = opts.batchSize ?? 8192;
  const top = opts.drivers ?? 0;
  const logits = new Float32Array(rows);
  const probabilities = new Float32Array(rows);
  const drivers: Driver[][] | undefined = top > 0 ? [] : undefined;
  const explainer = top > 0 ? new DriverExplainer(model, meta) : undefined;
  const { a, b } = meta.calibration;
  const mean = tf.tensor1d(meta.means);
  const std = tf.tensor1d(meta.stds);
  try {
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const z = readTensor(() =>
        (
          model.apply(
            tf
              .tensor2d(X.subarray(start * d, (start + n) * d), [n, d])
              .sub(mean)
              .div(std),
            { training: false },
          ) as tf.Tensor
        ).reshape([-1]),
      );
      logits.set(z, start);
      for (let i = 0; i < n; i++) probabilities[start + i] = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      if (explainer && drivers) drivers.push(...explainer.topDrivers(X, start, n, top));
    }
  } finally {
    tf.dispose([mean, std]);
  }
  return drivers ? { probabilities, logits, drivers } : { probabilities, logits };
}

/** Mean |contribution| per feature over rows, with its share of the total: what drives risk overall. */
export function driverImportance(
  model: tf.LayersModel,
  meta: ScoringMeta,
  X: Float32Array,
  limit = 15,
): DriverImportance[] {
  return new DriverExplainer(model, meta).importance(X, limit);
}
