import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';
import { sendTimeTrainer } from '../src/ml/sendTime/index.js';
import { runTrainJob, trainJobOptions } from '../src/ml/trainJob.js';

/**
 * Trains the best-send-time model at as-of T: open-hour histograms before T shrunk toward the
 * shop's pattern (and a network on customer features when it helps), labelled with the local hour
 * of each customer's first open in (T, T + horizon]. Registers it and promotes it when its ±1h hit
 * rate is not worse than the active model's by more than the tolerance.
 * `--backtest n` trains at n as-of dates instead and reports each one's metrics (registers nothing).
 */
const trainSendTimeJob = defineJob({
  name: 'train-send-time',
  description: 'train, evaluate and register a best-send-time model (promoted by ±1h hit rate)',
  schedule: null,
  options: trainJobOptions({ horizon: 30, epochs: 100, metric: '±1h hit rate' }),
  run: (ctx, options) => runTrainJob(ctx, options, sendTimeTrainer),
});

export default trainSendTimeJob;
await runIfMain(import.meta.url, trainSendTimeJob);
