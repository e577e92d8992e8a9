import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { columnCount, fitStandardizer, rowCount, type Matrix } from '../standardize.js';
import { trainOnRows, type OnEpoch, type TrainLoopOptions, type TrainLoopResult } from '../trainLoop.js';
import type { PurchasesMeta } from './meta.js';
import { createPurchasesModel, DEFAULT_HIDDEN, poissonLoss } from './model.js';

export type TrainPurchasesOptions = TrainLoopOptions & { hidden?: number[] };
export type TrainedPurchases = { model: tf.LayersModel; meta: PurchasesMeta; training: TrainLoopResult };

export async function trainPurchases(
  data: { X: Matrix; y: ArrayLike<number>; Xval: Matrix; yval: ArrayLike<number> },
  options: TrainPurchasesOptions = {},
  onEpoch?: OnEpoch,
): Promise<TrainedPurchases> {
  const { X, Xval } = data;
  const [n, nVal] = [rowCount(X), rowCount(Xval)];
  if (n !== data.y.length || nVal !== data.yval.length) throw new Error('features and labels differ in length');
  if (n === 0 || nVal === 0) throw new Error('trainPurchases needs training and validation rows');
  for (const v of [...Array.from(data.y), ...Array.from(data.yval)])
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`purchase counts must be finite and ≥ 0, got ${v}`);
  await initBackend();

  const inputDim = columnCount(X);
  const hidden = options.hidden ?? DEFAULT_HIDDEN;
  const standardizer = fitStandardizer(X, inputDim);
  const model = createPurchasesModel(inputDim, { hidden, seed: options.seed ?? 1 });
  // Start at the best constant model: log of the mean count.
  const mean = Array.from(data.y).reduce((s, v) => s + v, 0) / n;
  const output = model.getLayer('log_rate');
  const kernel = output.getWeights()[0]!.mul(0.1);
  const bias = tf.tensor1d([Math.log(Math.max(mean, 1e-3))]);
  output.setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);

  const training = await trainOnRows(model, poissonLoss, data, standardizer, options, onEpoch);
  const meta: PurchasesMeta = {
    kind: 'purchases',
    inputDim,
    hidden,
    ...standardizer,
    epochs: training.epochs,
    bestEpoch: training.bestEpoch,
    valLoss: training.bestValLoss,
  };
  return { model, meta, training };
}
