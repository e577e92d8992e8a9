import * as tf from '@tensorflow/tfjs';
import { rowCount, sliceRows, standardize, type Matrix } from '../standardize.js';
import type { PurchasesMeta } from './meta.js';

/** Expected purchases per row, in batches. */
export function scorePurchases(
  model: tf.LayersModel,
  meta: PurchasesMeta,
  X: Matrix,
  batchSize = 16_384,
): Float32Array {
  const n = rowCount(X);
  const expected = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const rows = sliceRows(X, start, start + batchSize);
    const count = rowCount(rows);
    // predict() would otherwise split the batch again into its default batches of 32 rows; the
    // tensor is read outside tf.tidy, which would walk a returned typed array element by element.
    const rate = tf.tidy(() =>
      (model.predict(tf.tensor2d(standardize(rows, meta), [count, meta.inputDim]), { batchSize: count }) as tf.Tensor)
        .reshape([-1])
        .exp(),
    );
    try {
      expected.set(rate.dataSync(), start);
    } finally {
      rate.dispose();
    }
  }
  return expected;
}
