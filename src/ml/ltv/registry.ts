import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { backendName } from '../backend.js';
import { btydParamsSchema } from '../btyd/btydInputs.js';
import { columnSpecSchema, driverImportanceSchema, finiteOrNull } from '../metaSchemas.js';
import { DriverExplainer } from '../drivers.js';
import { loadNetworkVersion, registerModel, type ModelVersionRecord, type PromotionDecision, type RegistryOptions, type RegistryResult } from '../registry.js';
import { COHORTS } from '../naiveBaselines.js';
import type { Trainer } from '../trainJob.js';
import { rowsOf, type TrainingRows } from '../trainingSet.js';
import { evaluateLtv } from './evaluateLtv.js';
import { ltvMetaSchema, scoreLtv, trainLtv } from './ltvModel.js';
import { zilnParams } from './ziln.js';

export const LTV_MODEL = 'ltv';

const metric = z.number().nullable();
const ltvMetricsSchema = z.object({ gini: metric, spearman: metric, decileMape: metric, top20Capture: metric, totalRatio: metric, customers: z.number() });

/** The ZILN network's meta.json plus what the registry, the API and scoring need. */
export const ltvRegistryMetaSchema = ltvMetaSchema.extend({
  featureVersion: z.number(),
  asOf: z.string(),
  horizonDays: z.number(),
  columns: z.array(columnSpecSchema),
  featureNames: z.array(z.string()),
  btyd: btydParamsSchema.nullable(),
  metrics: ltvMetricsSchema.extend({
    rows: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
    /** BG/NBD expected purchases × Gamma-Gamma expected spend on the same test rows (null without a fit). */
    baselines: z.object({ btyd: ltvMetricsSchema.nullable() }),
  }),
  /** Mean |gradient × input| of log expected value per feature on the test rows. */
  drivers: z.array(driverImportanceSchema),
  training: z.object({ durationMs: z.number(), rowsPerSecond: z.number(), seed: z.number() }),
  backend: z.string(),
  trainedAt: z.string(),
});
export type LtvRegistryMeta = z.infer<typeof ltvRegistryMetaSchema>;
export type TrainedLtvVersion = { model: tf.LayersModel; meta: LtvRegistryMeta };

/** Drivers of LTV explain log E[value] = log σ(purchase logit) + μ + σ²/2. */
export const logExpectedValue = (output: tf.Tensor): tf.Tensor => {
  const { pLogit, mu, sigma } = zilnParams(output);
  // log σ(z) = −softplus(−z), finite for any z; tf.logSigmoid's custom gradient fails inside tf.grad on wasm.
  return tf.softplus(pLogit.neg()).neg().add(mu).add(sigma.square().mul(0.5));
};

/** The LTV network on a training set: revenue in (T, T + H] for every customer in it, evaluated on the test split. */
export async function trainLtvVersion(
  set: Parameters<Trainer<TrainedLtvVersion>['train']>[0],
  opts: { epochs: number; seed: number },
  onEpoch: (epoch: number, maxEpochs: number) => void,
): Promise<{ ok: true; value: TrainedLtvVersion } | { ok: false; error: { type: 'insufficient_data'; message: string } }> {
  const [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => rowsOf(set, s)) as [TrainingRows, TrainingRows, TrainingRows];
  if (train.rows === 0 || validation.rows === 0 || test.rows === 0) return { ok: false, error: { type: 'insufficient_data', message: 'a split is empty: too few customers before the as-of date' } };
  if (!train.futureRevenue.some((v) => v > 0)) return { ok: false, error: { type: 'insufficient_data', message: 'no training customer bought in the horizon: is the as-of date plus horizon within the data?' } };
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
    metrics: { ...nullable(evaluateLtv(predicted.expectedValue, test.futureRevenue)), rows: { train: train.rows, validation: validation.rows, test: test.rows }, baselines: { btyd } },
    drivers: new DriverExplainer(trained.model, { ...trained.meta, columns: set.columns }, logExpectedValue).importance(test.X),
    training: { durationMs: Math.round(durationMs), rowsPerSecond: Math.round((train.rows * trained.training.epochs) / (durationMs / 1000)), seed: opts.seed },
    backend: backendName(),
    trainedAt: new Date().toISOString(),
  };
  return { ok: true, value: { model: trained.model, meta } };
}

function btydBaseline(test: TrainingRows): z.infer<typeof ltvMetricsSchema> {
  const purchases = test.raw.btydExpectedPurchases!;
  const spend = test.raw.btydExpectedSpend!;
  const predicted = Float64Array.from(purchases, (p, i) => (Number.isFinite(p) && Number.isFinite(spend[i]!) ? p * spend[i]! : 0));
  return nullable(evaluateLtv(predicted, test.futureRevenue));
}

function nullable(m: ReturnType<typeof evaluateLtv>): z.infer<typeof ltvMetricsSchema> {
  return { gini: finiteOrNull(m.gini), spearman: finiteOrNull(m.spearman), decileMape: finiteOrNull(m.decileMape), top20Capture: finiteOrNull(m.top20Capture), totalRatio: finiteOrNull(m.totalRatio), customers: m.customers };
}

export function ltvRegistryMetrics(meta: LtvRegistryMeta): Record<string, number | null> {
  const m = meta.metrics;
  return {
    gini: m.gini,
    spearman: m.spearman,
    decileMape: m.decileMape,
    top20Capture: m.top20Capture,
    totalRatio: m.totalRatio,
    baselineBtydGini: m.baselines.btyd?.gini ?? null,
    trainRows: m.rows.train,
    validationRows: m.rows.validation,
    testRows: m.rows.test,
  };
}

export function registerLtvModel(database: Database, model: tf.LayersModel, meta: LtvRegistryMeta, opts?: RegistryOptions): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  return registerModel(database, { name: LTV_MODEL, model, meta, asOf: new Date(meta.asOf), horizonDays: meta.horizonDays, featureSchema: meta.featureNames, metrics: ltvRegistryMetrics(meta) }, opts);
}

/** A registered LTV version's network and meta, refused as data when a file is missing or corrupt. */
export function loadLtvVersion(record: ModelVersionRecord): Promise<RegistryResult<TrainedLtvVersion>> {
  return loadNetworkVersion(record, ltvRegistryMetaSchema);
}

/** train-ltv's part: every customer (buyers or not) gets a predicted value; promotion by normalised Gini. */
export const ltvTrainer: Trainer<TrainedLtvVersion> = {
  model: LTV_MODEL,
  setOptions: { population: 'all' },
  train: trainLtvVersion,
  metrics: ({ meta }) => ({ ...ltvRegistryMetrics(meta), epochs: meta.epochs, bestEpoch: meta.bestEpoch, rowsPerSecond: meta.training.rowsPerSecond }),
  register: (database, { model, meta }, opts) => registerLtvModel(database, model, meta, opts),
  dispose: ({ model }) => model.dispose(),
  naive: {
    task: 'ltv',
    cohorts: COHORTS,
    heldOut({ model, meta }, set) {
      const rows = rowsOf(set, 'validation');
      return { rows, predicted: scoreLtv(model, meta, rows).expectedValue };
    },
  },
};
