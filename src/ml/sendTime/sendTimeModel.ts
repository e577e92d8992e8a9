import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { initBackend } from '../backend.js';
import { fileHandler, readMeta, writeMeta, type ReadMetaResult } from '../fileIO.js';
import { fitStandardizer, standardize } from '../standardize.js';
import { mulberry32, trainWithEarlyStopping, type OnEpoch, type TrainLoopOptions } from '../trainLoop.js';
import { evaluateSendTime } from './evaluateSendTime.js';
import { bestWindowHour, checkHistogram, checkHour, circularKernel, HOURS } from './hours.js';
import { createSendTimeNetwork, DEFAULT_NETWORK_HIDDEN, hourCrossEntropy } from './network.js';
import { evidence, fitPreferredHour, openLikelihood, predictive, segmentPis } from './preferredHour.js';
import { chooseShrinkage, openHourPrior, segmentPriors, shrinkHistogram, total } from './shrinkage.js';

/**
 * Best send time: a probability for each local hour per customer, from the customer's open-hour
 * histogram shrunk toward their segment's (or the shop's) pattern — by a Dirichlet prior or a
 * latent preferred hour, whichever predicts held-out next opens better — optionally refined by a
 * network on customer features. The best hour is the one whose ±radius window holds the most
 * probability, and the confidence is that mass: P(the next open lands within ±radius of it).
 */

const hourVector = z.array(z.number()).length(HOURS);
const fitQuality = z.object({ logLoss: z.number(), hit1h: z.number(), hit2h: z.number() });

/** The two ways of shrinking a customer's opens toward a shared pattern (see shrinkage.ts, preferredHour.ts). */
const baseSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('dirichlet'),
    /** Shop-wide distribution of open hours. */
    prior: hourVector,
    segmentPriors: z.record(z.string(), hourVector).optional(),
    k: z.number().positive(),
    bandwidth: z.number().min(0),
  }),
  z.object({
    method: z.literal('preferredHour'),
    /** Shop-wide distribution of customers' preferred hours (π). */
    prior: hourVector,
    segmentPriors: z.record(z.string(), hourVector).optional(),
    sigma: z.number().positive(),
    epsilon: z.number().min(0).max(1),
  }),
]);
export type SendTimeBase = z.infer<typeof baseSchema>;
export type ShrinkageMethod = SendTimeBase['method'];

export const sendTimeMetaSchema = z.object({
  kind: z.literal('sendTime'),
  base: baseSchema,
  radius: z.number().int().min(0),
  network: z
    .object({
      featureDim: z.number().int().min(0),
      featureNames: z.array(z.string()).optional(),
      hidden: z.array(z.number().int().positive()),
      /** Standardisation of [log1p(opens), ...features]. */
      means: z.array(z.number()),
      stds: z.array(z.number()),
      epochs: z.number().int(),
      bestEpoch: z.number().int(),
    })
    .optional(),
  /** Held-out customers' next opens under each candidate, which is how the model was chosen. */
  validation: z.object({
    customers: z.number().int(),
    dirichlet: fitQuality.optional(),
    preferredHour: fitQuality.optional(),
    network: fitQuality.extend({ kept: z.boolean() }).optional(),
  }),
});
export type SendTimeMeta = z.infer<typeof sendTimeMetaSchema>;
export type SendTimeModel = { meta: SendTimeMeta; network?: tf.LayersModel };

export type SendTimeTrainingData = {
  /** Past opens per local hour, 24 counts per customer (the `openHour_00…23` features). */
  histograms: readonly (readonly number[])[];
  features?: readonly (readonly number[])[];
  /** Optional segment per customer; each segment's pattern becomes that customer's prior. */
  segments?: readonly string[];
  /** The local hour (0–23) of the customer's next open after the histogram's as-of date. */
  nextOpenHour: readonly number[];
};

