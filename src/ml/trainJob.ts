import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../config.js';
import type { Database } from '../db/database.js';
import type { Counts, JobContext } from '../jobs/core/defineJob.js';
import {
  DEFAULT_TOLERANCE,
  type ModelVersionRecord,
  type PromotionDecision,
  type RegistryOptions,
} from './registry.js';
import { dataEndsAt } from '../features/dataEnd.js';
import type { Cohort, JudgedRows, NaiveTask } from './naiveBaselines.js';
import { naiveGate } from './naiveGate.js';
import {
  buildTrainingSet,
  checkLabelWindow,
  latestValidAsOf,
  withBtydInputs,
  type TrainingSet,
  type TrainingSetOptions,
} from './trainingSet.js';

/**
 * What the training jobs (train-churn, train-first-purchase, train-ltv, train-send-time) share: their options,
 * the as-of date check against the data's end, registering the model, and the backtest mode that trains at several
 * as-of dates and reports each one's metrics with their mean and standard deviation.
 */

const DAY = 86_400_000;

export function trainJobOptions(defaults: { horizon: number; epochs: number; metric: string }) {
  return z.object({
    asOf: z.coerce
      .date()
      .optional()
      .describe(
        'as-of date T: features from events before it, labels from (T, T + horizon]; default: the latest the data allows, its last event − horizon',
      ),
    horizon: z.coerce
      .number()
      .int()
      .min(1)
      .max(730)
      .default(defaults.horizon)
      .describe(`days after T the labels are taken from (default ${defaults.horizon})`),
    epochs: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(defaults.epochs)
      .describe(`maximum epochs; early stopping usually ends sooner (default ${defaults.epochs})`),
    tolerance: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(DEFAULT_TOLERANCE)
      .describe(
        `how much lower than the active model's ${defaults.metric} may still be promoted (default ${DEFAULT_TOLERANCE})`,
      ),
    seed: z.coerce.number().int().min(0).default(1).describe('seed for the initial weights and batch order'),
    modelsDir: z.string().min(1).optional().describe('where model files go (default: models/ in the project)'),
    backtest: z.coerce
      .number()
      .int()
      .min(0)
      .max(24)
      .default(0)
      .describe(
        "train at this many as-of dates (T, T − step, …) and report each one's metrics with mean and std; registers nothing",
      ),
    backtestStep: z.coerce
      .number()
      .int()
      .min(1)
      .max(730)
      .optional()
      .describe('days between backtest as-of dates (default: the horizon, so label windows do not overlap)'),
  });
}
export type TrainJobOptions = z.output<ReturnType<typeof trainJobOptions>>;

export type TrainOutcome<T> = { ok: true; value: T } | { ok: false; error: { type: string; message: string } };

/** One model's part in a training job. */
export interface Trainer<T> {
  /** The registry name: churn, ltv, send-time. */
  model: string;
  /** Extra training-set options (population, raw features kept). */
  setOptions?: Partial<TrainingSetOptions>;
  train(
    set: TrainingSet,
    opts: { epochs: number; seed: number },
    onEpoch: (epoch: number, maxEpochs: number) => void,
  ): Promise<TrainOutcome<T>>;
  /** Scalar metrics of a trained model (registry document, job counts, backtest table). */
  metrics(trained: T): Record<string, number | null>;
  register(
    database: Database,
    trained: T,
    opts: RegistryOptions,
  ): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }>;
  dispose(trained: T): void;
  /** The naive-baseline gate: the task, the cohorts the model scores, and its predictions on the held-out rows it is judged on. */
  naive: {
    task: NaiveTask;
    cohorts: readonly Cohort[];
    heldOut(trained: T, set: TrainingSet): { rows: JudgedRows; predicted: ArrayLike<number> };
  };
}

/** Builds the training set at T (with the BG/NBD + Gamma-Gamma input columns). */
export async function trainingSetAt(
  ctx: JobContext,
  asOf: Date,
  horizonDays: number,
  extra: Partial<TrainingSetOptions> = {},
): Promise<TrainingSet> {
  const started = performance.now();
  const set = await withBtydInputs(
    await buildTrainingSet(ctx.database, { ...extra, asOf, horizonDays, onProgress: ctx.progress, signal: ctx.signal }),
  );
  if (set.btydError) ctx.log.warn({ reason: set.btydError }, 'training without the BG/NBD inputs');
  ctx.log.info(
    {
      asOf,
      rows: set.rows,
      features: set.featureNames.length,
      events: set.eventsScanned,
      sources: set.sources,
      ms: Math.round(performance.now() - started),
    },
    'training set built',
  );
  return set;
}

/** A training refused before it starts (its message says why and what to do); recorded as the run's error type. */
export class TrainingRefused extends Error {
  override name = 'TrainingRefused';
}

/**
 * The as-of T to train at: the given one, or the latest the data allows (its last event − the
 * horizon). Refuses when (T, T + horizon] reaches past the data's last event.
 */
