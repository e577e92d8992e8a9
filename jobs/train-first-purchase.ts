import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { firstPurchaseTrainer } from '../src/ml/firstPurchase/registry.js';
import { runTrainJob, trainJobOptions } from '../src/ml/trainJob.js';

/**
 * Trains the first-purchase model on the prospects at as-of T (customers seen before T without an
 * order before it; label: a first order in (T, T + horizon]), registers it, and promotes it when
 * its test AUC is not worse than the active model's by more than the tolerance. The default
 * horizon is 30 days: what a prospect does before T announces a first order in the weeks after it,
 * hardly one three months on. `--backtest n` trains at n as-of dates and reports each one's metrics.
 */
const trainFirstPurchaseJob = defineJob({
  name: 'train-first-purchase',
  description:
    'train, evaluate and register the first-purchase model for prospects (promoted when it is not worse than the active one)',
  schedule: null,
  options: trainJobOptions({ horizon: 30, epochs: 100, metric: 'test AUC' }),
  run: (ctx, options) => runTrainJob(ctx, options, firstPurchaseTrainer),
});

export default trainFirstPurchaseJob;
await runIfMain(import.meta.url, trainFirstPurchaseJob);