export type FitSendTimeOptions = TrainLoopOptions & {
  /** Train the network on top of the shrunk histograms; default: when features are given. */
  network?: boolean;
  hidden?: number[];
  featureNames?: string[];
  /** How opens are shrunk toward the shared pattern; 'auto' (default) keeps whichever predicts held-out next opens better. */
  method?: ShrinkageMethod | 'auto';
  /** Share of customers held out for choosing the method and for early stopping (default 0.2). */
  validationShare?: number;
  /** Hit tolerance the best hour is chosen for (default 1: ±1h). */
  radius?: number;
  kGrid?: readonly number[];
  bandwidthGrid?: readonly number[];
  sigmaGrid?: readonly number[];
  epsilonGrid?: readonly number[];
  /** Weight, in customers, of the shop-wide pattern in each segment's pattern (default 20). */
  segmentStrength?: number;
  /** The shared pattern and its few parameters are fitted on at most this many customers (default 50,000). */
  maxBaseRows?: number;
  /** Validation log-loss gain (nats) the network must bring to be kept (default 0.002). */
  networkMinGain?: number;
};

export type SendTimePrediction = {
  probs: number[];
  bestHour: number;
  /** Probability that the next open falls within ±radius hours of bestHour. */
  confidence: number;
  /** The largest single-hour probability. */
  maxProb: number;
};

export async function fitSendTime(train: SendTimeTrainingData, options: FitSendTimeOptions = {}, onEpoch?: OnEpoch): Promise<SendTimeModel> {
  const { histograms, features, segments, nextOpenHour } = train;
  const n = histograms.length;
  if (nextOpenHour.length !== n || (features && features.length !== n) || (segments && segments.length !== n)) throw new Error('send-time training inputs differ in length');
  if (n < 2) throw new Error('fitSendTime needs at least two customers');
  histograms.forEach((h, i) => checkHistogram(h, i));
  nextOpenHour.forEach((h, i) => checkHour(h, i));
  const radius = options.radius ?? 1;

  const { fit, validation } = splitRows(n, options.validationShare ?? 0.2, options.seed ?? 1);
  const pick = <T>(rows: readonly T[], index: number[]) => index.map((i) => rows[i]!);
  // A few parameters and a 24-hour pattern need tens of thousands of customers, not millions.
  const baseRows = thin(fit, options.maxBaseRows ?? 50_000);
  const fitData = { histograms: pick(histograms, baseRows), nextOpenHour: pick(nextOpenHour, baseRows), segments: segments && pick(segments, baseRows) };
  const method = options.method ?? 'auto';
  const candidates: { base: SendTimeBase; fitLogLik: number }[] = [];
  if (method !== 'preferredHour') candidates.push(fitDirichlet(fitData, options));
  if (method !== 'dirichlet') candidates.push(fitLatentHour(fitData, options));

  // Held-out customers' next opens pick the method; without any, the fit's own next-open likelihood does.
  const held = { histograms: pick(histograms, validation), segments: segments && pick(segments, validation), hours: pick(nextOpenHour, validation) };
  const validationQuality = validation.length === 0 ? [] : candidates.map(({ base }) => scoreRows(shrinkAll(base, held.histograms, held.segments), held.hours, radius));
  const chosen = validation.length === 0 ? argBest(candidates, (c) => c.fitLogLik) : argBest(candidates, (_, i) => -validationQuality[i]!.logLoss);
  const meta: SendTimeMeta = { kind: 'sendTime', base: candidates[chosen]!.base, radius, validation: { customers: validation.length } };
  candidates.forEach(({ base }, i) => {
    if (validationQuality[i]) meta.validation[base.method] = validationQuality[i];
  });

  if (!(options.network ?? features !== undefined)) return { meta };
  const baseline = validationQuality[chosen];
  if (!baseline) throw new Error('training the send-time network needs validation rows: set validationShare > 0');
  const shrunk = shrinkAll(meta.base, histograms, segments);
  await initBackend();
  const extras = extraInputs(histograms, features);
  const standardizer = fitStandardizer(pick(extras, fit));
  const hidden = options.hidden ?? DEFAULT_NETWORK_HIDDEN;
  const network = createSendTimeNetwork(standardizer.means.length, { hidden, seed: options.seed ?? 1 });
  const tensorsFor = (rows: number[]) =>
    tf.tidy(() => ({
      x: [logProbTensor(pick(shrunk, rows)), tf.tensor2d(standardize(pick(extras, rows), standardizer), [rows.length, standardizer.means.length])],
      y: tf.tensor1d(rows.map((i) => nextOpenHour[i]!), 'int32'),
    }));
  const fitTensors = tensorsFor(fit);
  const validationTensors = tensorsFor(validation);
  try {
    const training = await trainWithEarlyStopping(network, hourCrossEntropy, fitTensors, validationTensors, options, onEpoch);
    meta.network = {
      featureDim: features?.[0]?.length ?? 0,
      ...(options.featureNames ? { featureNames: options.featureNames } : {}),
      hidden,
      ...standardizer,
      epochs: training.epochs,
      bestEpoch: training.bestEpoch,
    };
    const refined = predictProbs({ meta, network }, pick(shrunk, validation), pick(extras, validation));
    const scored = scoreRows(refined, held.hours, radius);
    // The network must earn its place on held-out customers; otherwise the shrinkage alone is the model.
    const kept = scored.logLoss <= baseline.logLoss - (options.networkMinGain ?? 0.002);
    meta.validation.network = { ...scored, kept };
    if (kept) return { meta, network };
    delete meta.network;
    network.dispose();
    return { meta };
  } catch (err) {
    network.dispose();
    throw err;
  } finally {
    tf.dispose([fitTensors, validationTensors]);
  }
}

