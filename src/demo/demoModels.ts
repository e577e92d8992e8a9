import { storedShopEnd } from './syntheticShop.js';
import type { Database } from '../db/database.js';
import { churnTrainer } from '../ml/churn/index.js';
import { firstPurchaseTrainer } from '../ml/firstPurchase/registry.js';
import { ltvTrainer } from '../ml/ltv/index.js';
import { sendTimeTrainer } from '../ml/sendTime/index.js';
import { prepareTrainingSets } from '../ml/trainingSet.js';
import type { JobDefinition } from '../jobs/core/defineJob.js';
import { runJob, type JobRunResult } from '../jobs/runJob.js';

/**
 * Trains the demo shop's models at start-up, so a first `npm start` shows scores, predictive
 * segments and model charts without anyone running the training jobs by hand. The train jobs'
 * default as-of (horizon days before now) fits the demo only on the day it was seeded: its events
 * end where the seed ended them (stored with the shop's truth), so every as-of here is counted
 * back from that end instead.
 *
 * Only a model kind with no registered version at all is trained: that is what makes a start
 * interrupted mid-training pick up where it stopped, and never overrides a data scientist's own
 * versions (or their rollbacks) on later starts.
 */

const DAY = 86_400_000;

/**
 * Per model kind, the horizon of its labels. Churn keeps its usual 90 days, first purchase its 30; lifetime value's usual
 * 365 would put the as-of at the very start of 365 days of data (no history to learn from), so
 * 180 days leave it half a year of features; send time keeps its usual 30 days.
 */
export const DEMO_MODELS = [
  { model: 'churn', job: 'train-churn', horizon: 90, metric: 'auc', label: 'AUC', setOptions: churnTrainer.setOptions },
  {
    model: 'first-purchase',
    job: 'train-first-purchase',
    horizon: 30,
    metric: 'auc',
    label: 'AUC',
    setOptions: firstPurchaseTrainer.setOptions,
  },
  { model: 'ltv', job: 'train-ltv', horizon: 180, metric: 'gini', label: 'Gini', setOptions: ltvTrainer.setOptions },
  {
    model: 'send-time',
    job: 'train-send-time',
    horizon: 30,
    metric: 'hit1h',
    label: '±1h hit rate',
    setOptions: sendTimeTrainer.setOptions,
  },
] as const;

export interface DemoModelsOptions {
  database: Database;
  jobs: readonly JobDefinition[];
  /** Aborted on shutdown: the running job stops at its next check and the remaining steps are skipped. */
  signal: AbortSignal;
  /** One line per step (start-up prints them to stderr). */
  say: (message: string) => void;
  /** More options for the train jobs (tests: fewer epochs, a temporary modelsDir). */
  trainOptions?: Record<string, unknown>;
}

export interface DemoModelsResult {
  trained: string[];
  failed: string[];
  /** Customers with a scores document after the rescoring; undefined when nothing was (re)scored. */
  scored?: number;
  stopped: boolean;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Trains every demo model kind that has no registered version yet (as-of = data end − horizon),
 * then runs score-customers and assign-segments so scores and predictive segments appear. Runs go
 * through runJob with trigger `startup`, so they are listed at GET /v1/jobs. Does nothing on a
 * database without the generated shop, or when every kind has a version and scores exist.
 * Never throws for a failed job: it says so and carries on (a failed kind is tried again next start).
 */
export async function trainDemoModels(opts: DemoModelsOptions): Promise<DemoModelsResult> {
  const { database, signal, say } = opts;
  const result: DemoModelsResult = { trained: [], failed: [], stopped: false };
  // Only the generator writes `sim_truth`: without it there is no demo shop to train on.
  const dataEnd = await storedShopEnd(database);
  if (dataEnd === null) return result;
  const { scores } = database.collections;
  const missing = [];
  for (const spec of DEMO_MODELS)
    if (!(await database.collections.modelVersions.findOne({ name: spec.model }, { projection: { _id: 1 } })))
      missing.push(spec);
  // Models but no scores: a start stopped after training and before scoring still has to score.
  // (On a freshly seeded demo, start-up leaves scoring and segments to the end of this, too.)
  const unscored = !(await scores.findOne({}, { projection: { _id: 1 } }));
  if (missing.length === 0 && !unscored) return result;

  const find = (name: string) => {
    const def = opts.jobs.find((j) => j.name === name);
    if (!def) throw new Error(`demo models: job ${name} not found in jobs/`);
    return def;
  };
  const run = async (name: string, options: object): Promise<JobRunResult | undefined> => {
    const outcome = await runJob(find(name), options, { database, trigger: 'startup', signal });
    if (!outcome.ok) {
      say(`demo models: ${name}: ${outcome.error.message}`);
      return undefined;
    }
    return outcome.value;
  };
  const stopped = () => {
    if (!signal.aborted) return false;
    say('demo models: stopped; the next start resumes them');
    result.stopped = true;
    return true;
  };

  const metrics: string[] = [];
  // One read of the timelines for every missing model's training set (each job then takes its own).
  const sets = missing.map((spec) => ({
    ...spec.setOptions,
    asOf: new Date(dataEnd.getTime() - spec.horizon * DAY),
    horizonDays: spec.horizon,
  }));
  if (sets.length > 1) {
    const t0 = Date.now();
    say(`demo models: building ${sets.length} training sets in one pass over the timelines…`);
    await prepareTrainingSets(database, sets);
    say(`demo models: training sets built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const spec of missing) {
    if (stopped()) return result;
    const asOf = new Date(dataEnd.getTime() - spec.horizon * DAY);
    say(`demo models: training ${spec.model} (as of ${day(asOf)}, ${spec.horizon}-day horizon)…`);
    const done = await run(spec.job, { ...opts.trainOptions, asOf, horizon: spec.horizon });
    if (signal.aborted) break; // a run cut short by shutdown is not a failure of the model
    if (done?.status !== 'succeeded') {
      result.failed.push(spec.model);
      say(`demo models: ${spec.job} failed${done?.error ? `: ${done.error.message}` : ''}; see GET /v1/jobs`);
      continue;
    }
    result.trained.push(spec.model);
    const value = done.counts[spec.metric];
    const metric = `${spec.label} ${typeof value === 'number' ? value.toFixed(3) : 'n/a'}`;
    metrics.push(`${spec.model} ${metric}`);
    say(`demo models: ${spec.model} trained in ${(done.durationMs / 1000).toFixed(0)} s (${metric})`);
  }
  if (stopped()) return result;
  if (result.trained.length === 0 && !unscored) return result;

  for (const job of ['score-customers', 'assign-segments']) {
    if (stopped()) return result;
    say(`demo models: running ${job}…`);
    const done = await run(job, {});
    if (done?.status !== 'succeeded' && !signal.aborted)
      say(`demo models: ${job} failed${done?.error ? `: ${done.error.message}` : ''}; see GET /v1/jobs`);
  }
  if (stopped()) return result;
  result.scored = await scores.countDocuments({});
  say(`demo models: ready — scores for ${result.scored} customers${metrics.length ? ` (${metrics.join(', ')})` : ''}`);
  return result;
}
