import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { initBackend } from '../backend.js';
import { fileHandler, readMeta, writeMeta, type ReadMetaResult } from '../fileIO.js';
import { createMlp, mlpMetaShape } from '../mlp.js';
import { columnCount, fitStandardizer, rowCount, sliceRows, standardize, type Matrix } from '../standardize.js';
import { trainOnRows, type OnEpoch, type TrainLoopOptions, type TrainLoopResult } from '../trainLoop.js';
import { inverseSoftplus, zilnLoss, zilnPredictTensors, type ZilnPrediction } from './ziln.js';

/**
 * Lifetime value as a ZILN network (Wang, Liu & Miao 2019): an MLP on standardised customer
 * features with three outputs (purchase logit, lognormal μ and σ). Only the architecture and
 * weights are saved; the loss is needed for training only.
 */

export const ltvMetaSchema = z.object({
  kind: z.literal('ziln'),
  inputDim: z.number().int().positive(),
  featureNames: z.array(z.string()).optional(),
  ...mlpMetaShape,
  valLoss: z.number(),
});
export type LtvMeta = z.infer<typeof ltvMetaSchema>;

export type LtvModelOptions = { hidden?: number[]; seed?: number };
export type TrainLtvOptions = LtvModelOptions & TrainLoopOptions & { featureNames?: string[] };
export type LtvTrainingData = { X: Matrix; y: ArrayLike<number>; Xval: Matrix; yval: ArrayLike<number> };
export type TrainedLtv = { model: tf.LayersModel; meta: LtvMeta; training: TrainLoopResult };

const DEFAULT_HIDDEN = [64, 32];

/** The network alone, untrained; no model is ever built at import time. */
export function createLtvModel(inputDim: number, { hidden = DEFAULT_HIDDEN, seed = 1 }: LtvModelOptions = {}): tf.Sequential {
  // trainLtv sets the output layer's bias from the labels, so training starts near the best constant model.
  return createMlp({ name: 'ltv_ziln', inputDim, hidden, outputs: 3, outputName: 'ziln_logits', seed, outputInitializer: 'glorotNormal' });
}

/**
 * Standardises features (statistics from the training rows only), starts the output at the
 * labels' own zero-inflated lognormal fit, and trains with early stopping on validation loss.
 */
export async function trainLtv(data: LtvTrainingData, options: TrainLtvOptions = {}, onEpoch?: OnEpoch): Promise<TrainedLtv> {
  const { X, Xval } = data;
  const y = Array.from(data.y);
  const yval = Array.from(data.yval);
  const [n, nVal] = [rowCount(X), rowCount(Xval)];
  if (n !== y.length || nVal !== yval.length) throw new Error('features and labels differ in length');
  if (n === 0 || nVal === 0) throw new Error('trainLtv needs training and validation rows');
  for (const v of [...y, ...yval]) if (!(v >= 0 && Number.isFinite(v))) throw new Error(`LTV labels must be finite and ≥ 0, got ${v}`);
  await initBackend();

  const inputDim = columnCount(X);
  const hidden = options.hidden ?? DEFAULT_HIDDEN;
  const standardizer = fitStandardizer(X, inputDim);
  const model = createLtvModel(inputDim, { hidden, seed: options.seed ?? 1 });
  setStartingBias(model, y);

  const training = await trainOnRows(model, zilnLoss, { X, y, Xval, yval }, standardizer, options, onEpoch);
  const meta: LtvMeta = {
    kind: 'ziln',
    inputDim,
    ...(options.featureNames ? { featureNames: options.featureNames } : {}),
    hidden,
    ...standardizer,
    epochs: training.epochs,
    bestEpoch: training.bestEpoch,
    valLoss: training.bestValLoss,
  };
  return { model, meta, training };
}

/** P(purchase) and expected value per row, in batches, every intermediate tensor freed. */
export function scoreLtv(model: tf.LayersModel, meta: LtvMeta, X: Matrix, batchSize = 16_384): ZilnPrediction {
  const n = rowCount(X);
  if (n > 0 && columnCount(X) !== meta.inputDim) throw new Error(`the model expects ${meta.inputDim} features per row, got ${columnCount(X)}`);
  const pPurchase = new Float32Array(n);
  const expectedValue = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const rows = sliceRows(X, start, start + batchSize);
    const standardized = standardize(rows, meta);
    const [p, value] = tf.tidy(() => {
      // predict() would split the batch again into its default batches of 32 rows, a 20× slowdown.
      const logits = model.predict(tf.tensor2d(standardized, [rowCount(rows), meta.inputDim]), { batchSize: rowCount(rows) }) as tf.Tensor;
      const out = zilnPredictTensors(logits);
      return [out.pPurchase, out.expectedValue];
    });
    pPurchase.set(p.dataSync(), start);
    expectedValue.set(value.dataSync(), start);
    tf.dispose([p, value]);
  }
  return { pPurchase, expectedValue };
}

/** `model.json` + `weights.bin` + `meta.json` in `dir`. */
export async function saveLtvModel(dir: string, model: tf.LayersModel, meta: LtvMeta): Promise<void> {
  await model.save(fileHandler(dir));
  await writeMeta(dir, meta);
}

export async function loadLtvModel(dir: string): Promise<ReadMetaResult<{ model: tf.LayersModel; meta: LtvMeta }>> {
  const meta = await readMeta(dir, ltvMetaSchema);
  if (!meta.ok) return meta;
  await initBackend();
  return { ok: true, value: { model: await tf.loadLayersModel(fileHandler(dir)), meta: meta.value } };
}

/**
 * Output bias = the constant ZILN fit of the labels: logit of the buyers' share, and the mean and
 * standard deviation of log value among buyers. Training then starts at the best constant model
 * instead of spending its first epochs walking μ from 0 to log(typical order value).
 */
function setStartingBias(model: tf.Sequential, y: readonly number[]): void {
  const logs = y.filter((v) => v > 0).map(Math.log);
  const share = Math.min(1 - 1e-3, Math.max(1e-3, logs.length / y.length));
  const mu = logs.length > 0 ? logs.reduce((s, v) => s + v, 0) / logs.length : 0;
  const sd = logs.length > 1 ? Math.sqrt(logs.reduce((s, v) => s + (v - mu) ** 2, 0) / logs.length) : 1;
  const output = model.getLayer('ziln_logits');
  // getWeights hands out the live variables: write back a copy of the kernel, never the variable itself.
  const kernel = output.getWeights()[0]!.clone();
  const bias = tf.tensor1d([Math.log(share / (1 - share)), mu, inverseSoftplus(Math.max(sd, 0.05))]);
  output.setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
}