/** One customer; use `predictSendTimeBatch` for many (the network runs once per batch). */
export function predictSendTime(model: SendTimeModel, histogram: readonly number[], features?: readonly number[], segment?: string): SendTimePrediction {
  return predictSendTimeBatch(model, { histograms: [histogram], features: features && [features], segments: segment === undefined ? undefined : [segment] })[0]!;
}

export function predictSendTimeBatch(
  model: SendTimeModel,
  input: { histograms: readonly (readonly number[])[]; features?: readonly (readonly number[])[]; segments?: readonly string[] },
  batchSize = 16_384,
): SendTimePrediction[] {
  const { histograms, features, segments } = input;
  histograms.forEach((h, i) => checkHistogram(h, i));
  const shrunk = shrinkAll(model.meta.base, histograms, segments);
  const probs = model.network ? predictProbs(model, shrunk, extraInputs(histograms, features, model.meta.network?.featureDim), batchSize) : shrunk;
  return probs.map((p) => {
    const { hour, mass } = bestWindowHour(p, model.meta.radius);
    return { probs: p, bestHour: hour, confidence: mass, maxProb: Math.max(...p) };
  });
}

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

type FitData = { histograms: number[][] | readonly (readonly number[])[]; nextOpenHour: readonly number[]; segments?: readonly string[] };

type Candidate = { base: SendTimeBase; fitLogLik: number };

function fitDirichlet(data: FitData, options: FitSendTimeOptions): Candidate {
  const prior = openHourPrior(data.histograms);
  const segmentPrior = data.segments ? segmentPriors(data.histograms, data.segments, prior, options.segmentStrength) : undefined;
  const priors = data.histograms.map((_, i) => (data.segments && segmentPrior?.[data.segments[i]!]) || prior);
  const { k, bandwidth, logLik } = chooseShrinkage(data.histograms, data.nextOpenHour, priors, { k: options.kGrid, bandwidth: options.bandwidthGrid });
  return { base: { method: 'dirichlet', prior, ...(segmentPrior ? { segmentPriors: segmentPrior } : {}), k, bandwidth }, fitLogLik: logLik };
}

/** σ, ε and π are chosen shop-wide; segments then only get their own π. */
function fitLatentHour(data: FitData, options: FitSendTimeOptions): Candidate {
  const { pi, sigma, epsilon, logLik } = fitPreferredHour(data.histograms, data.nextOpenHour, { sigma: options.sigmaGrid, epsilon: options.epsilonGrid });
  const segmentPrior = data.segments ? segmentPis(data.histograms, data.segments, { pi, sigma, epsilon }, options.segmentStrength) : undefined;
  return { base: { method: 'preferredHour', prior: pi, ...(segmentPrior ? { segmentPriors: segmentPrior } : {}), sigma, epsilon }, fitLogLik: logLik };
}

