import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShopContext, simulateCustomer } from '../data/generator/seedShop.js';
import { initBackend } from '../src/ml/backend.js';
import { createChurnModel, churnLoss, churnStepper, type ChurnBatch } from '../src/ml/churn/index.js';
import { fitStandardizer, standardize } from '../src/ml/standardize.js';
import { rowsOf, trainingSetFromEvents, type TrainingEvent } from '../src/ml/trainingSet.js';

/**
 * The churn network's hand-written gradients against TF.js autodiff of the same objective
 * (model.apply, tf.losses.sigmoidCrossEntropy with class weights, L2 on the kernels), on the
 * training rows of a small generated shop, standardised as trainChurn does.
 */

let batch: ChurnBatch;

beforeAll(async () => {
  await initBackend();
  const ctx = createShopContext({ seed: 5, days: 365, end: new Date('2026-10-01T00:00:00Z'), partitions: 4 });
  const events: TrainingEvent[] = [];
  for (let i = 0; i < 500; i++)
    for (const e of simulateCustomer(ctx, i).events) events.push(e as unknown as TrainingEvent);
  const set = trainingSetFromEvents(events, { asOf: new Date('2026-07-01T00:00:00Z'), horizonDays: 90 });
  const train = rowsOf(set, 'train');
  const d = set.featureNames.length;
  const X = standardize(train, fitStandardizer(train, d));
  const n = train.rows;
  const xT = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xT[j * n + i] = X[i * d + j]!;
  batch = {
    x: tf.tensor2d(X, [n, d]),
    xT: tf.tensor2d(xT, [d, n]),
    y: train.churned,
    w: Float32Array.from(train.churned, (c) => (c > 0.5 ? 0.8 : 1.3)),
  };
  expect(n).toBeGreaterThan(100);
});
afterAll(() => tf.dispose([batch.x, batch.xT]));

const variablesOf = (model: tf.LayersModel) => model.trainableWeights.map((v) => v.read() as tf.Variable);

function maxDifference(a: tf.Tensor | Float32Array, b: tf.Tensor | Float32Array): number {
  const [u, v] = [a instanceof Float32Array ? a : a.dataSync(), b instanceof Float32Array ? b : b.dataSync()];
  expect(u.length).toBe(v.length);
  let max = 0;
  for (let i = 0; i < u.length; i++) max = Math.max(max, Math.abs(u[i]! - v[i]!));
  return max;
}

describe('hand-written churn gradients', () => {
  for (const [hidden, l2] of [
    [[16], 0.01],
    [[16], 0],
    [[8, 4], 0.01],
  ] as const) {
    it(`match TF.js autodiff (hidden [${hidden}], l2 ${l2})`, () => {
      const model = createChurnModel(batch.x.shape[1], { hidden, seed: 3 });
      const variables = variablesOf(model);
      const reference = tf.variableGrads(() => churnLoss(model, l2, batch), variables);
      const ours = churnStepper(model, { learningRate: 0.001, l2 }).gradients(batch);
      expect(Math.abs(ours.loss - reference.value.dataSync()[0]!)).toBeLessThan(1e-5);
      variables.forEach((v, i) => {
        // Gradients of this size are ~1e-2; a wrong transpose or a missing ReLU mask is off by that much.
        expect(maxDifference(ours.grads[i]!, reference.grads[v.name]!)).toBeLessThan(1e-5);
        expect(maxDifference(ours.grads[i]!, new Float32Array(ours.grads[i]!.length))).toBeGreaterThan(1e-4);
      });
      tf.dispose([reference.value, reference.grads]);
      model.dispose();
    });
  }

  it('take the same Adam steps as optimizer.minimize', () => {
    const [ours, theirs] = [
      createChurnModel(batch.x.shape[1], { seed: 9 }),
      createChurnModel(batch.x.shape[1], { seed: 9 }),
    ];
    const stepper = churnStepper(ours, { learningRate: 0.01, l2: 0.01 });
    const adam = tf.train.adam(0.01);
    for (let step = 0; step < 5; step++) {
      stepper.step(batch);
      tf.dispose(tf.tidy(() => adam.minimize(() => churnLoss(theirs, 0.01, batch), true, variablesOf(theirs))!));
    }
    const [w1, w2] = [ours.getWeights(), theirs.getWeights()];
    w1.forEach((w, i) => expect(maxDifference(w, w2[i]!)).toBeLessThan(1e-5));
    const initial = createChurnModel(batch.x.shape[1], { seed: 9 });
    expect(maxDifference(w1[0]!, initial.getWeights()[0]!)).toBeGreaterThan(0.01);
    adam.dispose();
    [ours, theirs, initial].forEach((m) => m.dispose());
  });
});
