import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import {
  evaluateLtv,
  createLtvModel,
  loadLtvModel,
  saveLtvModel,
  scoreLtv,
  trainLtv,
  type TrainedLtv,
} from '../src/ml/ltv/index.js';
import { fitStandardizer, standardize } from '../src/ml/standardize.js';
import { mulberry32 } from '../src/ml/trainLoop.js';
import { zilnLoss, zilnPredict } from '../src/ml/ltv/ziln.js';

let tmp: string;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-ltv-'));
  await initBackend();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * A known zero-inflated lognormal world: P(buy) = sigmoid(−0.5 + 1.5·x0 − 0.8·x1) and, for
 * buyers, log value ~ N(3.5 + 0.6·x1 + 0.4·x2, 0.8²); x3 is noise.
 */
function simulate(n: number, seed: number): { X: number[][]; y: number[]; expected: number[] } {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const X: number[][] = [];
  const y: number[] = [];
  const expected: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [normal(), normal(), normal(), random()] as [number, number, number, number];
    const p = 1 / (1 + Math.exp(-(-0.5 + 1.5 * x[0] - 0.8 * x[1])));
    const mu = 3.5 + 0.6 * x[1] + 0.4 * x[2];
    X.push(x);
    y.push(random() < p ? Math.exp(mu + 0.8 * normal()) : 0);
    expected.push(p * Math.exp(mu + 0.32));
  }
  return { X, y, expected };
}

