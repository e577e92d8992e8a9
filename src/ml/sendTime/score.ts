import * as tf from '@tensorflow/tfjs';
import type { Standardizer } from '../standardize.js';
import { readTensor } from '../tensors.js';
import { circularKernel, checkHistogram, HOURS } from './hours.js';
import type { SendTimeBase } from './meta.js';
import type { SendTimeModel } from './model.js';
import { evidence, openLikelihood, predictiveInto } from './preferredHour.js';
import { total } from './shrinkage.js';

export type SendTimePrediction = {
  /** A view into one array shared by the batch's predictions. */
  probs: Float64Array;
  bestHour: number;
  /** Probability that the next open falls within ±radius hours of bestHour. */
  confidence: number;
  /** The largest single-hour probability. */
  maxProb: number;
};

/** One customer; use `predictSendTimeBatch` for many (the network runs once per batch). */
export function predictSendTime(
  model: SendTimeModel,
  histogram: readonly number[],
  features?: readonly number[],
  segment?: string,
): SendTimePrediction {
  return predictSendTimeBatch(model, {
    histograms: [histogram],
    features: features && [features],
    segments: segment === undefined ? undefined : [segment],
  })[0]!;
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
    probs = predictProbs(
      model,
      probs,
      n,
      (start, end, into, stride) =>
        standardizedExtras(histograms, features, featureDim ?? 0, model.meta.network!, start, end, into, stride),
      batchSize,
    );
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

/**
 * Each customer's next-open distribution before any network: their opens shrunk toward their
 * segment's (or the shop's) pattern, as one row-major `[n × 24]` array. The arithmetic is that of
 * `shrinkHistogram` and `predictive`, done in place over typed arrays.
 */
export function shrinkFlat(
  base: SendTimeBase,
  histograms: readonly (readonly number[])[],
  segments?: readonly string[],
): Float64Array {
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

export function checkFeatureRows(n: number, features: FeatureRows | undefined, featureDim?: number): void {
  if (featureDim !== undefined && featureDim > 0 && !features)
    throw new Error(`this send-time model needs ${featureDim} features per customer`);
  if (featureDim === undefined) return;
  if (features instanceof Float32Array) {
    if (features.length !== n * featureDim)
      throw new Error(`${features.length} feature values for ${n} customers, the model expects ${featureDim} each`);
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
function standardizedExtras(
  histograms: readonly (readonly number[])[],
  features: FeatureRows | undefined,
  featureDim: number,
  spec: Standardizer,
  start: number,
  end: number,
  into: Float32Array,
  stride: number,
): void {
  const columns = spec.means.length;
  if (columns !== featureDim + 1) throw new Error(`row 0 has ${featureDim + 1} values, expected ${columns}`);
  const means = Float64Array.from(spec.means);
  const stds = Float64Array.from(spec.stds);
  const nonFinite = (r: number, v: number) =>
    new Error(`row ${r} has a non-finite value (${v}); impute missing features before training or scoring`);
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
    if (activation !== (i < layers.length - 1 ? 'relu' : 'linear'))
      throw new Error(`send-time network layer ${layer.name} has activation ${activation}`);
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
export function predictProbs(
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
    for (let r = 0; r < rows; r++)
      for (let h = 0; h < HOURS; h++) x[r * width + h] = Math.log(shrunk[(start + r) * HOURS + h]!);
    extras(start, end, x, width);
    const correction = readTensor(() =>
      layers.reduce<tf.Tensor2D>(
        (h, layer) =>
          tf.fused.matMul({
            a: h,
            b: layer.kernel,
            bias: layer.bias,
            activation: layer.relu ? 'relu' : 'linear',
          }) as tf.Tensor2D,
        tf.tensor2d(x, [rows, width]),
      ),
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
