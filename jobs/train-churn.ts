import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { churnTrainer } from '../src/ml/churn/index.js';
import { runTrainJob, trainJobOptions } from '../src/ml/trainJob.js';

/**
 * Trains a churn model on the training set at as-of T (features before T, churn = no order in
 * (T, T + horizon]), registers it, and promotes it when its test AUC is not worse than the active
 * model's by more than the tolerance. T + horizon must not pass the data's last event: later labels are unknown.
 * `--backtest n` trains at n as-of dates instead and reports each one's metrics (registers nothing).
 */
const trainChurnJob = defineJob({
  name: 'train-churn',
  description: 'train, evaluate and register a churn model (promoted when it is not worse than the active one)',
  schedule: null,
  options: trainJobOptions({ horizon: 90, epochs: 100, metric: 'test AUC' }),
  run: (ctx, options) => runTrainJob(ctx, options, churnTrainer),
});

export default trainChurnJob;
await runIfMain(import.meta.url, trainChurnJob);
