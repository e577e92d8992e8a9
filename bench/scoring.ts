// `npm run bench -- scoring [--rows 65536] [--customers 1000] [--days 200] [--seed 7] [--inference-only] [--json]`
// (a) rows/s of in-memory inference of the churn, LTV and send-time models on the TF.js backend
//     in use vs the same forward pass (standardise, dense layers, activations) in plain JS loops
//     over Float32Arrays with the same weights;
// (b) customers/s of a full score-customers run vs a raw driver read of the features plus a bulk
//     replace (database.replaceById) of the same score documents, on a seeded synthetic shop whose
//     models are trained once and reused (its own database).
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs';
import { FIXED_SHOP_END } from '../data/generator/seedShop.js';
import buildFeaturesJob from '../jobs/build-features.js';
import scoreCustomersJob from '../jobs/score-customers.js';
import trainChurnJob from '../jobs/train-churn.js';
import trainLtvJob from '../jobs/train-ltv.js';
import trainSendTimeJob from '../jobs/train-send-time.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import type { JobDefinition } from '../src/jobs/core/defineJob.js';
import { runJob } from '../src/jobs/runJob.js';
import { initBackend } from '../src/ml/backend.js';
import { createChurnModel, scoreChurn } from '../src/ml/churn/index.js';
import { createLtvModel, scoreLtv } from '../src/ml/ltv/index.js';
import { activeModel } from '../src/ml/registry.js';
import { HOURS, createSendTimeNetwork, predictSendTimeBatch, type SendTimeModel } from '../src/ml/sendTime/index.js';
import { benchEnv, type Bench, type BenchResult } from './_harness.js';
import { ensureShop, timed } from './features.js';
import { syntheticSet } from './_syntheticSet.js';

/** Best of `rounds` timings of `work`, in rows/s. */
function rate(rows: number, work: () => void, rounds = 3): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    work();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return rows / best;
}

/** Dense layers of a model as plain arrays: kernel [in × out] row-major, bias [out]. */
function denseWeights(
  model: tf.LayersModel,
): { kernel: Float32Array; bias: Float32Array; inDim: number; outDim: number }[] {
  const w = model.getWeights();
  const layers = [];
  for (let i = 0; i < w.length; i += 2)
    layers.push({
      kernel: w[i]!.dataSync() as Float32Array,
      bias: w[i + 1]!.dataSync() as Float32Array,
      inDim: w[i]!.shape[0]!,
      outDim: w[i]!.shape[1]!,
    });
  return layers;
}

/** The baseline forward pass: ReLU on every layer but the last, one row at a time. */
function jsForward(layers: ReturnType<typeof denseWeights>, input: Float32Array, out: Float32Array): void {
  let x = input;
  layers.forEach((l, k) => {
    const y = k === layers.length - 1 ? out : new Float32Array(l.outDim);
    y.set(l.bias);
    for (let i = 0; i < l.inDim; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const row = i * l.outDim;
      for (let j = 0; j < l.outDim; j++) y[j]! += xi * l.kernel[row + j]!;
    }
    if (k < layers.length - 1) for (let j = 0; j < l.outDim; j++) if (y[j]! < 0) y[j] = 0;
    x = y;
  });
}

function jsStandardize(
  X: Float32Array,
  d: number,
  row: number,
  means: number[],
  stds: number[],
  into: Float32Array,
  offset = 0,
): void {
  for (let j = 0; j < d; j++) into[offset + j] = (X[row * d + j]! - means[j]!) / stds[j]!;
}

