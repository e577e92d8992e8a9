import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backendName, initBackend } from '../src/ml/backend.js';
import { fileHandler, modelDir, readMeta, writeMeta } from '../src/ml/fileIO.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-ml-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The abalone-node pattern: a factory, never a model built at import time. */
function createModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [3],
      units: 8,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return model;
}

/** 64 deterministic rows of y = 2a − b + c/2. */
function dataset(): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const rows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 7) / 7]);
  return { xs: tf.tensor2d(rows), ys: tf.tensor2d(rows.map(([a, b, c]) => [2 * a! - b! + c! / 2])) };
}

describe('TF.js backend', () => {
  it('picks wasm with SIMD here, once', async () => {
    const first = await initBackend();
    expect(first).toEqual({ backend: 'wasm', simd: true });
    expect(await initBackend()).toBe(first);
    expect(backendName()).toBe('wasm');
  });
});

describe('file IO handler', () => {
  it('fits two epochs, saves, reloads and predicts identically', async () => {
    await initBackend();
    const { xs, ys } = dataset();
    const model = createModel();
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);

    const dir = modelDir('tiny', 'v1', tmp);
    await model.save(fileHandler(dir));
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);

    const loaded = await tf.loadLayersModel(fileHandler(dir));
    const before = tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync());
    const after = tf.tidy(() => (loaded.predict(xs) as tf.Tensor).dataSync());
    expect(Array.from(after)).toEqual(Array.from(before));
    tf.dispose([xs, ys]);
    model.dispose();
    loaded.dispose();
  });

  it('writes the same files whichever backend saves the model', async () => {
    await initBackend();
    const wasmDir = path.join(tmp, 'from-wasm');
    const cpuDir = path.join(tmp, 'from-cpu');
    const model = createModel();
    await model.save(fileHandler(wasmDir));
    model.dispose();
    try {
      await tf.setBackend('cpu');
      const onCpu = await tf.loadLayersModel(fileHandler(wasmDir));
      await onCpu.save(fileHandler(cpuDir));
      onCpu.dispose();
    } finally {
      await tf.setBackend('wasm');
    }
    for (const file of ['model.json', 'weights.bin']) {
      expect(fs.readFileSync(path.join(cpuDir, file)).equals(fs.readFileSync(path.join(wasmDir, file)))).toBe(true);
    }
  });

  it('keeps meta.json beside the model and reports a missing or invalid one as data', async () => {
    const dir = path.join(tmp, 'meta');
    const schema = z.object({ name: z.string(), metrics: z.object({ auc: z.number() }) });
    expect(await readMeta(dir)).toMatchObject({ ok: false, error: { type: 'not_found' } });

    await writeMeta(dir, { name: 'churn', metrics: { auc: 0.81 } });
    expect(await readMeta(dir, schema)).toEqual({ ok: true, value: { name: 'churn', metrics: { auc: 0.81 } } });

    await writeMeta(dir, { name: 'churn' });
    expect(await readMeta(dir, schema)).toMatchObject({ ok: false, error: { type: 'invalid' } });
    fs.writeFileSync(path.join(dir, 'meta.json'), '{not json');
    expect(await readMeta(dir)).toMatchObject({ ok: false, error: { type: 'invalid' } });
  });

  it('keeps model names inside the models root', () => {
    expect(modelDir('churn', '3', '/m')).toBe(path.join('/m', 'churn', '3'));
    expect(() => modelDir('..', '1', '/m')).toThrow(/invalid model path/);
    expect(() => modelDir('churn', 'a/b', '/m')).toThrow(/invalid model path/);
  });
});
