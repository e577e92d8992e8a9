import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Database } from '../../db/database.js';
import type { Cohort, NaiveTask } from '../naiveBaselines.js';
import { loadModel, registerModel, type RegistryOptions } from '../registry.js';
import type { Trainer, TrainOutcome } from '../trainJob.js';
import { keepColumns, rowsOf, type ColumnSpec, type TrainingSet } from '../trainingSet.js';
import type { ChurnMeta } from './meta.js';
import { scoreChurn } from './score.js';
import type { EpochLog } from './train.js';

/**
 * What the classifiers trained by trainChurn share (churn on buyers, first purchase on prospects):
 * registry scalars, registration under the test-AUC rule, loading, and their part in a training
 * job. They differ in name, label, training set, extra scalars and whom the naive gate judges.
 */
type SharedMetrics = Pick<
  ChurnMeta['metrics'],
  'auc' | 'prAuc' | 'brier' | 'logLoss' | 'uncalibrated' | 'validation' | 'rows'
>;
type ClassifierMeta = Pick<
  ChurnMeta,
  'asOf' | 'horizonDays' | 'featureNames' | 'training' | 'means' | 'stds' | 'calibration' | 'columns'
> & {
  metrics: SharedMetrics;
};

export interface ClassifierSpec<M extends ClassifierMeta> {
  name: string;
  metaSchema: z.ZodType<M>;
  /** Scalars beside the shared ones: its baselines and label rate. */
  metrics(meta: M): Record<string, number | null>;
  train(
    set: TrainingSet,
    opts: { maxEpochs: number; seed: number },
    onEpoch: (log: EpochLog) => void,
  ): Promise<TrainOutcome<{ model: tf.LayersModel; meta: M }>>;
  setOptions?: Trainer<unknown>['setOptions'];
  /** The naive gate: the task, the cohorts the model scores, and the columns its network reads (all when absent). */
  naive: { task: NaiveTask; cohorts: readonly Cohort[]; columns?: (c: ColumnSpec) => boolean };
}

/** What any model trained by trainChurn reports, whatever its label. */
export function classifierRegistryMetrics(m: SharedMetrics): Record<string, number | null> {
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

export function classifier<M extends ClassifierMeta>(spec: ClassifierSpec<M>) {
  /** The scalars the registry document keeps (and promotion compares); the rest stays in meta.json. */
  const registryMetrics = (meta: M) => ({ ...classifierRegistryMetrics(meta.metrics), ...spec.metrics(meta) });
  /** Registers a trained model; it becomes active when its test AUC passes the promotion rule. */
  const register = (database: Database, model: tf.LayersModel, meta: M, opts?: RegistryOptions) =>
    registerModel(
      database,
      {
        name: spec.name,
        model,
        meta,
        asOf: new Date(meta.asOf),
        horizonDays: meta.horizonDays,
        featureSchema: meta.featureNames,
        metrics: registryMetrics(meta),
        selection: { metric: 'auc', higherIsBetter: true },
      },
      opts,
    );
  /** The active model (or a given version) with its checked meta.json. */
  const load = (database: Database, version = 'active') => loadModel(database, spec.name, version, spec.metaSchema);
  const trainer: Trainer<{ model: tf.LayersModel; meta: M }> = {
    model: spec.name,
    setOptions: spec.setOptions,
    train: (set, { epochs, seed }, onEpoch) =>
      spec.train(set, { maxEpochs: epochs, seed }, (log) => onEpoch(log.epoch, log.maxEpochs)),
    metrics: ({ meta }) => ({
      ...registryMetrics(meta),
      epochs: meta.training.epochs,
      bestEpoch: meta.training.bestEpoch,
      rowsPerSecond: meta.training.rowsPerSecond,
    }),
    register: (database, { model, meta }, opts) => register(database, model, meta, opts),
    dispose: ({ model }) => model.dispose(),
    naive: {
      task: spec.naive.task,
      cohorts: spec.naive.cohorts,
      heldOut({ model, meta }, set) {
        const rows = rowsOf(spec.naive.columns ? keepColumns(set, spec.naive.columns) : set, 'validation');
        return { rows, predicted: scoreChurn(model, meta, rows.X).probabilities };
      },
    },
  };
  return { registryMetrics, register, load, trainer };
}
