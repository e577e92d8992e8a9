import * as tf from '@tensorflow/tfjs';
import type { Database } from '../../db/database.js';
import { initBackend } from '../backend.js';
import { fileHandler, readMeta, writeMeta, type ReadMetaResult } from '../fileIO.js';
import {
  loadNetworkVersion,
  registerModel,
  type ModelVersionRecord,
  type PromotionDecision,
  type RegistryOptions,
  type RegistryResult,
} from '../registry.js';
import { COHORTS } from '../naiveBaselines.js';
import type { Trainer } from '../trainJob.js';
import { rowsOf } from '../trainingSet.js';
import { ltvMetaSchema, ltvRegistryMetaSchema, type LtvMeta, type LtvRegistryMeta } from './meta.js';
import { scoreLtv } from './score.js';
import { trainLtvVersion, type TrainedLtvVersion } from './train.js';

export const LTV_MODEL = 'ltv';

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

export function registerLtvModel(
  database: Database,
  model: tf.LayersModel,
  meta: LtvRegistryMeta,
  opts?: RegistryOptions,
): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  return registerModel(
    database,
    {
      name: LTV_MODEL,
      model,
      meta,
      asOf: new Date(meta.asOf),
      horizonDays: meta.horizonDays,
      featureSchema: meta.featureNames,
      metrics: ltvRegistryMetrics(meta),
    },
    opts,
  );
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
  metrics: ({ meta }) => ({
    ...ltvRegistryMetrics(meta),
    epochs: meta.epochs,
    bestEpoch: meta.bestEpoch,
    rowsPerSecond: meta.training.rowsPerSecond,
  }),
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
