import * as tf from '@tensorflow/tfjs';
import { backendName, initBackend } from '../backend.js';
import { logLoss, rocAuc } from '../metrics.js';
import { rowsOf, type TrainingRows, type TrainingSet } from '../trainingSet.js';
import { baselineMetrics, churnRate, modelMetrics } from './evaluate.js';
import { fitLogistic, sigmoid } from './logistic.js';
import { finiteOrNull } from '../metaSchemas.js';
import type { ChurnMeta } from './meta.js';
import { createChurnModel } from './model.js';
import { driverImportance } from './score.js';
import { readTensor } from '../tensors.js';
import { churnStepper, type ChurnBatch } from './trainStep.js';
import { fitStandardizer, standardize } from '../standardize.js';
import { mulberry32, shuffled } from '../trainLoop.js';

export interface TrainChurnOptions {
  /** Upper bound on epochs; early stopping usually ends sooner (default 100). */
  maxEpochs?: number;
  /** Epochs without a better validation loss before stopping (default 8). */
  patience?: number;
  batchSize?: number;
  learningRate?: number;
  hidden?: number[];
  l2?: number;
  seed?: number;
  /** Fit and measure the baselines (BG/NBD costs a second or so; default true). */
  baselines?: boolean;
  /**
   * The positive class per row (default: churned). The first-purchase model trains the same
   * network on prospects with "ordered within the horizon" as its label.
   */
  label?: (rows: TrainingRows) => Float32Array;
}

export interface EpochLog {
  epoch: number;
  maxEpochs: number;
  /** Class-weighted training loss (mean over the epoch's batches, L2 penalty included). */
  loss: number;
  /** The same class-weighted log loss on the validation rows (no penalty): the early-stopping criterion. */
  valLoss: number;
  valAuc: number;
}

export type TrainChurnResult =
  | { ok: true; value: { model: tf.LayersModel; meta: ChurnMeta } }
  | { ok: false; error: { type: 'insufficient_data'; message: string } };

/**
 * Trains the churn network: standardisation from the training rows, class weights so both
 * classes weigh the same in the loss, Adam with early stopping on the validation log loss (the
 * best epoch's weights are kept), Platt scaling fitted on validation logits, and every metric on
 * the test rows next to the baselines.
 */
export async function trainChurn(
  set: TrainingSet,
  opts: TrainChurnOptions = {},
  onEpoch?: (log: EpochLog) => void | Promise<void>,
): Promise<TrainChurnResult> {
  const started = performance.now();
  const train = rowsOf(set, 'train');
  const validation = rowsOf(set, 'validation');
  const test = rowsOf(set, 'test');
  const label = opts.label ?? ((rows: TrainingRows) => rows.churned);
  const [yTrain, yVal, yTest] = [label(train), label(validation), label(test)];
  const problem = checkRows(train, validation, test, yTrain);
  if (problem) return { ok: false, error: { type: 'insufficient_data', message: problem } };
  await initBackend();

  const d = set.featureNames.length;
  const hidden = opts.hidden ?? [16];
  const l2 = opts.l2 ?? 0.01;
  const seed = opts.seed ?? 1;
  const maxEpochs = opts.maxEpochs ?? 100;
  const patience = opts.patience ?? 8;
  const learningRate = opts.learningRate ?? 0.001;
  // Small sets still get a few steps per epoch, large ones the full batch size.
  const batchSize =
    opts.batchSize ?? Math.min(512, Math.max(16, 2 ** Math.floor(Math.log2(Math.max(16, train.rows / 8)))));
  const stats = fitStandardizer(train, d);
  const xTrain = standardize(train, stats);
  const xVal = standardize(validation, stats);
  const xTest = standardize(test, stats);
  const rate = churnRate(yTrain);
  const classWeights: [number, number] = [0.5 / (1 - rate), 0.5 / rate];

  const model = createChurnModel(d, { hidden, seed });
  const stepper = churnStepper(model, { learningRate, l2 });
  const random = mulberry32(seed);
  let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  let epochs = 0;
  let trainingMs = 0;
  try {
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      const epochStart = performance.now();
      const loss = trainEpoch(stepper.step, xTrain, yTrain, d, classWeights, shuffled(train.rows, random), batchSize);
      trainingMs += performance.now() - epochStart;
      epochs = epoch;
      const valLogits = predictLogits(model, xVal, d);
      const valLoss = weightedLogLoss(valLogits, yVal, classWeights);
      await onEpoch?.({ epoch, maxEpochs, loss, valLoss, valAuc: rocAuc(valLogits, yVal) });
      if (valLoss < best.loss - 1e-5) {
        tf.dispose(best.weights);
        best = { loss: valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
      } else if (epoch - best.epoch >= patience) break;
    }
    if (best.weights.length > 0) model.setWeights(best.weights);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(best.weights);
  }

  const valLogits = predictLogits(model, xVal, d);
  const platt = fitLogistic(valLogits, yVal, { plattTargets: true });
  const testLogits = predictLogits(model, xTest, d);
  const calibrated = testLogits.map((z) => sigmoid(platt.a * z + platt.b));
  const uncalibrated = testLogits.map(sigmoid);
  const empty = { auc: null, prAuc: null, brier: null, logLoss: null };
  const baselines =
    opts.baselines === false
      ? { constant: empty, recency: empty, bgnbd: empty }
      : await baselineMetrics(train, test, set.horizonDays);
  const scoring = {
    means: stats.means,
    stds: stats.stds,
    calibration: { method: 'platt' as const, a: platt.a, b: platt.b },
    columns: set.columns,
  };

  const meta: ChurnMeta = {
    kind: 'churn',
    featureVersion: set.featureVersion,
    asOf: set.asOf.toISOString(),
    horizonDays: set.horizonDays,
    featureNames: set.featureNames,
    ...scoring,
    btyd: set.btyd ?? null,
    metrics: {
      ...modelMetrics(calibrated, uncalibrated, yTest),
      validation: {
        auc: finiteOrNull(rocAuc(valLogits, yVal)),
        logLoss: finiteOrNull(
          logLoss(
            valLogits.map((z) => sigmoid(platt.a * z + platt.b)),
            yVal,
          ),
        ),
      },
      rows: { train: train.rows, validation: validation.rows, test: test.rows },
      churnRate: { train: finiteOrNull(rate), test: finiteOrNull(churnRate(yTest)) },
      baselines,
    },
    drivers: driverImportance(model, scoring, test.X),
    training: {
      epochs,
      bestEpoch: best.epoch,
      batchSize,
      learningRate,
      hidden,
      l2,
      classWeights,
      seed,
      durationMs: Math.round(performance.now() - started),
      rowsPerSecond: Math.round((train.rows * epochs) / (trainingMs / 1000)),
    },
    backend: backendName(),
    trainedAt: new Date().toISOString(),
  };
  return { ok: true, value: { model, meta } };
}

