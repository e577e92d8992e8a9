import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import { mulberry32 } from '../src/ml/trainLoop.js';
import { standardize } from '../src/ml/standardize.js';
import { bestWindowHour, circularKernel, HOURS } from '../src/ml/sendTime/hours.js';
import {
  createSendTimeNetwork,
  predictSendTimeBatch,
  type SendTimeBase,
  type SendTimeModel,
  type SendTimePrediction,
} from '../src/ml/sendTime/index.js';
import { evidence, openLikelihood, predictive } from '../src/ml/sendTime/preferredHour.js';
import { shrinkHistogram, total } from '../src/ml/sendTime/shrinkage.js';

/**
 * The vectorised send-time inference (typed arrays, one predict per batch) against the
 * row-at-a-time computation it replaced: per-customer shrinkHistogram / predictive arrays, the
 * network on [log p, log1p(opens), ...features], then bestWindowHour and the largest probability.
 */

let network: tf.LayersModel;
const n = 700;
const d = 5;
const random = mulberry32(11);
const histograms = Array.from({ length: n }, (_, i) =>
  Array.from({ length: HOURS }, () => (i % 9 === 0 ? 0 : random() < 0.15 ? Math.floor(random() * 4) : 0)),
);
const features = Array.from({ length: n }, () => Array.from({ length: d }, () => random() * 4 - 2));
const segments = histograms.map((_, i) => ['a', 'b', 'c'][i % 3]!);
const prior = Array.from({ length: HOURS }, (_, h) => (1 + Math.cos(((h - 19) * Math.PI) / 12) + 0.1) / (HOURS * 1.1));
const segmentPriors = { a: prior.map((p, h) => (p + (h === 8 ? 0.2 : 0)) / 1.2), b: [...prior].reverse() };
const spec = {
  featureDim: d,
  hidden: [8],
  means: [0.5, 0.1, -0.2, 0, 0.3, 0.05],
  stds: [1.2, 1, 0.9, 1.1, 2, 0.7],
  epochs: 0,
  bestEpoch: 0,
};

beforeAll(async () => {
  await initBackend();
  network = createSendTimeNetwork(d + 1, { hidden: [8], seed: 3 });
  // A non-zero last layer, so the network really changes the distributions.
  const weights = network.getWeights();
  network.setWeights(weights.map((w, i) => tf.tidy(() => w.add(tf.randomNormal(w.shape, 0, 0.3, 'float32', 100 + i)))));
});
afterAll(() => network.dispose());

function reference(model: SendTimeModel, withSegments: boolean, batchSize: number): SendTimePrediction[] {
  const base = model.meta.base;
  const priorOf = (i: number) => (withSegments && base.segmentPriors?.[segments[i]!]) || base.prior;
  let probs: number[][];
  if (base.method === 'dirichlet') {
    const kernel = circularKernel(base.bandwidth);
    probs = histograms.map((h, i) => shrinkHistogram(h, priorOf(i), base, kernel));
  } else {
    const likelihood = openLikelihood(base.sigma, base.epsilon);
    const ev = evidence(histograms, likelihood);
    probs = histograms.map((_, i) => predictive(ev, i * HOURS, priorOf(i), likelihood));
  }
  if (model.network) {
    const extras = histograms.map((h, i) => [Math.log1p(total(h)), ...features[i]!]);
    const out: number[][] = [];
    for (let start = 0; start < n; start += batchSize) {
      const rows = probs.slice(start, start + batchSize);
      const x = standardize(extras.slice(start, start + batchSize), spec);
      const values = tf.tidy(() => {
        const logP = tf.tensor2d(Float32Array.from(rows.flat(), Math.log), [rows.length, HOURS]);
        const logits = model.network!.predict([logP, tf.tensor2d(x, [rows.length, d + 1])], {
          batchSize: rows.length,
        }) as tf.Tensor;
        return tf.softmax(logits).arraySync() as number[][];
      });
      out.push(...values);
    }
    probs = out;
  }
  return probs.map((p) => {
    const { hour, mass } = bestWindowHour(p, model.meta.radius);
    return { probs: Float64Array.from(p), bestHour: hour, confidence: mass, maxProb: Math.max(...p) };
  });
}

