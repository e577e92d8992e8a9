import type * as tf from '@tensorflow/tfjs';
import type { Database } from '../../db/database.js';
import {
  loadModel,
  registerModel,
  type PromotionDecision,
  type RegistryOptions,
  type RegistryResult,
  type ModelVersionRecord,
} from '../registry.js';
import { BUYER_COHORTS } from '../naiveBaselines.js';
import type { Trainer } from '../trainJob.js';
import { rowsOf } from '../trainingSet.js';
import { churnMetaSchema, type ChurnMeta } from './meta.js';
import { scoreChurn } from './score.js';
import { trainChurn } from './train.js';

export const CHURN_MODEL = 'churn';

/** What any model trained by trainChurn reports, whatever its label (churn, first purchase). */
export function classifierRegistryMetrics(
  m: Pick<ChurnMeta['metrics'], 'auc' | 'prAuc' | 'brier' | 'logLoss' | 'uncalibrated' | 'validation' | 'rows'>,
): Record<string, number | null> {
  return {
    auc: m.auc,
    prAuc: m.prAuc,
    brier: m.brier,
    logLoss: m.logLoss,
    uncalibratedBrier: m.uncalibrated.brier,
    validationAuc: m.validation.auc,
    trainRows: m.rows.train,
    validationRows: m.rows.validation,
    testRows: m.rows.test,
  };
}

/** The scalars the registry document keeps (and promotion compares); the rest stays in meta.json. */
export function churnRegistryMetrics(meta: ChurnMeta): Record<string, number | null> {
  const m = meta.metrics;
  return {
    ...classifierRegistryMetrics(m),
    baselineRecencyAuc: m.baselines.recency.auc,
    baselineBgnbdAuc: m.baselines.bgnbd.auc,
    baselineConstantBrier: m.baselines.constant.brier,
    churnRate: m.churnRate.train,
  };
}

/** Registers a trained churn model; it becomes active when its test AUC passes the promotion rule. */
export function registerChurnModel(
  database: Database,
  model: tf.LayersModel,
  meta: ChurnMeta,
  opts?: RegistryOptions,
): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  return registerModel(
    database,
    {
      name: CHURN_MODEL,
      model,
      meta,
      asOf: new Date(meta.asOf),
      horizonDays: meta.horizonDays,
      featureSchema: meta.featureNames,
      metrics: churnRegistryMetrics(meta),
    },
    opts,
  );
}

/** The active churn model (or a given version) with its checked meta.json. */
export function loadChurnModel(
  database: Database,
  version = 'active',
): Promise<RegistryResult<{ model: tf.LayersModel; meta: ChurnMeta; record: ModelVersionRecord }>> {
  return loadModel(database, CHURN_MODEL, version, churnMetaSchema);
}

/** train-churn's part: the network on the training set, then registration under the AUC rule. */
export const churnTrainer: Trainer<{ model: tf.LayersModel; meta: ChurnMeta }> = {
  model: CHURN_MODEL,
  async train(set, { epochs, seed }, onEpoch) {
    return trainChurn(set, { maxEpochs: epochs, seed }, (log) => onEpoch(log.epoch, log.maxEpochs));
  },
  metrics: ({ meta }) => ({
    ...churnRegistryMetrics(meta),
    epochs: meta.training.epochs,
    bestEpoch: meta.training.bestEpoch,
    rowsPerSecond: meta.training.rowsPerSecond,
  }),
  register: (database, { model, meta }, opts) => registerChurnModel(database, model, meta, opts),
  dispose: ({ model }) => model.dispose(),
  // Trained on buyers and scoring buyers only: judged on the validation buyers, one-time and repeat apart.
  naive: {
    task: 'churn',
    cohorts: BUYER_COHORTS,
    heldOut({ model, meta }, set) {
      const rows = rowsOf(set, 'validation');
      return { rows, predicted: scoreChurn(model, meta, rows.X).probabilities };
    },
  },
};
