// `npm run bench -- training [--rows 40000] [--features 100] [--epochs 3] [--json]`
// Training rows/s of the churn network and the LTV (ZILN) network on the wasm backend vs the
// same networks, rows, batches and epochs on TF.js's pure-JS cpu backend, in one run; and the
// churn step with its gradients written out vs the same step by TF.js autodiff, on one backend.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/ml/backend.js';
import { createChurnModel, trainChurn, churnLoss, churnStepper, type ChurnBatch } from '../src/ml/churn/index.js';
import { trainLtv } from '../src/ml/ltv/index.js';
import { rowsOf } from '../src/ml/trainingSet.js';
import { benchEnv, type Bench } from './_harness.js';
import { syntheticSet } from './_syntheticSet.js';

type Rates = { churn: number; churnLargeBatch: number; ltv: number };

async function measure(set: ReturnType<typeof syntheticSet>, epochs: number): Promise<Rates> {
  // Early stopping is pushed out of reach so every run trains exactly `epochs` epochs.
  const churn = await trainChurn(set, { maxEpochs: epochs, patience: epochs + 1, baselines: false });
  if (!churn.ok) throw new Error(churn.error.message);
  churn.value.model.dispose();
  // The default batch (512 rows at this size) is per-step overhead bound; 4096 shows the network's own speed.
  const large = await trainChurn(set, { maxEpochs: epochs, patience: epochs + 1, baselines: false, batchSize: 4096 });
  if (!large.ok) throw new Error(large.error.message);
  large.value.model.dispose();
  const [train, validation] = [rowsOf(set, 'train'), rowsOf(set, 'validation')];
  const started = performance.now();
  const ltv = await trainLtv(
    { X: train, y: train.futureRevenue, Xval: validation, yval: validation.futureRevenue },
    { epochs, patience: epochs + 1 },
  );
  const seconds = (performance.now() - started) / 1000;
  ltv.model.dispose();
  return {
    churn: churn.value.meta.training.rowsPerSecond,
    churnLargeBatch: large.value.meta.training.rowsPerSecond,
    ltv: (train.rows * ltv.training.epochs) / seconds,
  };
}

/**
 * Adam steps/s × batch rows of the churn network on the same batches: `churnStepper` vs
 * `optimizer.minimize` over the autodiff objective (what trainChurn ran before), best of 3 rounds.
 */
function stepRates(set: ReturnType<typeof syntheticSet>, batchSize: number): { ours: number; autodiff: number } {
  const d = set.featureNames.length;
  const batches = Math.min(40, Math.floor(set.rows / batchSize));
  const data: ChurnBatch[] = Array.from({ length: batches }, (_, b) => {
    const x = set.X.subarray(b * batchSize * d, (b + 1) * batchSize * d);
    const xT = new Float32Array(x.length);
    for (let i = 0; i < batchSize; i++) for (let j = 0; j < d; j++) xT[j * batchSize + i] = x[i * d + j]!;
    const y = set.churned.subarray(b * batchSize, (b + 1) * batchSize);
    return {
      x: tf.tensor2d(x, [batchSize, d]),
      xT: tf.tensor2d(xT, [d, batchSize]),
      y,
      w: Float32Array.from(y, (c) => (c ? 0.8 : 1.3)),
    };
  });
  const rate = (step: (model: tf.LayersModel) => (batch: ChurnBatch) => unknown) => {
    const model = createChurnModel(d);
    const run = step(model);
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      data.forEach(run);
      best = Math.min(best, (performance.now() - started) / 1000);
    }
    model.dispose();
    return (batches * batchSize) / best;
  };
  const ours = rate((model) => churnStepper(model, { learningRate: 0.001, l2: 0.01 }).step);
  const optimizer = tf.train.adam(0.001);
  const autodiff = rate((model) => {
    const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
    // The loss is read at once, as the written-out step does: wasm runs kernels synchronously anyway.
    return (batch) =>
      tf.tidy(() => optimizer.minimize(() => churnLoss(model, 0.01, batch), true, variables)!.dataSync());
  });
  optimizer.dispose();
  tf.dispose(data.flatMap((b) => [b.x, b.xT]));
  return { ours, autodiff };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { rows: { type: 'string' }, features: { type: 'string' }, epochs: { type: 'string' } },
  });
  const rows = Number(values.rows ?? 40_000);
  const features = Number(values.features ?? 100);
  const epochs = Number(values.epochs ?? 3);
  const choice = await initBackend();
  const set = syntheticSet(rows, features);
  process.stderr.write(`training on ${choice.backend}…\n`);
  const steps = stepRates(set, 512);
  const ours = await measure(set, epochs);
  process.stderr.write('training on cpu…\n');
  await tf.setBackend('cpu');
  const peer = await measure(set, epochs);
  await tf.setBackend(choice.backend);
  return {
    bench: 'training',
    results: [
      {
        case: `churn MLP [16], default batch, ${choice.backend} vs cpu`,
        ours: ours.churn,
        baseline: peer.churn,
        unit: 'rows/s',
        ratio: ours.churn / peer.churn,
      },
      {
        case: `churn step, batch 512: written-out gradients vs autodiff (${choice.backend})`,
        ours: steps.ours,
        baseline: steps.autodiff,
        unit: 'rows/s',
        ratio: steps.ours / steps.autodiff,
      },
      {
        case: `churn MLP [16], batch 4096, ${choice.backend} vs cpu`,
        ours: ours.churnLargeBatch,
        baseline: peer.churnLargeBatch,
        unit: 'rows/s',
        ratio: ours.churnLargeBatch / peer.churnLargeBatch,
      },
      {
        case: `LTV ZILN MLP [64,32], ${choice.backend} vs cpu backend`,
        ours: ours.ltv,
        baseline: peer.ltv,
        unit: 'rows/s',
        ratio: ours.ltv / peer.ltv,
      },
    ],
    env: benchEnv({
      backend: `${choice.backend}${choice.simd ? ' (SIMD)' : ''}; baseline: TF.js cpu backend`,
      dataset: `${rows} synthetic rows × ${features} features, 70% trained on, ${epochs} epochs`,
      goal: '≥ 80,000 rows/s',
    }),
  };
};

export default bench;