describe('ZILN loss', () => {
  it('is BCE plus the lognormal negative log-likelihood of buyers', () => {
    // One non-buyer and one buyer of 20, with logits (p, μ, raw σ).
    const rows = [
      [0.3, 1, 0.5],
      [-0.2, 2.5, 0.1],
    ];
    const loss = tf.tidy(() => zilnLoss(tf.tensor1d([0, 20]), tf.tensor2d(rows)).arraySync());
    const softplus = (v: number) => Math.log1p(Math.exp(v));
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const sigma = softplus(0.1);
    const lognormal =
      Math.log(20) + Math.log(sigma) + 0.5 * Math.log(2 * Math.PI) + (Math.log(20) - 2.5) ** 2 / (2 * sigma ** 2);
    const expected = (-Math.log(1 - sigmoid(0.3)) - Math.log(sigmoid(-0.2)) + lognormal) / 2;
    expect(loss).toBeCloseTo(expected, 5);
  });

  it('stays finite, with finite gradients, when nobody buys', () => {
    const logits = tf.variable(
      tf.tensor2d([
        [0, 0, 0],
        [5, -3, -20],
        [-4, 30, 8],
      ]),
    );
    const { value, grads } = tf.variableGrads(() => zilnLoss(tf.zeros([3]), logits), [logits]);
    expect(Number.isFinite(value.arraySync())).toBe(true);
    expect(Array.from(grads[logits.name]!.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([logits, value, grads[logits.name]!]);
  });

  it('predicts P(purchase) and the lognormal mean', () => {
    const logits = tf.tensor2d([[0, Math.log(50), Math.log(Math.E - 1)]]); // σ = softplus(log(e − 1)) = 1
    const { pPurchase, expectedValue } = zilnPredict(logits);
    expect(pPurchase[0]).toBeCloseTo(0.5, 6);
    expect(expectedValue[0]! / (0.5 * 50 * Math.exp(0.5))).toBeCloseTo(1, 5);
    logits.dispose();
  });
});

describe('standardisation', () => {
  it('stores means and stds, maps a constant column to 0, and rejects missing values', () => {
    const s = fitStandardizer([
      [1, 5],
      [3, 5],
    ]);
    expect(s).toEqual({ means: [2, 5], stds: [1, 1] });
    expect(Array.from(standardize([[3, 5]], s))).toEqual([1, 0]);
    expect(() => standardize([[Number.NaN, 5]], s)).toThrow(/non-finite/);
  });
});

describe('LTV network on a known generative process', () => {
  const train = simulate(6000, 1);
  const validation = simulate(2000, 2);
  const test = simulate(4000, 3);
  let trained: TrainedLtv;

  beforeAll(async () => {
    const epochs: number[] = [];
    trained = await trainLtv(
      { X: train.X, y: train.y, Xval: validation.X, yval: validation.y },
      { featureNames: ['x0', 'x1', 'x2', 'noise'] },
      ({ epoch }) => {
        epochs.push(epoch);
      },
    );
    expect(epochs).toEqual(trained.training.history.map((h) => h.epoch));
  });
  afterAll(() => trained.model.dispose());

  it('stops early at the best validation loss and records how', () => {
    const { training, meta } = trained;
    expect(training.epochs).toBeLessThan(200);
    const best = Math.min(...training.history.map((h) => h.valLoss));
    expect(training.bestValLoss).toBe(best);
    expect(meta).toMatchObject({
      kind: 'ziln',
      inputDim: 4,
      featureNames: ['x0', 'x1', 'x2', 'noise'],
      bestEpoch: training.bestEpoch,
      valLoss: best,
    });
    expect(meta.means).toHaveLength(4);
  });

  it('ranks customers nearly as well as the true expected value, and is calibrated in total', () => {
    const { expectedValue, pPurchase } = scoreLtv(trained.model, trained.meta, test.X);
    const ours = evaluateLtv(expectedValue, test.y);
    const oracle = evaluateLtv(test.expected, test.y);
    const constant = evaluateLtv(
      new Array(test.y.length).fill(test.y.reduce((s, v) => s + v, 0) / test.y.length),
      test.y,
    );
    console.info('ZILN on simulated data', { ours, oracle, constant });
    expect(ours.gini).toBeGreaterThan(0.45);
    expect(ours.gini).toBeGreaterThan(oracle.gini - 0.05);
    expect(constant.gini).toBeCloseTo(0, 10); // a constant ranks nobody: the baseline every model must beat
    expect(ours.top20Capture).toBeGreaterThan(constant.top20Capture + 0.2);
    expect(Math.abs(ours.totalRatio - 1)).toBeLessThan(0.15);
    // P(purchase) is a probability that separates buyers from non-buyers.
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    const buyers = test.y.map((v, i) => (v > 0 ? pPurchase[i]! : NaN)).filter(Number.isFinite);
    const nonBuyers = test.y.map((v, i) => (v === 0 ? pPurchase[i]! : NaN)).filter(Number.isFinite);
    expect(mean(buyers)).toBeGreaterThan(mean(nonBuyers) + 0.2);
    expect(mean(pPurchase)).toBeCloseTo(test.y.filter((v) => v > 0).length / test.y.length, 1);
  });

  it('saves and loads through the file handler with identical predictions', async () => {
    const dir = path.join(tmp, 'ltv', 'v1');
    await saveLtvModel(dir, trained.model, trained.meta);
    const loaded = await loadLtvModel(dir);
    if (!loaded.ok) throw new Error(loaded.error.message);
    expect(loaded.value.meta).toEqual(trained.meta);
    const before = scoreLtv(trained.model, trained.meta, test.X.slice(0, 500));
    const after = scoreLtv(loaded.value.model, loaded.value.meta, test.X.slice(0, 500));
    expect(Array.from(after.expectedValue)).toEqual(Array.from(before.expectedValue));
    expect(Array.from(after.pPurchase)).toEqual(Array.from(before.pPurchase));
    loaded.value.model.dispose();
    expect((await loadLtvModel(path.join(tmp, 'missing'))).ok).toBe(false);
  });

  it('scores in batches without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const whole = scoreLtv(trained.model, trained.meta, test.X.slice(0, 1000));
    const batched = scoreLtv(trained.model, trained.meta, test.X.slice(0, 1000), 64);
    expect(Array.from(batched.expectedValue)).toEqual(Array.from(whole.expectedValue));
    // The training set's row-major { X, rows } form scores the same rows alike.
    const flat = { X: Float32Array.from(test.X.slice(0, 1000).flat()), rows: 1000 };
    const fromFlat = scoreLtv(trained.model, trained.meta, flat, 300);
    fromFlat.expectedValue.forEach((v, i) => expect(v / whole.expectedValue[i]!).toBeCloseTo(1, 4));
    expect(() => scoreLtv(trained.model, trained.meta, [[1, 2]])).toThrow(/expects 4 features/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('LTV training edge cases', () => {
  it('trains on all-zero labels to a finite, near-zero purchase probability', async () => {
    const { X } = simulate(400, 4);
    const zeros = new Array<number>(400).fill(0);
    const tensorsBefore = tf.memory().numTensors;
    const { model, meta } = await trainLtv(
      { X: X.slice(0, 300), y: zeros.slice(0, 300), Xval: X.slice(300), yval: zeros.slice(300) },
      { epochs: 5 },
    );
    const { pPurchase, expectedValue } = scoreLtv(model, meta, X);
    expect(Array.from(expectedValue).every(Number.isFinite)).toBe(true);
    expect(Math.max(...pPurchase)).toBeLessThan(0.05);
    model.dispose();
    // Training leaves nothing behind: no batch tensors, weight snapshots or optimizer slots.
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('is deterministic for a seed', async () => {
    const { X, y } = simulate(600, 5);
    const run = async () => {
      const { model, meta } = await trainLtv(
        { X: X.slice(0, 450), y: y.slice(0, 450), Xval: X.slice(450), yval: y.slice(450) },
        { epochs: 4, seed: 9 },
      );
      const out = Array.from(scoreLtv(model, meta, X).expectedValue);
      model.dispose();
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('builds the network without training it', () => {
    const model = createLtvModel(7, { hidden: [8] });
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    model.dispose();
  });

  it('rejects negative labels and mismatched lengths', async () => {
    await expect(trainLtv({ X: [[1], [2]], y: [1, -1], Xval: [[1]], yval: [0] })).rejects.toThrow(/≥ 0/);
    await expect(trainLtv({ X: [[1], [2]], y: [1], Xval: [[1]], yval: [0] })).rejects.toThrow(/length/);
  });
});
