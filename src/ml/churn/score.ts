import * as tf from '@tensorflow/tfjs';
import type { ChurnMeta, DriverImportance } from './meta.js';
import { readTensor } from './tensors.js';

export interface Driver {
  /** A catalogue feature (its value, missing flag and one-hot columns count together). */
  feature: string;
  /** Its push on the churn logit: gradient × standardised input; > 0 raises the risk. */
  contribution: number;
}

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
  drivers?: Driver[][];
}

type ScoringMeta = Pick<ChurnMeta, 'means' | 'stds' | 'calibration' | 'columns'>;

/**
 * Scores rows encoded with the model's columns (see encodeRows): standardises with the training
 * statistics, runs the network in batches inside tf.tidy, and applies Platt scaling. The network
 * must output the logit, as createChurnModel's does.
 */
export function scoreChurn(model: tf.LayersModel, meta: ScoringMeta, X: Float32Array, opts: ScoreOptions = {}): ChurnScores {
  const d = meta.means.length;
  if (X.length % d !== 0) throw new Error(`scoreChurn: X has ${X.length} values, not a multiple of the model's ${d} columns`);
  const rows = X.length / d;
  const batchSize = opts.batchSize ?? 8192;
  const top = opts.drivers ?? 0;
  const logits = new Float32Array(rows);
  const probabilities = new Float32Array(rows);
  const drivers: Driver[][] | undefined = top > 0 ? [] : undefined;
  const { a, b } = meta.calibration;
  const groups = top > 0 ? sourceGroups(meta) : undefined;
  const mean = tf.tensor1d(meta.means);
  const std = tf.tensor1d(meta.stds);
  try {
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const standardized = (): tf.Tensor2D => tf.tensor2d(X.subarray(start * d, (start + n) * d), [n, d]).sub(mean).div(std);
      const logit = (input: tf.Tensor) => (model.apply(input, { training: false }) as tf.Tensor).reshape([-1]);
      const z = readTensor(() => logit(standardized()));
      // Rows are independent, so the gradient of the summed logits is each row's own gradient.
      const contributions = groups
        ? readTensor(() => {
            const x = standardized();
            return tf.grad((input: tf.Tensor) => logit(input).sum())(x).mul(x);
          })
        : undefined;
      logits.set(z, start);
      for (let i = 0; i < n; i++) probabilities[start + i] = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      if (contributions && groups && drivers) for (let i = 0; i < n; i++) drivers.push(topDrivers(contributions.subarray(i * d, (i + 1) * d), groups, top));
    }
  } finally {
    tf.dispose([mean, std]);
  }
  return drivers ? { probabilities, logits, drivers } : { probabilities, logits };
}

interface SourceGroups {
  names: string[];
  /** Column j belongs to source group `of[j]`. */
  of: Int32Array;
}

function sourceGroups(meta: Pick<ChurnMeta, 'columns'>): SourceGroups {
  const names: string[] = [];
  const index = new Map<string, number>();
  const of = Int32Array.from(meta.columns, (c) => {
    let g = index.get(c.source);
    if (g === undefined) {
      index.set(c.source, (g = names.length));
      names.push(c.source);
    }
    return g;
  });
  return { names, of };
}

function groupContributions(row: ArrayLike<number>, groups: SourceGroups): Float64Array {
  const sums = new Float64Array(groups.names.length);
  for (let j = 0; j < row.length; j++) sums[groups.of[j]!]! += row[j]!;
  return sums;
}

function topDrivers(row: ArrayLike<number>, groups: SourceGroups, top: number): Driver[] {
  const sums = groupContributions(row, groups);
  // Insertion into a short sorted list: k is 3, a full sort per customer would dominate scoring.
  const best: number[] = [];
  for (let g = 0; g < sums.length; g++) {
    const size = Math.abs(sums[g]!);
    if (best.length === top && size <= Math.abs(sums[best[top - 1]!]!)) continue;
    let k = Math.min(best.length, top - 1);
    while (k > 0 && Math.abs(sums[best[k - 1]!]!) < size) k--;
    best.splice(k, 0, g);
    if (best.length > top) best.pop();
  }
  return best.map((g) => ({ feature: groups.names[g]!, contribution: sums[g]! }));
}

/** Mean |contribution| per feature over rows, with its share of the total: what drives risk overall. */
export function driverImportance(model: tf.LayersModel, meta: ScoringMeta, X: Float32Array, limit = 15): DriverImportance[] {
  const d = meta.means.length;
  const rows = X.length / d;
  if (rows === 0) return [];
  const groups = sourceGroups(meta);
  const totals = new Float64Array(groups.names.length);
  const batchSize = 8192;
  const mean = tf.tensor1d(meta.means);
  const std = tf.tensor1d(meta.stds);
  try {
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const c = readTensor(() => {
        const x = tf.tensor2d(X.subarray(start * d, (start + n) * d), [n, d]).sub(mean).div(std);
        return tf.grad((input: tf.Tensor) => (model.apply(input, { training: false }) as tf.Tensor).sum())(x).mul(x);
      });
      for (let i = 0; i < n; i++) {
        const sums = groupContributions(c.subarray(i * d, (i + 1) * d), groups);
        for (let g = 0; g < sums.length; g++) totals[g]! += Math.abs(sums[g]!);
      }
    }
  } finally {
    tf.dispose([mean, std]);
  }
  const sum = totals.reduce((s, v) => s + v, 0) || 1;
  return Array.from(totals.keys())
    .sort((i, j) => totals[j]! - totals[i]!)
    .slice(0, limit)
    .map((g) => ({ feature: groups.names[g]!, meanAbsContribution: totals[g]! / rows, share: totals[g]! / sum }));
}
