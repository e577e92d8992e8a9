import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../src/config.js';
import { defineJob } from '../src/jobs/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { registerChurnModel } from '../src/ml/churn/registry.js';
import { trainChurn } from '../src/ml/churn/train.js';
import { DEFAULT_TOLERANCE } from '../src/ml/registry.js';
import { buildTrainingSet } from '../src/ml/trainingSet.js';

const DAY = 86_400_000;

/**
 * Trains a churn model on the training set at as-of T (features before T, churn = no order in
 * (T, T + horizon]), registers it, and promotes it when its test AUC is not worse than the active
 * model's by more than the tolerance. T + horizon must lie in the past: later labels are unknown.
 */
const trainChurnJob = defineJob({
  name: 'train-churn',
  description: 'train, evaluate and register a churn model (promoted when it is not worse than the active one)',
  schedule: null,
  options: z.object({
    asOf: z.coerce.date().optional().describe('as-of date T: features from events before it, labels from (T, T + horizon]; default: horizon days ago'),
    horizon: z.coerce.number().int().min(1).max(730).default(90).describe('days after T in which an order means "not churned" (default 90)'),
    epochs: z.coerce.number().int().min(1).max(1000).default(100).describe('maximum epochs; early stopping usually ends sooner (default 100)'),
    tolerance: z.coerce.number().min(0).max(1).default(DEFAULT_TOLERANCE).describe(`how much lower than the active model's AUC may still be promoted (default ${DEFAULT_TOLERANCE})`),
    seed: z.coerce.number().int().min(0).default(1).describe('seed for the initial weights and batch order'),
    modelsDir: z.string().min(1).optional().describe('where model files go (default: models/ in the project)'),
  }),
  async run({ database, log, progress, signal }, options) {
    const now = Date.now();
    const asOf = options.asOf ?? new Date(now - options.horizon * DAY);
    if (asOf.getTime() + options.horizon * DAY > now) {
      throw new Error(`the label window (${asOf.toISOString()}, +${options.horizon} days] has not ended yet: choose --as-of at least ${options.horizon} days ago`);
    }
    const started = performance.now();
    const set = await buildTrainingSet(database, { asOf, horizonDays: options.horizon, onProgress: progress });
    const setMs = performance.now() - started;
    log.info({ rows: set.rows, features: set.featureNames.length, events: set.eventsScanned, sources: set.sources, ms: Math.round(setMs) }, 'training set built');

    const trained = await trainChurn(set, { maxEpochs: options.epochs, seed: options.seed }, (epoch) => {
      if (signal.aborted) throw new Error('train-churn stopped');
      progress(epoch.epoch, epoch.maxEpochs);
      log.debug(epoch, 'epoch');
    });
    if (!trained.ok) throw new Error(trained.error.message);
    const { model, meta } = trained.value;
    try {
      const root = options.modelsDir ? path.resolve(projectRoot, options.modelsDir) : undefined;
      const { record, decision } = await registerChurnModel(database, model, meta, { root, tolerance: options.tolerance });
      log.info({ version: record.version, status: record.status, reason: decision.reason, path: record.path }, 'churn model registered');
      const m = meta.metrics;
      const metric = (x: number | null) => x ?? NaN;
      return {
        rows: set.rows,
        events: set.eventsScanned,
        trainRows: m.rows.train,
        validationRows: m.rows.validation,
        testRows: m.rows.test,
        features: set.featureNames.length,
        epochs: meta.training.epochs,
        bestEpoch: meta.training.bestEpoch,
        auc: metric(m.auc),
        prAuc: metric(m.prAuc),
        brier: metric(m.brier),
        logLoss: metric(m.logLoss),
        baselineRecencyAuc: metric(m.baselines.recency.auc),
        baselineBgnbdAuc: metric(m.baselines.bgnbd.auc),
        baselineConstantBrier: metric(m.baselines.constant.brier),
        promoted: decision.promote ? 1 : 0,
        trainingSetMs: Math.round(setMs),
        trainMs: meta.training.durationMs,
        rowsPerSecond: meta.training.rowsPerSecond,
      };
    } finally {
      model.dispose();
    }
  },
});

export default trainChurnJob;
await runIfMain(import.meta.url, trainChurnJob);
