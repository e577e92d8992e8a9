import type * as tf from '@tensorflow/tfjs';
import type { Database } from '../../db/database.js';
import { classifierRegistryMetrics, scoreChurn } from '../churn/index.js';
import { keepColumns, rowsOf } from '../trainingSet.js';
import {
  loadModel,
  registerModel,
  type PromotionDecision,
  type RegistryOptions,
  type RegistryResult,
  type ModelVersionRecord,
} from '../registry.js';
import type { Trainer } from '../trainJob.js';
import { NAIVE_FEATURES } from './evaluate.js';
import { firstPurchaseMetaSchema, type FirstPurchaseMeta } from './meta.js';
import { prospectColumn, trainFirstPurchase } from './train.js';

export const FIRST_PURCHASE_MODEL = 'first-purchase';

/** The scalars the registry document keeps (and promotion compares); the rest stays in meta.json. */
export function firstPurchaseRegistryMetrics(meta: FirstPurchaseMeta): Record<string, number | null> {
  const m = meta.metrics;
  return {
    ...classifierRegistryMetrics(m),
    baselineBestNaiveAuc: m.baselines.best.auc,
    baselineConstantBrier: m.baselines.constant.brier,
    purchaseRate: m.purchaseRate.train,
  };
}

/** Registers a trained first-purchase model; promoted by test AUC, as churn is. */
export function registerFirstPurchaseModel(
  database: Database,
  model: tf.LayersModel,
  meta: FirstPurchaseMeta,
  opts?: RegistryOptions,
): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  return registerModel(
    database,
    {
      name: FIRST_PURCHASE_MODEL,
      model,
      meta,
      asOf: new Date(meta.asOf),
      horizonDays: meta.horizonDays,
      featureSchema: meta.featureNames,
      metrics: firstPurchaseRegistryMetrics(meta),
      selection: { metric: 'auc', higherIsBetter: true },
    },
    opts,
  );
}

/** The active first-purchase model (or a given version) with its checked meta.json. */
export function loadFirstPurchaseModel(
  database: Database,
  version = 'active',
): Promise<RegistryResult<{ model: tf.LayersModel; meta: FirstPurchaseMeta; record: ModelVersionRecord }>> {
  return loadModel(database, FIRST_PURCHASE_MODEL, version, firstPurchaseMetaSchema);
}

/** train-first-purchase's part: prospects only (no order before T), the naive features kept raw for the baselines. */
export const firstPurchaseTrainer: Trainer<{ model: tf.LayersModel; meta: FirstPurchaseMeta }> = {
  model: FIRST_PURCHASE_MODEL,
  setOptions: { population: 'prospects', keepRaw: NAIVE_FEATURES },
  async train(set, { epochs, seed }, onEpoch) {
    return trainFirstPurchase(set, { maxEpochs: epochs, seed }, (log) => onEpoch(log.epoch, log.maxEpochs));
  },
  metrics: ({ meta }) => ({
    ...firstPurchaseRegistryMetrics(meta),
    epochs: meta.training.epochs,
    bestEpoch: meta.training.bestEpoch,
    rowsPerSecond: meta.training.rowsPerSecond,
  }),
  register: (database, { model, meta }, opts) => registerFirstPurchaseModel(database, model, meta, opts),
  dispose: ({ model }) => model.dispose(),
  // Scoring prospects only: judged on the validation prospects.
  naive: {
    task: 'first-purchase',
    cohorts: ['prospects'],
    heldOut({ model, meta }, set) {
      const rows = rowsOf(keepColumns(set, prospectColumn), 'validation');
      return { rows, predicted: scoreChurn(model, meta, rows.X).probabilities };
    },
  },
};
