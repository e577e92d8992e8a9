import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { initBackend } from '../backend.js';
import { readTensor } from '../tensors.js';
import { fileHandler, readMeta, writeMeta, type ReadMetaResult } from '../fileIO.js';
import { mlpMetaShape } from '../mlp.js';
import { fitStandardizer, standardize, type Standardizer } from '../standardize.js';
import { mulberry32, trainWithEarlyStopping, type OnEpoch, type TrainLoopOptions } from '../trainLoop.js';
import { evaluateSendTime } from './evaluateSendTime.js';
import { bestWindowHour, checkHistogram, checkHour, circularKernel, HOURS } from './hours.js';
import { createSendTimeNetwork, DEFAULT_NETWORK_HIDDEN, hourCrossEntropy } from './network.js';
import { evidence, fitPreferredHour, openLikelihood, predictiveInto, segmentPis } from './preferredHour.js';
import { chooseShrinkage, openHourPrior, segmentPriors, total } from './shrinkage.js';

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
      /** means/stds standardise [log1p(opens), ...features]. */
      ...mlpMetaShape,
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
  /** A view into one array shared by the batch's predictions. */
  probs: Float64Array;
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
  const shrunk = shrinkFlat(meta.base, histograms, segments);
  await initBackend();
  const extras = extraInputs(histograms, features);
  const standardizer = fitStandardizer(pick(extras, fit));
  const hidden = options.hidden ?? DEFAULT_NETWORK_HIDDEN;
  const network = createSendTimeNetwork(standardizer.means.length, { hidden, seed: options.seed ?? 1 });
  const tensorsFor = (rows: number[]) =>
    tf.tidy(() => ({
      x: [logProbTensor(shrunk, rows), tf.tensor2d(standardize(pick(extras, rows), standardizer), [rows.length, standardizer.means.length])],
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
    const heldExtras = pick(extras, validation);
    const refined = predictProbs({ meta, network }, pickRows(shrunk, validation), validation.length, (start, end, into, stride) => {
      const x = standardize(heldExtras.slice(start, end), meta.network!);
      const columns = meta.network!.means.length;
      for (let r = 0; r < end - start; r++) into.set(x.subarray(r * columns, (r + 1) * columns), r * stride + HOURS);
    });
    const scored = scoreRows(toRows(refined, validation.length), held.hours, radius);
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

/** Features per customer: one array each, or one row-major array of `featureDim` columns (as encodeRows gives). */
export type FeatureRows = readonly (readonly number[])[] | Float32Array;

export function predictSendTimeBatch(
  model: SendTimeModel,
  input: { histograms: readonly (readonly number[])[]; features?: FeatureRows; segments?: readonly string[] },
  batchSize = 16_384,
): SendTimePrediction[] {
  const { histograms, features, segments } = input;
  const n = histograms.length;
  histograms.forEach((h, i) => checkHistogram(h, i));
  let probs = shrinkFlat(model.meta.base, histograms, segments);
  if (model.network) {
    const featureDim = model.meta.network?.featureDim;
    checkFeatureRows(n, features, featureDim);
    probs = predictProbs(model, probs, n, (start, end, into, stride) => standardizedExtras(histograms, features, featureDim ?? 0, model.meta.network!, start, end, into, stride), batchSize);
  }
  return summarise(probs, n, model.meta.radius);
}

/**
 * Per row of a row-major `[n × 24]` array: its probabilities (a view, not a copy: per-row arrays
 * were most of the garbage collector's work in a batch), `bestWindowHour` and the largest
 * probability, computed in one pass with the same sums (window masses added from −radius to
 * +radius, the earliest hour on ties) and no per-row scratch.
 */
function summarise(probs: Float64Array, n: number, radius: number): SendTimePrediction[] {
  const out = new Array<SendTimePrediction>(n);
  for (let i = 0; i < n; i++) {
    const offset = i * HOURS;
    const p = probs.subarray(offset, offset + HOURS);
    let maxProb = -Infinity;
    for (let h = 0; h < HOURS; h++) {
      const v = p[h]!;
      if (v > maxProb) maxProb = v;
    }
    let bestHour = 0;
    let confidence = -Infinity;
    for (let h = 0; h < HOURS; h++) {
      let mass = 0;
      for (let d = -radius; d <= radius; d++) mass += p[(((h + d) % HOURS) + HOURS) % HOURS]!;
      if (mass > confidence + 1e-12) {
        bestHour = h;
        confidence = mass;
      }
    }
    out[i] = { probs: p, bestHour, confidence, maxProb };
  }
  return out;
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

/** Each customer's next-open distribution before any network, one array per customer. */
function shrinkAll(base: SendTimeBase, histograms: readonly (readonly number[])[], segments?: readonly string[]): number[][] {
  return toRows(shrinkFlat(base, histograms, segments), histograms.length);
}

/**
 * Each customer's next-open distribution before any network: their opens shrunk toward their
 * segment's (or the shop's) pattern, as one row-major `[n × 24]` array. The arithmetic is that of
 * `shrinkHistogram` and `predictive`, done in place over typed arrays.
 */
function shrinkFlat(base: SendTimeBase, histograms: readonly (readonly number[])[], segments?: readonly string[]): Float64Array {
  const priorOf = (i: number) => (segments && base.segmentPriors?.[segments[i]!]) || base.prior;
  const n = histograms.length;
  const out = new Float64Array(n * HOURS);
  if (base.method === 'dirichlet') {
    const { k } = base;
    const kernel = circularKernel(base.bandwidth);
    // Offsets with zero weight add exact zeros (bandwidth 0 is the identity): skip them.
    const offsets: number[] = [];
    for (let d = 0; d < HOURS; d++) if (kernel[d] !== 0) offsets.push(d);
    const smoothed = new Float64Array(HOURS);
    for (let i = 0; i < n; i++) {
      const histogram = histograms[i]!;
      const prior = priorOf(i);
      smoothed.fill(0);
      let count = 0;
      for (let h = 0; h < HOURS; h++) {
        const c = histogram[h]!;
        count += c;
        if (c === 0) continue;
        for (const d of offsets) smoothed[(h + d) % HOURS]! += c * kernel[d]!;
      }
      const offset = i * HOURS;
      for (let h = 0; h < HOURS; h++) out[offset + h] = (smoothed[h]! + k * prior[h]!) / (count + k);
    }
    return out;
  }
  const likelihood = openLikelihood(base.sigma, base.epsilon);
  const ev = evidence(histograms, likelihood);
  const post = new Float64Array(HOURS);
  for (let i = 0; i < n; i++) predictiveInto(ev, i * HOURS, priorOf(i), likelihood, out, i * HOURS, post);
  return out;
}

/** Rows of a row-major `[n × 24]` array as plain arrays. */
function toRows(flat: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> }, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * HOURS, (i + 1) * HOURS)));
}

