import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { createMlp } from '../mlp.js';
import { columnCount, fitStandardizer, rowCount, sliceRows, standardize, type Matrix, type Standardizer } from '../standardize.js';
import { trainOnRows, type OnEpoch, type TrainLoopOptions, type TrainLoopResult } from '../trainLoop.js';

/**
 * Purchases in a future window as a Poisson regression network: an MLP on standardised features
 * whose output is the log of the expected count. With the BG/NBD outputs among the features
 * (withBtydInputs) it starts from what BG/NBD knows and learns what the other features add.
 */

export type PurchasesMeta = Standardizer & { kind: 'purchases'; inputDim: number; hidden: number[]; epochs: number; bestEpoch: number; valLoss: number };
export type TrainPurchasesOptions = TrainLoopOptions & { hidden?: number[] };
export type TrainedPurchases = { model: tf.LayersModel; meta: PurchasesMeta; training: TrainLoopResult };

const DEFAULT_HIDDEN = [16];

/** Poisson negative log-likelihood per row (without the log y! constant), from the log-rate. */
export function poissonLoss(labels: tf.Tensor, logRate: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const z = logRate.reshape([-1]);
    return z.exp().sub(labels.reshape([-1]).mul(z)).mean() as tf.Scalar;
  });
}

export async function trainPurchases(data: { X: Matrix; y: ArrayLike<number>; Xval: Matrix; yval: ArrayLike<number> }, options: TrainPurchasesOptions = {}, onEpoch?: OnEpoch): Promise<TrainedPurchases> {
  const { X, Xval } = data;
  const [n, nVal] = [rowCount(X), rowCount(Xval)];
  if (n !== data.y.length || nVal !== data.yval.length) throw new Error('features and labels differ in length');
  if (n === 0 || nVal === 0) throw new Error('trainPurchases needs training and validation rows');
  for (const v of [...Array.from(data.y), ...Array.from(data.yval)]) if (!(v >= 0 && Number.isFinite(v))) throw new Error(`purchase counts must be finite and ≥ 0, got ${v}`);
  await initBackend();

  const inputDim = columnCount(X);
  const hidden = options.hidden ?? DEFAULT_HIDDEN;
  const standardizer = fitStandardizer(X, inputDim);
  const model = createMlp({ name: 'purchases_poisson', inputDim, hidden, outputs: 1, outputName: 'log_rate', seed: options.seed ?? 1 });
  // Start at the best constant model: log of the mean count.
  const mean = Array.from(data.y).reduce((s, v) => s + v, 0) / n;
  const output = model.getLayer('log_rate');
  const kernel = output.getWeights()[0]!.mul(0.1);
  const bias = tf.tensor1d([Math.log(Math.max(mean, 1e-3))]);
  output.setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);

  const training = await trainOnRows(model, poissonLoss, data, standardizer, options, onEpoch);
  const meta: PurchasesMeta = { kind: 'purchases', inputDim, hidden, ...standardizer, epochs: training.epochs, bestEpoch: training.bestEpoch, valLoss: training.bestValLoss };
  return { model, meta, training };
}

/** Expected purchases per row, in batches. */
export function scorePurchases(model: tf.LayersModel, meta: PurchasesMeta, X: Matrix, batchSize = 16_384): Float32Array {
  const n = rowCount(X);
  const expected = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const rows = sliceRows(X, start, start + batchSize);
    const count = rowCount(rows);
    // predict() would otherwise split the batch again into its default batches of 32 rows; the
    // tensor is read outside tf.tidy, which would walk a returned typed array element by element.
    const rate = tf.tidy(() => (model.predict(tf.tensor2d(standardize(rows, meta), [count, meta.inputDim]), { batchSize: count }) as tf.Tensor).reshape([-1]).exp());
    try {
      expected.set(rate.dataSync(), start);
    } finally {
      rate.dispose();
    }
  }
  return expected;
}
