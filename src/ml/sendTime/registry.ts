import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { openHourNames } from '../../features/email.js';
import { backendName } from '../backend.js';
import { columnSpecSchema } from '../metaSchemas.js';
import { loadVersionFiles, registerModel, type ModelVersionRecord, type PromotionDecision, type RegistryOptions, type RegistryResult } from '../registry.js';
import { COHORTS } from '../naiveBaselines.js';
import type { Trainer } from '../trainJob.js';
import { selectRows, SPLITS, type Split, type TrainingRows, type TrainingSet } from '../trainingSet.js';
import { mostFrequentPastHour, openHistograms, shopWideBestHour } from './baselines.js';
import { evaluateSendTime } from './evaluateSendTime.js';
import { openHourPrior } from './shrinkage.js';
import { fitSendTime, predictSendTimeBatch, sendTimeMetaSchema, type SendTimeModel } from './sendTimeModel.js';

export const SEND_TIME_MODEL = 'send-time';

const metric = z.number().nullable();
const hitRates = z.object({ hit1h: metric, hit2h: metric });

/** The send-time model's meta.json plus what the registry, the API and scoring need. */
export const sendTimeRegistryMetaSchema = sendTimeMetaSchema.extend({
  featureVersion: z.number(),
  asOf: z.string(),
  horizonDays: z.number(),
  /** How the network's feature inputs are encoded (when it has them). */
  columns: z.array(columnSpecSchema),
  metrics: hitRates.extend({
    logLoss: metric,
    /** Test customers with an open in the horizon (the label). */
    customers: z.number(),
    baselines: z.object({ shopWideHour: hitRates.extend({ hour: z.number() }), mostFrequentPastHour: hitRates }),
  }),
  training: z.object({ durationMs: z.number(), customers: z.number(), seed: z.number() }),
  backend: z.string(),
  trainedAt: z.string(),
});
export type SendTimeRegistryMeta = z.infer<typeof sendTimeRegistryMetaSchema>;
export type TrainedSendTimeVersion = { model: SendTimeModel & { meta: SendTimeRegistryMeta } };

function featureRows(rows: TrainingRows, d: number): number[][] {
  return Array.from({ length: rows.rows }, (_, i) => Array.from(rows.X.subarray(i * d, (i + 1) * d)));
}

/** Rows of a split whose customer opened an email in the horizon. */
function labelled(set: TrainingSet, split: Split): TrainingRows {
  const code = SPLITS.indexOf(split);
  const index: number[] = [];
  for (let i = 0; i < set.rows; i++) if (set.split[i] === code && set.nextOpenHour[i]! >= 0) index.push(i);
  return selectRows(set, index);
}

/**
 * Fits the send-time model on the train and validation customers with an open in (T, T + H]
 * (their first open's local hour is the label) and measures it on the test customers against
 * the two baselines: one best hour for everyone, and each customer's most frequent past hour.
 */
export async function trainSendTimeVersion(
  set: TrainingSet,
  opts: { epochs: number; seed: number },
  onEpoch: (epoch: number, maxEpochs: number) => void,
): Promise<{ ok: true; value: TrainedSendTimeVersion } | { ok: false; error: { type: 'insufficient_data'; message: string } }> {
  const fitRows = [labelled(set, 'train'), labelled(set, 'validation')];
  const test = labelled(set, 'test');
  const fitCount = fitRows[0]!.rows + fitRows[1]!.rows;
  if (fitCount < 10 || test.rows === 0) return { ok: false, error: { type: 'insufficient_data', message: `${fitCount} training and ${test.rows} test customers opened an email in the horizon: too few` } };
  const d = set.featureNames.length;
  const started = performance.now();
  const histograms = fitRows.flatMap(openHistograms);
  const model = await fitSendTime(
    { histograms, features: fitRows.flatMap((r) => featureRows(r, d)), nextOpenHour: fitRows.flatMap((r) => Array.from(r.nextOpenHour)) },
    { epochs: opts.epochs, seed: opts.seed, featureNames: set.featureNames },
    (log) => onEpoch(log.epoch, opts.epochs),
  );
  const testHistograms = openHistograms(test);
  const predictions = predictSendTimeBatch(model, { histograms: testHistograms, features: featureRows(test, d) });
  const actual = Array.from(test.nextOpenHour);
  const scored = evaluateSendTime(predictions.map((p) => p.bestHour), actual, predictions.map((p) => p.probs));
  const shopHour = shopWideBestHour(histograms, model.meta.radius);
  const shopWide = evaluateSendTime(actual.map(() => shopHour), actual);
  const prior = openHourPrior(histograms);
  const mostFrequent = evaluateSendTime(testHistograms.map((h) => mostFrequentPastHour(h, prior, shopHour)), actual);
  const meta: SendTimeRegistryMeta = {
    ...model.meta,
    featureVersion: set.featureVersion,
    asOf: set.asOf.toISOString(),
    horizonDays: set.horizonDays,
    columns: set.columns,
    metrics: {
      hit1h: scored.hit1h,
      hit2h: scored.hit2h,
      logLoss: Number.isFinite(scored.logLoss) ? scored.logLoss : null,
      customers: test.rows,
      baselines: { shopWideHour: { hour: shopHour, hit1h: shopWide.hit1h, hit2h: shopWide.hit2h }, mostFrequentPastHour: { hit1h: mostFrequent.hit1h, hit2h: mostFrequent.hit2h } },
    },
    training: { durationMs: Math.round(performance.now() - started), customers: fitCount, seed: opts.seed },
    backend: backendName(),
    trainedAt: new Date().toISOString(),
  };
  return { ok: true, value: { model: { meta, ...(model.network ? { network: model.network } : {}) } } };
}