const bases: SendTimeBase[] = [
  { method: 'dirichlet', prior, k: 2, bandwidth: 0 },
  { method: 'dirichlet', prior, segmentPriors, k: 1.5, bandwidth: 1.25 },
  { method: 'preferredHour', prior, sigma: 1.25, epsilon: 0.1 },
  { method: 'preferredHour', prior, segmentPriors, sigma: 2, epsilon: 0.2 },
];

describe('vectorised send-time inference', () => {
  for (const base of bases) {
    for (const withNetwork of [false, true]) {
      for (const radius of [0, 1, 2]) {
        it(`${base.method} (${base.segmentPriors ? 'segments' : 'shop'}, radius ${radius}${withNetwork ? ', network' : ''}) matches the row-at-a-time computation`, () => {
          const model: SendTimeModel = {
            meta: {
              kind: 'sendTime',
              base,
              radius,
              validation: { customers: 0 },
              ...(withNetwork ? { network: spec } : {}),
            },
            ...(withNetwork ? { network } : {}),
          };
          const batchSize = 256;
          const expected = reference(model, true, batchSize);
          const actual = predictSendTimeBatch(
            model,
            { histograms, features: withNetwork ? features : undefined, segments },
            batchSize,
          );
          expect(actual).toHaveLength(n);
          for (let i = 0; i < n; i++) {
            const [a, e] = [actual[i]!, expected[i]!];
            expect(a.bestHour).toBe(e.bestHour);
            expect(Math.abs(a.confidence - e.confidence)).toBeLessThanOrEqual(1e-6);
            expect(Math.abs(a.maxProb - e.maxProb)).toBeLessThanOrEqual(1e-6);
            expect(a.probs).toHaveLength(HOURS);
            for (let h = 0; h < HOURS; h++) expect(Math.abs(a.probs[h]! - e.probs[h]!)).toBeLessThanOrEqual(1e-6);
          }
        });
      }
    }
  }

  it('reads features given as one row-major Float32Array exactly as one array per customer', () => {
    const model: SendTimeModel = {
      meta: { kind: 'sendTime', base: bases[1]!, radius: 1, validation: { customers: 0 }, network: spec },
      network,
    };
    const rows = features.map((row) => Array.from(Float32Array.from(row)));
    const nested = predictSendTimeBatch(model, { histograms, features: rows, segments }, 256);
    const flat = predictSendTimeBatch(
      model,
      { histograms, features: Float32Array.from(features.flat()), segments },
      256,
    );
    expect(flat).toEqual(nested);
    expect(() => predictSendTimeBatch(model, { histograms, features: new Float32Array(n * d - 1) })).toThrow(
      `${n * d - 1} feature values for ${n} customers, the model expects ${d} each`,
    );
  });

  it('reports a non-finite feature and a wrong feature count as before', () => {
    const model: SendTimeModel = {
      meta: { kind: 'sendTime', base: bases[0]!, radius: 1, validation: { customers: 0 }, network: spec },
      network,
    };
    const bad = features.map((row, i) => (i === 3 ? [row[0]!, NaN, ...row.slice(2)] : row));
    expect(() => predictSendTimeBatch(model, { histograms, features: bad })).toThrow(
      'row 3 has a non-finite value (NaN)',
    );
    expect(() =>
      predictSendTimeBatch(model, { histograms, features: features.map((r, i) => (i === 5 ? r.slice(1) : r)) }),
    ).toThrow(`customer 5 has ${d - 1} features, the model expects ${d}`);
    expect(() => predictSendTimeBatch(model, { histograms })).toThrow(`needs ${d} features`);
  });
});