async function inference(rows: number): Promise<BenchResult[]> {
  const d = 110;
  const { X } = syntheticSet(rows, d, 3);
  const means = new Array<number>(d).fill(0.1);
  const stds = new Array<number>(d).fill(1.1);
  const columns = Array.from({ length: d }, (_, j) => ({
    name: `f${j}`,
    source: `f${j}`,
    kind: 'value' as const,
    transform: 'identity' as const,
  }));
  const results: BenchResult[] = [];
  const row = new Float32Array(d + HOURS);

  const churn = createChurnModel(d, { hidden: [16] });
  const churnMeta = { means, stds, columns, calibration: { method: 'platt' as const, a: 1.1, b: -0.2 } };
  const churnLayers = denseWeights(churn);
  const z = new Float32Array(1);
  const churnOut = new Float32Array(rows);
  const oursChurn = rate(rows, () => void scoreChurn(churn, churnMeta, X, { batchSize: 16_384 }));
  const jsChurn = rate(rows, () => {
    for (let i = 0; i < rows; i++) {
      jsStandardize(X, d, i, means, stds, row);
      jsForward(churnLayers, row, z);
      churnOut[i] = 1 / (1 + Math.exp(-(1.1 * z[0]! - 0.2)));
    }
  });
  results.push({
    case: 'churn inference (MLP [16]) vs plain JS',
    ours: oursChurn,
    baseline: jsChurn,
    unit: 'rows/s',
    ratio: oursChurn / jsChurn,
  });
  churn.dispose();

  const ltv = createLtvModel(d);
  const ltvMeta = {
    kind: 'ziln' as const,
    inputDim: d,
    hidden: [64, 32],
    means,
    stds,
    epochs: 0,
    bestEpoch: 0,
    valLoss: 0,
  };
  const ltvLayers = denseWeights(ltv);
  const params = new Float32Array(3);
  const ltvOut = new Float32Array(rows);
  const oursLtv = rate(rows, () => void scoreLtv(ltv, ltvMeta, { X, rows }));
  const jsLtv = rate(rows, () => {
    for (let i = 0; i < rows; i++) {
      jsStandardize(X, d, i, means, stds, row);
      jsForward(ltvLayers, row, params);
      const sigma = Math.max(Math.log1p(Math.exp(params[2]!)), 3e-4);
      ltvOut[i] = (1 / (1 + Math.exp(-params[0]!))) * Math.exp(params[1]! + (sigma * sigma) / 2);
    }
  });
  results.push({
    case: 'LTV inference (ZILN MLP [64,32]) vs plain JS',
    ours: oursLtv,
    baseline: jsLtv,
    unit: 'rows/s',
    ratio: oursLtv / jsLtv,
  });
  ltv.dispose();

  // Send time with its network: shrink each histogram toward the prior, then the network's correction.
  const network = createSendTimeNetwork(d + 1, { hidden: [32] });
  const prior = Array.from({ length: HOURS }, (_, h) => (1 + Math.cos(((h - 19) * Math.PI) / 12)) / HOURS);
  const model: SendTimeModel = {
    meta: {
      kind: 'sendTime',
      base: { method: 'dirichlet', prior, k: 2, bandwidth: 0 },
      radius: 1,
      validation: { customers: 0 },
      network: { featureDim: d, hidden: [32], means: [0, ...means], stds: [1, ...stds], epochs: 0, bestEpoch: 0 },
    },
    network,
  };
  const histograms = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: HOURS }, (_, h) => ((i * 7 + h) % 11 === 0 ? 1 : 0)),
  );
  const sendLayers = denseWeights(network);
  const logits = new Float32Array(HOURS);
  const oursSend = rate(rows, () => void predictSendTimeBatch(model, { histograms, features: X }), 2);
  const jsSend = rate(
    rows,
    () => {
      for (let i = 0; i < rows; i++) {
        const h = histograms[i]!;
        let total = 0;
        for (let k = 0; k < HOURS; k++) total += h[k]!;
        for (let k = 0; k < HOURS; k++) row[k] = Math.log((h[k]! + 2 * prior[k]!) / (total + 2));
        row[HOURS] = Math.log1p(total);
        jsStandardize(X, d, i, means, stds, row, HOURS + 1);
        jsForward(sendLayers, row, logits);
        let best = 0;
        for (let k = 0; k < HOURS; k++) if (row[k]! + logits[k]! > row[best]! + logits[best]!) best = k;
      }
    },
    2,
  );
  results.push({
    case: 'send-time inference (shrinkage + network [32]) vs plain JS',
    ours: oursSend,
    baseline: jsSend,
    unit: 'rows/s',
    ratio: oursSend / jsSend,
  });
  network.dispose();
  return results;
}

