import { config } from '../../config.js';
import type { FeatureDoc } from '../../db/models/feature.js';
import type { ScoreDoc } from '../../db/models/score.js';
import type { Database } from '../../db/database.js';
import { recordEvents } from '../../ingest/storeEvents.js';
import type { Counts, JobContext } from '../../jobs/core/defineJob.js';
import { forEachPartition } from '../../jobs/core/partitions.js';
import { openHourNames } from '../../features/email.js';
import { DAY } from '../../features/read.js';
import { btydSummary, btydValues, type BtydParams } from '../btyd/btydInputs.js';
import { scoreChurn } from '../churn/index.js';
import { DriverExplainer } from '../drivers.js';
import { logExpectedValue, scoreLtv } from '../ltv/index.js';
import { predictSendTimeBatch } from '../sendTime/index.js';
import { encodeRows, type ColumnSpec } from '../trainingSet.js';
import { cohortOf, type Cohort } from './cohort.js';
import { featuresToScore } from './featuresToScore.js';
import {
  assignLtvTiers,
  lastOrderAtOf,
  predictionEvents,
  type PreviousScore,
  type ScoreWatch,
} from './predictionEvents.js';
import { btydParamsOf, disposeScoringModels, loadScoringModels, type ScoringModels } from './scoringModels.js';

export const SCORE_CUSTOMERS_JOB = 'score-customers';

/** Score documents written per replaceById call, across partitions. */
const WRITE_BATCH = 5000;

export interface ScoreOptions {
  /** Top drivers written per score (0 skips the gradient pass). */
  drivers: number;
  batchSize: number;
  /** Score as of this date, from features as of exactly it (see featuresToScore). */
  asOf?: Date;
  /** Churn thresholds whose crossings are written as prediction events (the flows' triggers). */
  watch?: ScoreWatch;
}

/** Encodes feature records with a model's columns, adding the `btyd*` values when the model was trained with them. */
function encodeFor(
  values: readonly Record<string, unknown>[],
  columns: ColumnSpec[],
  btyd: BtydParams | null | undefined,
): Float32Array {
  return encodeRows(btyd ? values.map((v) => ({ ...v, ...btydValues(btyd, btydSummary(v)) })) : values, columns);
}

/** BG/NBD's expected next order: the wait counts from the features' as-of date, when the history was summarised. */
export function expectedNextOrderOf(btyd: BtydParams, values: Record<string, unknown>, asOf: Date): Date | null {
  const wait = btydValues(btyd, btydSummary(values)).btydDaysToNextOrder;
  return Number.isFinite(wait) ? new Date(asOf.getTime() + wait * DAY) : null;
}

/**
 * Scores one batch of customers with every loaded model and returns their score documents. Each
 * model sees the features encoded exactly as its training rows were (its stored columns, its
 * standardisation, its BG/NBD parameters).
 */
