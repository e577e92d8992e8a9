import { describe, expect, it } from 'vitest';
import { pearson } from '../src/ml/metrics.js';
import { scorePurchases, trainPurchases } from '../src/ml/purchases/index.js';

/** A seeded uniform source and Poisson draws (Knuth's method: the rates here are small). */
function sampler(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const poisson = (rate: number) => {
    const limit = Math.exp(-rate);
    let k = 0;
    for (let p = uniform(); p > limit; p *= uniform()) k++;
    return k;
  };
  return { uniform, poisson };
}

describe('the holdout-purchases network (Poisson loss)', () => {
  it('learns a count that depends on the features and beats the constant mean out of sample', async () => {
    const { uniform, poisson } = sampler(5);
    // log-rate linear in one feature, a second feature pure noise.
    const make = (n: number) => {
      const X = Array.from({ length: n }, () => [uniform() * 2 - 1, uniform()]);
      const rate = X.map(([a]) => Math.exp(0.2 + 1.2 * a!));
      return { X, rate, y: rate.map(poisson) };
    };
    const [train, validation, test] = [make(1500), make(400), make(600)];
    const { model, meta, training } = await trainPurchases(
      { X: train.X, y: train.y, Xval: validation.X, yval: validation.y },
      { epochs: 60, seed: 3 },
    );
    const expected = scorePurchases(model, meta, test.X);
    model.dispose();

    const loss = (pred: ArrayLike<number>) =>
      test.y.reduce((s, y, i) => s + pred[i]! - y * Math.log(pred[i]!), 0) / test.y.length;
    const mean = train.y.reduce((a, b) => a + b, 0) / train.y.length;
    expect(training.bestEpoch).toBeGreaterThan(1);
    expect(loss(expected)).toBeLessThan(loss(new Array(test.y.length).fill(mean)) - 0.1);
    expect(pearson(expected, test.rate)).toBeGreaterThan(0.95);
    // Calibrated in total, as an expected count should be.
    const total = expected.reduce((a, b) => a + b, 0);
    expect(total / test.rate.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.85);
    expect(total / test.rate.reduce((a, b) => a + b, 0)).toBeLessThan(1.15);
  });
});
