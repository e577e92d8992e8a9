import * as tf from '@tensorflow/tfjs';
import { rowCount, standardize, type Matrix, type Standardizer } from './standardize.js';

/**
 * A mini-batch training loop with early stopping that restores the best weights, for models
 * trained with a loss tfjs-layers cannot serialise (ZILN, logit-space cross-entropy). Batches come
 * from a seeded shuffle, so a run is repeatable; `model.fit` shuffles with Math.random.
 */

export type EpochLog = { epoch: number; loss: number; valLoss: number };
export type OnEpoch = (log: EpochLog) => void | Promise<void>;

export type TrainLoopOptions = {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Epochs without a validation improvement of more than `minDelta` before stopping. */
  patience?: number;
  minDelta?: number;
  seed?: number;
};

export type TrainLoopResult = { epochs: number; bestEpoch: number; bestValLoss: number; history: EpochLog[] };

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

type Inputs = tf.Tensor | tf.Tensor[];

export const trainLoopDefaults = {
  epochs: 200,
  batchSize: 256,
  learningRate: 0.003,
  patience: 15,
  minDelta: 1e-4,
  seed: 1,
} as const;

export async function trainWithEarlyStopping(
  model: tf.LayersModel,
  loss: LossFn,
  train: { x: Inputs; y: tf.Tensor },
  validation: { x: Inputs; y: tf.Tensor },
  options: TrainLoopOptions = {},
  onEpoch?: OnEpoch,
): Promise<TrainLoopResult> {
  const { epochs, batchSize, learningRate, patience, minDelta, seed } = { ...trainLoopDefaults, ...options };
  const n = train.y.shape[0]!;
  if (n === 0) throw new Error('no training rows');
  const optimizer = tf.train.adam(learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const random = mulberry32(seed);
  const history: EpochLog[] = [];
  let best: { epoch: number; valLoss: number; weights: tf.Tensor[] } | undefined;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = shuffled(n, random);
      // Batch losses stay on the backend and are read once per epoch: a read per batch stalls it.
      const batchLosses: tf.Scalar[] = [];
      for (let start = 0; start < n; start += batchSize) {
        const index = order.subarray(start, Math.min(n, start + batchSize));
        batchLosses.push(
          tf.tidy(() => {
            const idx = tf.tensor1d(index, 'int32');
            const xb = gatherRows(train.x, idx);
            const yb = train.y.gather(idx);
            return optimizer
              .minimize(() => loss(yb, model.apply(xb, { training: true }) as tf.Tensor), true, variables)!
              .mul(index.length);
          }),
        );
      }
      const lossSum = tf.tidy(() => tf.addN(batchLosses).dataSync()[0]!);
      tf.dispose(batchLosses);
      const valLoss = evaluateLoss(model, loss, validation.x, validation.y);
      const log = { epoch, loss: lossSum / n, valLoss };
      history.push(log);
      if (!Number.isFinite(log.loss))
        throw new Error(`training loss became ${log.loss} at epoch ${epoch}; lower the learning rate`);
      if (!best || valLoss < best.valLoss - minDelta) {
        tf.dispose(best?.weights);
        best = { epoch, valLoss, weights: model.getWeights().map((w) => w.clone()) };
      }
      await onEpoch?.(log);
      // Let the event loop breathe between epochs (progress output, job heartbeats, signals).
      await new Promise((resolve) => setImmediate(resolve));
      if (epoch - best.epoch >= patience) break;
    }
    model.setWeights(best!.weights);
    return { epochs: history.length, bestEpoch: best!.epoch, bestValLoss: best!.valLoss, history };
  } finally {
    tf.dispose(best?.weights);
    optimizer.dispose();
  }
}

/**
 * Row data in, a trained model out: standardises the training and validation rows with the given
 * statistics, trains with early stopping and frees the tensors. The model is disposed when
 * training throws, so a caller only ever holds a trained model.
 */
export async function trainOnRows(
  model: tf.LayersModel,
  loss: LossFn,
  data: { X: Matrix; y: ArrayLike<number>; Xval: Matrix; yval: ArrayLike<number> },
  standardizer: Standardizer,
  options: TrainLoopOptions = {},
  onEpoch?: OnEpoch,
): Promise<TrainLoopResult> {
  const d = standardizer.means.length;
  const tensors = tf.tidy(() => ({
    x: tf.tensor2d(standardize(data.X, standardizer), [rowCount(data.X), d]),
    y: tf.tensor1d(Float32Array.from(data.y)),
    xVal: tf.tensor2d(standardize(data.Xval, standardizer), [rowCount(data.Xval), d]),
    yVal: tf.tensor1d(Float32Array.from(data.yval)),
  }));
  try {
    return await trainWithEarlyStopping(
      model,
      loss,
      { x: tensors.x, y: tensors.y },
      { x: tensors.xVal, y: tensors.yVal },
      options,
      onEpoch,
    );
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(tensors);
  }
}

/** Mean loss over a data set, in batches so a large validation set never needs one huge tensor. */
export function evaluateLoss(model: tf.LayersModel, loss: LossFn, x: Inputs, y: tf.Tensor, batchSize = 8192): number {
  const n = y.shape[0]!;
  let sum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const batchLoss = tf.tidy(() => {
      const xb = Array.isArray(x) ? x.map((t) => sliceRows(t, start, size)) : sliceRows(x, start, size);
      return loss(sliceRows(y, start, size), model.apply(xb, { training: false }) as tf.Tensor);
    });
    sum += batchLoss.arraySync() * size;
    batchLoss.dispose();
  }
  return n === 0 ? NaN : sum / n;
}

function gatherRows(x: Inputs, idx: tf.Tensor1D): tf.Tensor | tf.Tensor[] {
  return Array.isArray(x) ? x.map((t) => t.gather(idx)) : x.gather(idx);
}

function sliceRows(t: tf.Tensor, start: number, size: number): tf.Tensor {
  return t.slice([start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1).map(() => -1)]);
}

/** Fisher–Yates over 0…n−1 with the given uniform source. */
export function shuffled(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** A small seeded uniform generator (Tommy Ettinger's mulberry32): enough for shuffling batches. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
