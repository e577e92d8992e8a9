// `npm run bench -- training [--rows 40000] [--features 100] [--epochs 3] [--json]`
// Training rows/s of the churn network and the LTV (ZILN) network on the wasm backend vs the
// same networks, rows, batches and epochs on TF.js's pure-JS cpu backend, in one run.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/ml/backend.js';
import { trainChurn } from '../src/ml/churn/train.js';
import { trainLtv } from '../src/ml/ltv/ltvModel.js';
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
  const ltv = await trainLtv({ X: train, y: train.futureRevenue, Xval: validation, yval: validation.futureRevenue }, { epochs, patience: epochs + 1 });
  const seconds = (performance.now() - started) / 1000;
  ltv.model.dispose();
  return { churn: churn.value.meta.training.rowsPerSecond, churnLargeBatch: large.value.meta.training.rowsPerSecond, ltv: (train.rows * ltv.training.epochs) / seconds };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({ args, strict: false, options: { rows: { type: 'string' }, features: { type: 'string' }, epochs: { type: 'string' } } });
  const rows = Number(values.rows ?? 40_000);
  const features = Number(values.features ?? 100);
  const epochs = Number(values.epochs ?? 3);
  const choice = await initBackend();
  const set = syntheticSet(rows, features);
  process.stderr.write(`training on ${choice.backend}…\n`);
  const ours = await measure(set, epochs);
  process.stderr.write('training on cpu…\n');
  await tf.setBackend('cpu');
  const peer = await measure(set, epochs);
  await tf.setBackend(choice.backend);
  return {
    bench: 'training',
    results: [
      { case: `churn MLP [16], default batch, ${choice.backend} vs cpu`, ours: ours.churn, baseline: peer.churn, unit: 'rows/s', ratio: ours.churn / peer.churn },
      { case: `churn MLP [16], batch 4096, ${choice.backend} vs cpu`, ours: ours.churnLargeBatch, baseline: peer.churnLargeBatch, unit: 'rows/s', ratio: ours.churnLargeBatch / peer.churnLargeBatch },
      { case: `LTV ZILN MLP [64,32], ${choice.backend} vs cpu backend`, ours: ours.ltv, baseline: peer.ltv, unit: 'rows/s', ratio: ours.ltv / peer.ltv },
    ],
    env: benchEnv({ backend: `${choice.backend}${choice.simd ? ' (SIMD)' : ''}; baseline: TF.js cpu backend`, dataset: `${rows} synthetic rows × ${features} features, 70% trained on, ${epochs} epochs`, goal: '≥ 80,000 rows/s' }),
  };
};

export default bench;