/** Index of the item with the highest score; the first on ties. */
function argBest<T>(items: readonly T[], score: (item: T, i: number) => number): number {
  let best = 0;
  items.forEach((item, i) => {
    if (score(item, i) > score(items[best]!, best)) best = i;
  });
  return best;
}

/** Each customer's next-open distribution before any network: their opens shrunk toward their segment's (or the shop's) pattern. */
function shrinkAll(base: SendTimeBase, histograms: readonly (readonly number[])[], segments?: readonly string[]): number[][] {
  const priorOf = (i: number) => (segments && base.segmentPriors?.[segments[i]!]) || base.prior;
  if (base.method === 'dirichlet') {
    const kernel = circularKernel(base.bandwidth);
    return histograms.map((histogram, i) => shrinkHistogram(histogram, priorOf(i), base, kernel));
  }
  const likelihood = openLikelihood(base.sigma, base.epsilon);
  const ev = evidence(histograms, likelihood);
  return histograms.map((_, i) => predictive(ev, i * HOURS, priorOf(i), likelihood));
}

/** The network's extra inputs: how much evidence the histogram holds, then the customer's features. */
function extraInputs(histograms: readonly (readonly number[])[], features?: readonly (readonly number[])[], featureDim?: number): number[][] {
  if (featureDim !== undefined && featureDim > 0 && !features) throw new Error(`this send-time model needs ${featureDim} features per customer`);
  return histograms.map((histogram, i) => {
    const row = features?.[i] ?? [];
    if (featureDim !== undefined && row.length !== featureDim) throw new Error(`customer ${i} has ${row.length} features, the model expects ${featureDim}`);
    return [Math.log1p(total(histogram)), ...row];
  });
}

/** Network probabilities for rows of shrunk distributions and raw extras, batched under tf.tidy. */
function predictProbs(model: SendTimeModel, shrunk: number[][], extras: number[][], batchSize = 16_384): number[][] {
  const spec = model.meta.network!;
  const out: number[][] = [];
  for (let start = 0; start < shrunk.length; start += batchSize) {
    const rows = shrunk.slice(start, start + batchSize);
    const x = standardize(extras.slice(start, start + batchSize), spec);
    const probs = tf.tidy(() => {
      // predict() would split the batch again into its default batches of 32 rows.
      const logits = model.network!.predict([logProbTensor(rows), tf.tensor2d(x, [rows.length, spec.means.length])], { batchSize: rows.length }) as tf.Tensor;
      return tf.softmax(logits).dataSync();
    });
    for (let r = 0; r < rows.length; r++) out.push(Array.from(probs.subarray(r * HOURS, (r + 1) * HOURS)));
  }
  return out;
}

function logProbTensor(rows: number[][]): tf.Tensor2D {
  const flat = new Float32Array(rows.length * HOURS);
  rows.forEach((p, r) => p.forEach((v, h) => (flat[r * HOURS + h] = Math.log(v))));
  return tf.tensor2d(flat, [rows.length, HOURS]);
}

function scoreRows(probs: number[][], actual: number[], radius: number): { logLoss: number; hit1h: number; hit2h: number } {
  const best = probs.map((p) => bestWindowHour(p, radius).hour);
  const { logLoss, hit1h, hit2h } = evaluateSendTime(best, actual, probs);
  return { logLoss, hit1h, hit2h };
}

/** At most `max` of `rows`, evenly spaced (rows are already in random order of assignment). */
function thin(rows: number[], max: number): number[] {
  if (rows.length <= max) return rows;
  const step = rows.length / max;
  return Array.from({ length: max }, (_, i) => rows[Math.floor(i * step)]!);
}

/** A seeded split of row indices into fitting and validation sets, each in ascending order. */
function splitRows(n: number, validationShare: number, seed: number): { fit: number[]; validation: number[] } {
  const random = mulberry32(seed ^ 0x5eed);
  const fit: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (random() < validationShare ? validation : fit).push(i);
  return { fit, validation };
}
