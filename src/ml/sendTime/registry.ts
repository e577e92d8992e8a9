import * as tf from '@tensorflow/tfjs';
import type { Database } from '../../db/database.js';
import { openHourNames } from '../../features/email.js';
import { initBackend } from '../backend.js';
import { fileHandler, readMeta, writeMeta, type ReadMetaResult } from '../fileIO.js';
import {
  loadVersionFiles,
  registerModel,
  type ModelVersionRecord,
  type PromotionDecision,
  type RegistryOptions,
  type RegistryResult,
} from '../registry.js';
import { COHORTS } from '../naiveBaselines.js';
import { DEFAULT_RAW } from '../trainingSet.js';
import type { Trainer } from '../trainJob.js';
import { openHistograms } from './baselines.js';
import { sendTimeMetaSchema, sendTimeRegistryMetaSchema, type SendTimeRegistryMeta } from './meta.js';
import type { SendTimeModel } from './model.js';
import { predictSendTimeBatch } from './score.js';
import { featureRows, labelled, trainSendTimeVersion, type TrainedSendTimeVersion } from './train.js';

export const SEND_TIME_MODEL = 'send-time';

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

export function registerSendTimeModel(
  database: Database,
  model: TrainedSendTimeVersion['model'],
  opts?: RegistryOptions,
): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  const { meta } = model;
  return registerModel(
    database,
    {
      name: SEND_TIME_MODEL,
      ...(model.network ? { model: model.network as tf.LayersModel } : {}),
      meta,
      asOf: new Date(meta.asOf),
      horizonDays: meta.horizonDays,
      featureSchema: meta.network?.featureNames ?? [],
      metrics: sendTimeRegistryMetrics(meta),
    },
    opts,
  );
}

/** A registered send-time version (the network only when it was kept), refused as data when a file is missing or corrupt. */
export async function loadSendTimeVersion(
  record: ModelVersionRecord,
): Promise<RegistryResult<TrainedSendTimeVersion['model']>> {
  const loaded = await loadVersionFiles(record, sendTimeRegistryMetaSchema);
  if (!loaded.ok) return loaded;
  const { meta, model } = loaded.value;
  if (meta.network && !model)
    return {
      ok: false,
      error: {
        type: 'corrupt',
        message: `${record.name} ${record.version}: meta.json names a network but there are no weights`,
      },
    };
  return { ok: true, value: { meta, ...(model ? { network: model } : {}) } };
}

/** train-send-time's part: promotion by the ±1h hit rate of the test customers' next open. */
export const sendTimeTrainer: Trainer<TrainedSendTimeVersion> = {
  model: SEND_TIME_MODEL,
  setOptions: {
    population: 'all',
    keepRaw: [...DEFAULT_RAW, ...openHourNames],
  },
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
      const predicted = predictSendTimeBatch(model, {
        histograms: openHistograms(rows),
        features: featureRows(rows, set.featureNames.length),
      });
      return { rows, predicted: predicted.map((p) => p.bestHour) };
    },
  },
};

export async function saveSendTimeModel(dir: string, model: SendTimeModel): Promise<void> {
  if (model.network) await model.network.save(fileHandler(dir));
  await writeMeta(dir, model.meta);
}

export async function loadSendTimeModel(dir: string): Promise<ReadMetaResult<SendTimeModel>> {
  const meta = await readMeta(dir, sendTimeMetaSchema);
  if (!meta.ok) return meta;
  if (!meta.value.network) return { ok: true, value: { meta: meta.value } };
  await initBackend();
  return { ok: true, value: { meta: meta.value, network: await tf.loadLayersModel(fileHandler(dir)) } };
}
