import * as tf from '@tensorflow/tfjs';
import { backendName, initBackend } from '../backend.js';
import { DriverExplainer } from '../drivers.js';
import { columnCount, fitStandardizer, rowCount, type Matrix } from '../standardize.js';
import type { Trainer } from '../trainJob.js';
import { trainOnRows, type OnEpoch, type TrainLoopOptions, type TrainLoopResult } from '../trainLoop.js';
import { rowsOf, type TrainingRows } from '../trainingSet.js';
import { btydBaseline, evaluateLtv, nullable } from './evaluate.js';
import type { LtvMeta, LtvRegistryMeta } from './meta.js';
import { createLtvModel, DEFAULT_HIDDEN, type LtvModelOptions } from './model.js';
import { logExpectedValue, scoreLtv } from './score.js';
import { inverseSoftplus, zilnLoss } from './ziln.js';

export type TrainLtvOptions = LtvModelOptions & TrainLoopOptions & { featureNames?: string[] };
export type LtvTrainingData = { X: Matrix; y: ArrayLike<number>; Xval: Matrix; yval: ArrayLike<number> };
export type TrainedLtv = { model: tf.LayersModel; meta: LtvMeta; training: TrainLoopResult };
export type TrainedLtvVersion = { model: tf.LayersModel; meta: LtvRegistryMeta };

/**
 * Standardises features (statistics from the training rows only), starts the output at the
 * labels' own zero-inflated lognormal fit, and trains with early stopping on validation loss.
 */
export async function trainLtv(
  data: LtvTrainingData,
  options: TrainLtvOptions = {},
  onEpoch?: OnEpoch,
): Promise<TrainedLtv> {
  const { X, Xval } = data;
  const y = Array.from(data.y);
  const yval = Array.from(data.yval);
  const [n, nVal] = [rowCount(X), rowCount(Xval)];
  if (n !== y.length || nVal !== yval.length) throw new Error('features and labels differ in length');
  if (n === 0 || nVal === 0) throw new Error('trainLtv needs training and validation rows');
  for (const v of [...y, ...yval])
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`LTV labels must be finite and ≥ 0, got ${v}`);
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

/** The LTV network on a training set: revenue in (T, T + H] for every customer in it, evaluated on the test split. */
export async function trainLtvVersion(
  set: Parameters<Trainer<TrainedLtvVersion>['train']>[0],
  opts: { epochs: number; seed: number },
  onEpoch: (epoch: number, maxEpochs: number) => void,
): Promise<
  { ok: true; value: TrainedLtvVersion } | { ok: false; error: { type: 'insufficient_data'; message: string } }
> {
  const [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => rowsOf(set, s)) as [
    TrainingRows,
    TrainingRows,
    TrainingRows,
  ];
  if (train.rows === 0 || validation.rows === 0 || test.rows === 0)
    return {
      ok: false,
      error: { type: 'insufficient_data', message: 'a split is empty: too few customers before the as-of date' },
    };
  if (!train.futureRevenue.some((v) => v > 0))
    return {
      ok: false,
      error: {
        type: 'insufficient_data',
        message: 'no training customer bought in the horizon: is the as-of date plus horizon within the data?',
      },
    };
  const started = performance.now();
  const trained = await trainLtv(
    { X: train, y: train.futureRevenue, Xval: validation, yval: validation.futureRevenue },
    { epochs: opts.epochs, seed: opts.seed, featureNames: set.featureNames },
    (log) => onEpoch(log.epoch, opts.epochs),
  );
  const durationMs = performance.now() - started;
  const predicted = scoreLtv(trained.model, trained.meta, test);
  const btyd = set.btyd ? btydBaseline(test) : null;
  const meta: LtvRegistryMeta = {
    ...trained.meta,
    featureVersion: set.featureVersion,
    asOf: set.asOf.toISOString(),
    horizonDays: set.horizonDays,
    columns: set.columns,
    featureNames: set.featureNames,
    btyd: set.btyd ?? null,
    metrics: {
      ...nullable(evaluateLtv(predicted.expectedValue, test.futureRevenue)),
      rows: { train: train.rows, validation: validation.rows, test: test.rows },
      baselines: { btyd },
    },
    drivers: new DriverExplainer(trained.model, { ...trained.meta, columns: set.columns }, logExpectedValue).importance(
      test.X,
    ),
    training: {
      durationMs: Math.round(durationMs),
      rowsPerSecond: Math.round((train.rows * trained.training.epochs) / (durationMs / 1000)),
      seed: opts.seed,
    },
    backend: backendName(),
    trainedAt: new Date().toISOString(),
  };
  return { ok: true, value: { model: trained.model, meta } };
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