/** The given rows of a row-major `[n × 24]` array, in that order. */
function pickRows(flat: Float64Array, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * HOURS);
  rows.forEach((i, r) => out.set(flat.subarray(i * HOURS, (i + 1) * HOURS), r * HOURS));
  return out;
}

/** The network's extra inputs: how much evidence the histogram holds, then the customer's features. */
function extraInputs(histograms: readonly (readonly number[])[], features?: readonly (readonly number[])[], featureDim?: number): number[][] {
  checkFeatureRows(histograms.length, features, featureDim);
  return histograms.map((histogram, i) => [Math.log1p(total(histogram)), ...(features?.[i] ?? [])]);
}

function checkFeatureRows(n: number, features: FeatureRows | undefined, featureDim?: number): void {
  if (featureDim !== undefined && featureDim > 0 && !features) throw new Error(`this send-time model needs ${featureDim} features per customer`);
  if (featureDim === undefined) return;
  if (features instanceof Float32Array) {
    if (features.length !== n * featureDim) throw new Error(`${features.length} feature values for ${n} customers, the model expects ${featureDim} each`);
    return;
  }
  for (let i = 0; i < n; i++) {
    const length = features?.[i]?.length ?? 0;
    if (length !== featureDim) throw new Error(`customer ${i} has ${length} features, the model expects ${featureDim}`);
  }
}

/**
 * `standardize(extraInputs(...).slice(start, end), spec)` for rows [start, end) without building
 * the rows, written into columns 24… of each `stride`-wide row of `into`: the same values and the
 * same error for a non-finite input (row numbers within the batch).
 */
