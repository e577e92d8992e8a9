import * as tf from '@tensorflow/tfjs';
import type { Driver } from '../db/models/score.js';
import type { ColumnSpec } from './trainingSet.js';
import { readTensor } from './tensors.js';

/**
 * Why a model scored a customer as it did: gradient × standardised input of one scalar output
 * per row (the churn logit, the log of expected value), summed over the columns that come from
 * the same feature (its value, missing flag and one-hot columns count together).
 */

export type { Driver };

export interface DriverImportance {
  feature: string;
  meanAbsContribution: number;
  share: number;
}

export interface DriverMeta {
  means: number[];
  stds: number[];
  columns: readonly Pick<ColumnSpec, 'source'>[];
}

/** Maps the model's output for a batch to one value per row. */
export type RowOutput = (output: tf.Tensor) => tf.Tensor;

export const logitOutput: RowOutput = (output) => output.reshape([-1]);

interface SourceGroups {
  names: string[];
  /** Column j belongs to source group `of[j]`. */
  of: Int32Array;
}

/** Computes per-row drivers for batches of rows; the groups are derived once per model. */
export class DriverExplainer {
  private readonly groups: SourceGroups;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly meta: DriverMeta,
    private readonly output: RowOutput = logitOutput,
  ) {
    this.groups = sourceGroups(meta);
  }

  /** Gradient × input per column for rows [start, start + n) of the row-major X. */
  contributions(X: Float32Array, start: number, n: number): Float32Array {
    const d = this.meta.means.length;
    return readTensor(() => {
      const x = tf
        .tensor2d(X.subarray(start * d, (start + n) * d), [n, d])
        .sub(this.meta.means)
        .div(this.meta.stds);
      // Rows are independent, so the gradient of the summed outputs is each row's own gradient.
      return tf
        .grad((input: tf.Tensor) => this.output(this.model.apply(input, { training: false }) as tf.Tensor).sum())(x)
        .mul(x);
    });
  }

  /** The `top` largest drivers of each of rows [start, start + n). */
  topDrivers(X: Float32Array, start: number, n: number, top: number): Driver[][] {
    const d = this.meta.means.length;
    const c = this.contributions(X, start, n);
    return Array.from({ length: n }, (_, i) =>
      topOf(groupSums(c.subarray(i * d, (i + 1) * d), this.groups), this.groups, top),
    );
  }

  /** Mean |contribution| per feature over all rows, with its share of the total: what drives the output overall. */
  importance(X: Float32Array, limit = 15, batchSize = 8192): DriverImportance[] {
    const d = this.meta.means.length;
    const rows = X.length / d;
    if (rows === 0) return [];
    const totals = new Float64Array(this.groups.names.length);
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      const c = this.contributions(X, start, n);
      for (let i = 0; i < n; i++) {
        const sums = groupSums(c.subarray(i * d, (i + 1) * d), this.groups);
        for (let g = 0; g < sums.length; g++) totals[g]! += Math.abs(sums[g]!);
      }
    }
    const sum = totals.reduce((s, v) => s + v, 0) || 1;
    return Array.from(totals.keys())
      .sort((i, j) => totals[j]! - totals[i]!)
      .slice(0, limit)
      .map((g) => ({
        feature: this.groups.names[g]!,
        meanAbsContribution: totals[g]! / rows,
        share: totals[g]! / sum,
      }));
  }
}

function sourceGroups(meta: DriverMeta): SourceGroups {
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

function groupSums(row: ArrayLike<number>, groups: SourceGroups): Float64Array {
  const sums = new Float64Array(groups.names.length);
  for (let j = 0; j < row.length; j++) sums[groups.of[j]!]! += row[j]!;
  return sums;
}

function topOf(sums: Float64Array, groups: SourceGroups, top: number): Driver[] {
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