async function run(
  database: Database,
  job: JobDefinition,
  options: Record<string, unknown>,
): Promise<Record<string, number>> {
  const outcome = await runJob(job, options, { database, trigger: 'cli' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  if (outcome.value.status !== 'succeeded') throw new Error(`${job.name} failed: ${outcome.value.error?.message}`);
  return outcome.value.counts;
}

/** Features and the three active models, made once per shop and reused by later runs. */
async function ensureModels(database: Database, days: number): Promise<void> {
  if ((await database.estimatedCount('features')) === 0)
    await timed('build-features', () =>
      run(database, buildFeaturesJob, { asOf: FIXED_SHOP_END.toISOString(), full: true }),
    );
  const end = FIXED_SHOP_END.getTime();
  const asOf = (horizon: number) => new Date(end - Math.min(horizon, days / 3) * 86_400_000 - 86_400_000).toISOString();
  const horizon = (h: number) => Math.floor(Math.min(h, days / 3));
  for (const [name, job, h] of [
    ['churn', trainChurnJob, 90],
    ['ltv', trainLtvJob, 365],
    ['send-time', trainSendTimeJob, 30],
  ] as const) {
    if (!(await activeModel(database, name)))
      await timed(`training ${name}`, () => run(database, job, { asOf: asOf(h), horizon: horizon(h), epochs: 10 }));
  }
}

async function scoringJob(
  customers: number,
  days: number,
  seed: number,
): Promise<{ results: BenchResult[]; env: Record<string, unknown> }> {
  const database = await connectDatabase({
    dbName: `bench_scoring_c${customers}_d${days}_s${seed}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  try {
    await ensureShop(database, { customers, days, seed });
    await ensureModels(database, days);
    const job = await timed('score-customers', () => run(database, scoreCustomersJob, {}));
    const scored = job.value.customers ?? 0;
    const docs = await database.models.Score.collection.find({}).toArray();
    const raw = await timed('raw read of features + replaceById of the same scores', async () => {
      let read = 0;
      for await (const _ of database.models.Feature.collection.find({}, { batchSize: 5000 })) read++;
      await database.replaceById(database.models.Score.collection as never, docs as never[]);
      return read;
    });
    const ours = scored / job.seconds;
    const baseline = raw.value / raw.seconds;
    return {
      results: [
        {
          case: 'score-customers job vs raw read + bulk replace',
          ours,
          baseline,
          unit: 'customers/s',
          ratio: ours / baseline,
        },
      ],
      env: {
        server: database.serverVersion,
        shop: `${customers} customers, ${days} days (seed ${seed})`,
        scoredCustomers: scored,
        jobSeconds: +job.seconds.toFixed(2),
        rawSeconds: +raw.seconds.toFixed(2),
        jobGoal: '≥ 0.5× the raw read + write',
      },
    };
  } finally {
    await database.close();
  }
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      rows: { type: 'string' },
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'inference-only': { type: 'boolean' },
    },
  });
  const rows = Number(values.rows ?? 65_536);
  const choice = await initBackend();
  const inMemory = await timed('in-memory inference', () => inference(rows));
  const job = values['inference-only']
    ? { results: [], env: { shop: 'none (--inference-only)' } }
    : await scoringJob(Number(values.customers ?? 1000), Number(values.days ?? 200), Number(values.seed ?? 7));
  return {
    bench: 'scoring',
    results: [...inMemory.value, ...job.results],
    env: benchEnv({
      backend: `${choice.backend}${choice.simd ? ' (SIMD)' : ''}, one thread; inference baseline: the same forward pass in plain JS loops`,
      dataset: `${rows} synthetic rows × 110 features (inference); ${job.env.shop} (job)`,
      inferenceGoal: '≥ 500,000 rows/s per core',
      ...job.env,
    }),
  };
};

export default bench;