export async function trainingAsOf(database: Database, asOf: Date | undefined, horizonDays: number): Promise<Date> {
  const dataEnd = await dataEndsAt(database);
  const T = asOf ?? (dataEnd ? latestValidAsOf(dataEnd, horizonDays) : new Date(Number.NaN));
  const check = checkLabelWindow(T, horizonDays, dataEnd);
  if (!check.ok) throw new TrainingRefused(check.error.message);
  return T;
}

export async function runTrainJob<T>(ctx: JobContext, options: TrainJobOptions, trainer: Trainer<T>): Promise<Counts> {
  const asOf = await trainingAsOf(ctx.database, options.asOf, options.horizon);
  if (!options.asOf)
    ctx.note?.(
      `as-of ${asOf.toISOString().slice(0, 10)}: the latest the data allows (its last event − ${options.horizon} days)`,
    );
  if (options.backtest > 0) return backtest(ctx, options, asOf, trainer);

  const set = await trainingSetAt(ctx, asOf, options.horizon, trainer.setOptions);
  const trained = await trainOrStop(ctx, trainer, set, options, (epoch, max) => ctx.progress(epoch, max));
  try {
    const root = options.modelsDir ? path.resolve(projectRoot, options.modelsDir) : undefined;
    const heldOut = trainer.naive.heldOut(trained, set);
    const naive = naiveGate(trainer.naive.task, heldOut.predicted, heldOut.rows, trainer.naive.cohorts);
    const { record, decision } = await trainer.register(ctx.database, trained, {
      root,
      tolerance: options.tolerance,
      naive,
    });
    ctx.note?.(
      `${trainer.model} ${record.version} ${decision.promote ? 'promoted' : 'not promoted'}: ${decision.reason}`,
    );
    ctx.log.info(
      {
        model: trainer.model,
        version: record.version,
        status: record.status,
        reason: decision.reason,
        path: record.path,
      },
      'model registered',
    );
    return {
      rows: set.rows,
      events: set.eventsScanned,
      features: set.featureNames.length,
      btydInputs: set.btyd ? 1 : 0,
      ...numbers(trainer.metrics(trained)),
      ...numbers(naive.metrics),
      beatsNaive: naive.pass ? 1 : 0,
      promoted: decision.promote ? 1 : 0,
    };
  } finally {
    trainer.dispose(trained);
  }
}

/**
 * Trains at T, T − step, … (n dates) and reports `<metric>_T<k>` for each, then `<metric>_mean`
 * and `<metric>_std` (sample standard deviation) over them; nothing is registered.
 */
async function backtest<T>(
  ctx: JobContext,
  options: TrainJobOptions,
  asOf: Date,
  trainer: Trainer<T>,
): Promise<Counts> {
  const step = (options.backtestStep ?? options.horizon) * DAY;
  const runs: Record<string, number | null>[] = [];
  const counts: Counts = { backtests: options.backtest };
  for (let k = 0; k < options.backtest; k++) {
    const at = new Date(asOf.getTime() - k * step);
    const set = await trainingSetAt(ctx, at, options.horizon, trainer.setOptions);
    const trained = await trainOrStop(ctx, trainer, set, options, (epoch, max) =>
      ctx.progress(k * max + epoch, options.backtest * max),
    );
    try {
      const metrics = trainer.metrics(trained);
      runs.push(metrics);
      counts[`asOf_T${k}`] = at.getTime();
      for (const [name, value] of Object.entries(numbers(metrics))) counts[`${name}_T${k}`] = value;
      ctx.log.info({ model: trainer.model, asOf: at.toISOString(), metrics }, 'backtest fold');
    } finally {
      trainer.dispose(trained);
    }
  }
  for (const name of Object.keys(runs[0] ?? {})) {
    const values = runs.map((r) => r[name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const { mean, std } = meanStd(values);
    if (Number.isFinite(mean)) counts[`${name}_mean`] = mean;
    if (Number.isFinite(std)) counts[`${name}_std`] = std;
  }
  return counts;
}

async function trainOrStop<T>(
  ctx: JobContext,
  trainer: Trainer<T>,
  set: TrainingSet,
  options: TrainJobOptions,
  progress: (epoch: number, max: number) => void,
): Promise<T> {
  const trained = await trainer.train(set, { epochs: options.epochs, seed: options.seed }, (epoch, max) => {
    if (ctx.signal.aborted) throw new Error(`train-${trainer.model} stopped`);
    progress(epoch, max);
  });
  if (!trained.ok) throw new Error(`${set.asOf.toISOString()}: ${trained.error.message}`);
  return trained.value;
}

/** Mean and sample standard deviation (NaN for fewer than two values). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = n > 0 ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std };
}

/** Job counts are finite numbers (FerretDB refuses NaN): a metric undefined for its data is left out. */
function numbers(metrics: Record<string, number | null>): Counts {
  return Object.fromEntries(
    Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
  );
}