export function scoreBatch(
  models: ScoringModels,
  docs: readonly FeatureDoc[],
  opts: ScoreOptions,
  scoredAt = new Date(),
): ScoreDoc[] {
  const values = docs.map((d) => d.values ?? {});
  const n = docs.length;
  const modelVersions: Record<string, string> = {};
  const out: ScoreDoc[] = docs.map((d, i) => ({
    _id: d._id,
    partition: d.partition,
    cohort: cohortOf(values[i]!),
    drivers: {},
    modelVersions,
    featuresAsOf: d.asOf,
    asOf: opts.asOf ?? scoredAt,
    scoredAt,
  }));
  const rowsOf = (cohort: Cohort) => out.flatMap((s, i) => (s.cohort === cohort ? [i] : []));
  const buyers = rowsOf('buyer');
  const prospects = rowsOf('prospect');
  const valuesOf = (rows: readonly number[]) => rows.map((i) => values[i]!);
  if (models.churn && buyers.length > 0) {
    const { model, meta, version } = models.churn;
    modelVersions.churn = version;
    const scores = scoreChurn(model, meta, encodeFor(valuesOf(buyers), meta.columns, meta.btyd), {
      drivers: opts.drivers,
      batchSize: opts.batchSize,
    });
    buyers.forEach((row, i) => {
      out[row]!.churnRisk = scores.probabilities[i]!;
      if (scores.drivers) out[row]!.drivers.churn = scores.drivers[i]!;
    });
  }
  if (models.firstPurchase && prospects.length > 0) {
    const { model, meta, version } = models.firstPurchase;
    modelVersions['first-purchase'] = version;
    // The same network and calibration as churn's: its output is P(first order within the horizon).
    const scores = scoreChurn(model, meta, encodeRows(valuesOf(prospects), meta.columns), {
      drivers: opts.drivers,
      batchSize: opts.batchSize,
    });
    prospects.forEach((row, i) => {
      out[row]!.firstPurchaseProbability = scores.probabilities[i]!;
      if (scores.drivers) out[row]!.drivers.firstPurchase = scores.drivers[i]!;
    });
  }
  if (models.ltv) {
    const { model, meta, version } = models.ltv;
    modelVersions.ltv = version;
    const X = encodeFor(values, meta.columns, meta.btyd);
    const predicted = scoreLtv(model, meta, { X, rows: n }, opts.batchSize);
    const explainer = opts.drivers > 0 ? new DriverExplainer(model, meta, logExpectedValue) : undefined;
    for (let start = 0; start < n; start += opts.batchSize) {
      const size = Math.min(opts.batchSize, n - start);
      const drivers = explainer?.topDrivers(X, start, size, opts.drivers);
      for (let i = 0; i < size; i++) {
        const s = out[start + i]!;
        s.predictedLtv = predicted.expectedValue[start + i]!;
        s.purchaseProbability = predicted.pPurchase[start + i]!;
        if (drivers) s.drivers.ltv = drivers[i]!;
      }
    }
  }
  out.forEach((s, i) => {
    if (s.cohort === 'buyer') s.lastOrderAt = lastOrderAtOf(values[i]!, docs[i]!.asOf);
  });
  const btyd = btydParamsOf(models);
  if (btyd) {
    out.forEach((s, i) => {
      if (s.cohort !== 'buyer') return;
      s.expectedNextOrderAt = expectedNextOrderOf(btyd, values[i]!, docs[i]!.asOf);
    });
  }
  if (models.sendTime) {
    const { model, version } = models.sendTime;
    modelVersions['send-time'] = version;
    const histograms = values.map((v) =>
      openHourNames.map((h) => (typeof v[h] === 'number' && (v[h] as number) >= 0 ? (v[h] as number) : 0)),
    );
    const network = model.meta.network;
    const features = network && network.featureDim > 0 ? encodeRows(values, model.meta.columns) : undefined;
    const predictions = predictSendTimeBatch(model, { histograms, ...(features ? { features } : {}) }, opts.batchSize);
    out.forEach((s, i) => {
      s.bestSendHour = predictions[i]!.bestHour;
      s.sendHourConfidence = predictions[i]!.confidence;
    });
  }
  return out;
}

const SCORE_FIELDS = [
  'churnRisk',
  'firstPurchaseProbability',
  'predictedLtv',
  'purchaseProbability',
  'bestSendHour',
  'sendHourConfidence',
] as const;

/**
 * Removes scores that are not finite numbers and returns how many: MongoDB would store them as
 * values no reader can rank, FerretDB refuses the whole write (and the run with it).
 */
function dropNonFinite(docs: ScoreDoc[]): number {
  let dropped = 0;
  for (const doc of docs) {
    for (const field of SCORE_FIELDS) {
      const v = doc[field];
      if (v !== undefined && !Number.isFinite(v)) {
        delete doc[field];
        dropped++;
      }
    }
  }
  return dropped;
}

/** The claimed partitions' current scores, as far as prediction events compare them (one pass, like the features). */
export async function previousScores(
  database: Database,
  claimed: readonly number[],
  partitions: number,
): Promise<Map<string, PreviousScore>> {
  const filter = claimed.length === partitions ? {} : { partition: { $in: [...claimed] } };
  const out = new Map<string, PreviousScore>();
  for await (const s of database.collections.scores.find(filter, {
    projection: { churnRisk: 1, ltvTier: 1, lastOrderAt: 1 },
    batchSize: 5000,
  }))
    out.set(s._id, s);
  return out;
}

/**
 * Writes one run's scores: ranks them into LTV tiers, records what changed since `previous` as
 * prediction events — before the scores, so a run killed in between finds the same changes again
 * — then replaces the documents a few thousand at a time (on FerretDB each replaceById chunk
 * scans the table once per statement, so 16 writes of 40 documents cost 16 scans where one
 * would do). `values` are the features each document was scored from.
 */