function standardizedExtras(histograms: readonly (readonly number[])[], features: FeatureRows | undefined, featureDim: number, spec: Standardizer, start: number, end: number, into: Float32Array, stride: number): void {
  const columns = spec.means.length;
  if (columns !== featureDim + 1) throw new Error(`row 0 has ${featureDim + 1} values, expected ${columns}`);
  const means = Float64Array.from(spec.means);
  const stds = Float64Array.from(spec.stds);
  const nonFinite = (r: number, v: number) => new Error(`row ${r} has a non-finite value (${v}); impute missing features before training or scoring`);
  const flat = features instanceof Float32Array ? features : undefined;
  for (let i = start; i < end; i++) {
    const r = i - start;
    const o = r * stride + HOURS;
    const first = Math.log1p(total(histograms[i]!));
    if (!Number.isFinite(first)) throw nonFinite(r, first);
    into[o] = (first - means[0]!) / stds[0]!;
    if (columns === 1) continue;
    // Checked in column order, so the first non-finite value is the one reported, as standardize does.
    if (flat) {
      const base = i * featureDim - 1;
      for (let j = 1; j < columns; j++) {
        const v = flat[base + j]!;
        if (!Number.isFinite(v)) throw nonFinite(r, v);
        into[o + j] = (v - means[j]!) / stds[j]!;
      }
    } else {
      const row = (features as readonly (readonly number[])[])[i]!;
      for (let j = 1; j < columns; j++) {
        const v = row[j - 1]!;
        if (!Number.isFinite(v)) throw nonFinite(r, v);
        into[o + j] = (v - means[j]!) / stds[j]!;
      }
    }
  }
}

/** A dense layer of the network as the backend's tensors. */
type Dense = { kernel: tf.Tensor2D; bias: tf.Tensor1D; relu: boolean };

/**
 * The network's dense layers in order. createSendTimeNetwork's graph is concat([log p, extras]) →
 * ReLU dense layers → a linear correction → add(log p, correction); predictProbs runs the dense
 * layers itself on an input row it writes as [log p, extras], which is that concatenation.
 */
function denseLayers(network: tf.LayersModel): Dense[] {
  const layers = network.layers.filter((l) => l.getClassName() === 'Dense');
  return layers.map((layer, i) => {
    const activation = (layer.getConfig() as { activation?: string }).activation ?? 'linear';
    if (activation !== (i < layers.length - 1 ? 'relu' : 'linear')) throw new Error(`send-time network layer ${layer.name} has activation ${activation}`);
    // The layer's own variables, not copies: they must not be disposed here.
    const [kernel, bias] = layer.getWeights();
    return { kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D, relu: i < layers.length - 1 };
  });
}

/**
 * Network probabilities `[n × 24]` for a row-major array of shrunk distributions and a writer of
 * standardised extras per batch (into columns 24… of each row), `batchSize` rows at a time. The
 * backend runs only the matrix products (ReLU fused): `predict` cost a concat, a slice of each
 * input (which on wasm copies the whole input out first) and a softmax kernel per batch; the
 * residual add and the softmax are one pass over 24 numbers per row here.
 */
function predictProbs(
  model: SendTimeModel,
  shrunk: Float64Array,
  n: number,
  extras: (start: number, end: number, into: Float32Array, stride: number) => void,
  batchSize = 16_384,
): Float64Array {
  const width = HOURS + model.meta.network!.means.length;
  const layers = denseLayers(model.network!);
  const out = new Float64Array(n * HOURS);
  const input = new Float32Array(Math.min(n, batchSize) * width);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const rows = end - start;
    const x = input.subarray(0, rows * width);
    for (let r = 0; r < rows; r++) for (let h = 0; h < HOURS; h++) x[r * width + h] = Math.log(shrunk[(start + r) * HOURS + h]!);
    extras(start, end, x, width);
    const correction = readTensor(() =>
      layers.reduce<tf.Tensor2D>((h, layer) => tf.fused.matMul({ a: h, b: layer.kernel, bias: layer.bias, activation: layer.relu ? 'relu' : 'linear' }) as tf.Tensor2D, tf.tensor2d(x, [rows, width])),
    );
    // softmax(log p + c) = p · e^(c − max c) / Σ p · e^(c − max c): no second pass through log.
    for (let r = 0; r < rows; r++) {
      const [o, c] = [(start + r) * HOURS, r * HOURS];
      let max = -Infinity;
      for (let h = 0; h < HOURS; h++) if (correction[c + h]! > max) max = correction[c + h]!;
      let sum = 0;
      for (let h = 0; h < HOURS; h++) sum += out[o + h] = shrunk[o + h]! * Math.exp(correction[c + h]! - max);
      for (let h = 0; h < HOURS; h++) out[o + h]! /= sum;
    }
  }
  return out;
}

/** Log-probabilities of a row-major `[n × 24]` array (or of its given rows) as a `[n, 24]` tensor. */
function logProbTensor(shrunk: Float64Array, rows?: readonly number[]): tf.Tensor2D {
  const n = rows ? rows.length : shrunk.length / HOURS;
  const flat = new Float32Array(n * HOURS);
  for (let r = 0; r < n; r++) {
    const from = (rows ? rows[r]! : r) * HOURS;
    for (let h = 0; h < HOURS; h++) flat[r * HOURS + h] = Math.log(shrunk[from + h]!);
  }
  return tf.tensor2d(flat, [n, HOURS]);
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
