import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { ltvTrainer } from '../src/ml/ltv/index.js';
import { runTrainJob, trainJobOptions } from '../src/ml/trainJob.js';

/**
 * Trains the lifetime-value network (ZILN loss) on the training set at as-of T: features before
 * T, label = revenue in (T, T + horizon] for every customer. Registers it and promotes it when its
 * test normalised Gini is not worse than the active model's by more than the tolerance.
 * `--backtest n` trains at n as-of dates instead and reports each one's metrics (registers nothing).
 */
const trainLtvJob = defineJob({
  name: 'train-ltv',
  description: 'train, evaluate and register a lifetime-value model (promoted by normalised Gini)',
  schedule: null,
  options: trainJobOptions({ horizon: 365, epochs: 200, metric: 'normalised Gini' }),
  run: (ctx, options) => runTrainJob(ctx, options, ltvTrainer),
});

export default trainLtvJob;
await runIfMain(import.meta.url, trainLtvJob);