export function sendTimeRegistryMetrics(meta: SendTimeRegistryMeta): Record<string, number | null> {
  const m = meta.metrics;
  return {
    hit1h: m.hit1h,
    hit2h: m.hit2h,
    logLoss: m.logLoss,
    baselineShopWideHit1h: m.baselines.shopWideHour.hit1h,
    baselineMostFrequentHit1h: m.baselines.mostFrequentPastHour.hit1h,
    testCustomers: m.customers,
    network: meta.network ? 1 : 0,
  };
}

export function registerSendTimeModel(database: Database, model: TrainedSendTimeVersion['model'], opts?: RegistryOptions): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  const { meta } = model;
  return registerModel(
    database,
    { name: SEND_TIME_MODEL, ...(model.network ? { model: model.network as tf.LayersModel } : {}), meta, asOf: new Date(meta.asOf), horizonDays: meta.horizonDays, featureSchema: meta.network?.featureNames ?? [], metrics: sendTimeRegistryMetrics(meta) },
    opts,
  );
}

/** A registered send-time version (the network only when it was kept), refused as data when a file is missing or corrupt. */
export async function loadSendTimeVersion(record: ModelVersionRecord): Promise<RegistryResult<TrainedSendTimeVersion['model']>> {
  const loaded = await loadVersionFiles(record, sendTimeRegistryMetaSchema);
  if (!loaded.ok) return loaded;
  const { meta, model } = loaded.value;
  if (meta.network && !model) return { ok: false, error: { type: 'corrupt', message: `${record.name} ${record.version}: meta.json names a network but there are no weights` } };
  return { ok: true, value: { meta, ...(model ? { network: model } : {}) } };
}

/** train-send-time's part: promotion by the ±1h hit rate of the test customers' next open. */
export const sendTimeTrainer: Trainer<TrainedSendTimeVersion> = {
  model: SEND_TIME_MODEL,
  setOptions: { population: 'all', keepRaw: ['recencyDays', 'bgnbdX', 'bgnbdTx', 'bgnbdT', 'bgnbdMonetary', 'orders', 'monetaryNet', 'monetaryMean', ...openHourNames] },
  train: trainSendTimeVersion,
  metrics: ({ model }) => sendTimeRegistryMetrics(model.meta),
  register: (database, { model }, opts) => registerSendTimeModel(database, model, opts),
  dispose: ({ model }) => model.network?.dispose(),
  // The validation customers are part of the fit here (no early stopping needs them held out),
  // so the gate judges the test customers, the ones the model has not seen.
  naive: {
    task: 'send-time',
    cohorts: COHORTS,
    heldOut({ model }, set) {
      const rows = labelled(set, 'test');
      const predicted = predictSendTimeBatch(model, { histograms: openHistograms(rows), features: featureRows(rows, set.featureNames.length) });
      return { rows, predicted: predicted.map((p) => p.bestHour) };
    },
  },
};