/**
 * One pass over the training rows in the given order, in batches of `batchSize`; returns the mean
 * batch loss. Each batch goes to the backend from its own slice of a typed array: the wasm
 * backend's `slice` copies its whole source tensor out of wasm memory first (measured: 4.2 s of
 * an 8 s run when batches were slices of one epoch tensor).
 */
function trainEpoch(
  step: (batch: ChurnBatch) => number,
  X: Float32Array,
  labels: Float32Array,
  d: number,
  classWeights: [number, number],
  order: Int32Array,
  batchSize: number,
): number {
  const n = order.length;
  const xs = new Float32Array(n * d);
  // Batch by batch, each batch's [d × size] transpose, for the first layer's gradient.
  const xts = new Float32Array(n * d);
  const ys = new Float32Array(n);
  const ws = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    for (let i = 0; i < size; i++) {
      const r = order[start + i]!;
      xs.set(X.subarray(r * d, (r + 1) * d), (start + i) * d);
      for (let j = 0; j < d; j++) xts[start * d + j * size + i] = X[r * d + j]!;
      ys[start + i] = labels[r]!;
      ws[start + i] = classWeights[labels[r]! > 0.5 ? 1 : 0];
    }
  }
  let loss = 0;
  let batches = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [from, to] = [start * d, (start + size) * d];
    const x = tf.tensor2d(xs.subarray(from, to), [size, d]);
    const xT = tf.tensor2d(xts.subarray(from, to), [d, size]);
    try {
      loss += step({ x, xT, y: ys.subarray(start, start + size), w: ws.subarray(start, start + size) });
      batches++;
    } finally {
      tf.dispose([x, xT]);
    }
  }
  return loss / batches;
}

function checkRows(
  train: TrainingRows,
  validation: TrainingRows,
  test: TrainingRows,
  yTrain: Float32Array,
): string | undefined {
  for (const [name, rows] of [
    ['train', train],
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (rows.rows === 0)
      return `the ${name} split is empty: too few customers in the model's population before the as-of date`;
  }
  const rate = churnRate(yTrain);
  if (rate === 0 || rate === 1)
    return `every training customer has the same label (${rate}): is the as-of date plus horizon within the data?`;
  return undefined;
}

/** The training objective without the penalty: class-weighted mean log loss, from logits. */
function weightedLogLoss(logits: Float64Array, y: Float32Array, classWeights: [number, number]): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    const positive = y[i]! > 0.5;
    // −log σ(z) = softplus(−z); −log(1 − σ(z)) = softplus(z).
    const s = positive ? -z : z;
    sum += classWeights[positive ? 1 : 0] * (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s)));
  }
  return sum / logits.length;
}

/** Logits of a standardised row-major matrix. */
function predictLogits(model: tf.LayersModel, X: Float32Array, d: number): Float64Array {
  return Float64Array.from(
    readTensor(() => model.predict(tf.tensor2d(X, [X.length / d, d]), { batchSize: 8192 }) as tf.Tensor),
  );
}