export async function writeScores(
  database: Database,
  run: {
    previous: ReadonlyMap<string, PreviousScore>;
    scored: ScoreDoc[];
    values: readonly Record<string, unknown>[];
    watch: ScoreWatch;
    scoredAt: Date;
  },
): Promise<{ predictionEvents: number; written: number }> {
  assignLtvTiers(run.scored);
  const events = predictionEvents(run.previous, run.scored, run.values, run.watch, run.scoredAt);
  const predictionEventsStored = events.length ? (await recordEvents(database, events)).stored : 0;
  let written = 0;
  for (let i = 0; i < run.scored.length; i += WRITE_BATCH)
    written += await database.replaceById(database.collections.scores, run.scored.slice(i, i + WRITE_BATCH));
  return { predictionEvents: predictionEventsStored, written };
}

/**
 * The score-customers stage: loads the active models once, then per partition this worker
 * claims, scores every customer with features, writes what changed since the previous scores as
 * prediction events (predictionEvents.ts; before the scores, so a run killed in between finds the
 * same changes again), and replaces the `scores` documents in bulk, a few thousand at a time (the
 * previous scores stay readable until then). Features and previous scores are each read in one
 * pass over their collection, as build-features reads events: on FerretDB a filter on
 * `partition` is a full scan anyway.
 */
export async function scoreCustomers(ctx: JobContext, opts: ScoreOptions): Promise<Counts> {
  const { database, log } = ctx;
  const models = await loadScoringModels(database);
  for (const note of models.notes) {
    log.warn({ job: SCORE_CUSTOMERS_JOB }, note);
    ctx.note?.(note);
  }
  const counts: Counts = {
    partitions: 0,
    customers: 0,
    written: 0,
    modelsLoaded: [models.churn, models.firstPurchase, models.ltv, models.sendTime].filter(Boolean).length,
    modelsMissing: models.missing.length,
    modelsFallback: models.fallback.length,
  };
  for (const name of models.missing) counts[`missing_${name}`] = 1;
  for (const name of models.fallback) counts[`fallback_${name}`] = 1;
  try {
    if (counts.modelsLoaded === 0) return counts;
    const claimed: number[] = [];
    await forEachPartition(
      { ...ctx, progress: () => undefined },
      SCORE_CUSTOMERS_JOB,
      async (p) => void claimed.push(p),
    );
    if (claimed.length === 0) return counts;
    // Reading is most of a run on FerretDB: report it, so the run's lock is seen to be alive.
    const features = await featuresToScore(database, claimed, config().PARTITIONS, opts.asOf, () =>
      ctx.progress(0, claimed.length),
    );
    if (!features) {
      const day = opts.asOf!.toISOString();
      throw new Error(
        `no features as of ${day}: run \`breadcrumb job run build-features --as-of ${day} --snapshot\` (or \`--full\`) first`,
      );
    }
    if (opts.asOf)
      ctx.note?.(
        `scored as of ${opts.asOf.toISOString()} from ${features.source === 'snapshots' ? 'feature_snapshots' : 'features'} computed as of it`,
      );
    const { byPartition } = features;
    const previous = await previousScores(database, claimed, config().PARTITIONS);
    const scoredAt = new Date();
    // Tiers rank the whole run, so every partition is scored before anything is written.
    const scored: ScoreDoc[] = [];
    const scoredValues: Record<string, unknown>[] = [];
    for (const [partition, docs] of byPartition) {
      if (ctx.signal.aborted) return counts;
      const batch = scoreBatch(models, docs, opts, scoredAt);
      counts.nonFinite = (counts.nonFinite ?? 0) + dropNonFinite(batch);
      scored.push(...batch);
      for (const d of docs) scoredValues.push(d.values ?? {});
      counts.customers! += docs.length;
      counts.partitions!++;
      ctx.progress(counts.partitions!, claimed.length);
      log.debug({ partition, customers: docs.length }, 'partition scored');
    }
    Object.assign(
      counts,
      await writeScores(database, {
        previous,
        scored,
        values: scoredValues,
        watch: opts.watch ?? { churnThresholds: [] },
        scoredAt,
      }),
    );
    if (counts.nonFinite)
      ctx.note?.(
        `${counts.nonFinite} scores were not finite (an overflowing model) and were left out of their documents`,
      );
    return counts;
  } finally {
    disposeScoringModels(models);
  }
}
