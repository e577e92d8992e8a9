import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import { projectRoot } from '../config.js';

const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
const META_JSON = 'meta.json';

/** `models/<name>/<version>/`; one path segment each, so a name can never climb out of the root. */
export function modelDir(name: string, version: string, root: string = path.join(projectRoot, 'models')): string {
  for (const part of [name, version]) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part))
      throw new Error(`invalid model path segment: ${JSON.stringify(part)}`);
  }
  return path.join(root, name, version);
}

/**
 * A tf.io handler that saves to and loads from a directory as `model.json` + one `weights.bin`
 * (tfjs-node's `file://` handler is not available on every backend). The files hold only the
 * topology and raw float weights, so they are the same whichever backend trained the model.
 * Usage: `model.save(fileHandler(dir))`, `tf.loadLayersModel(fileHandler(dir))`.
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('fileHandler saves JSON topologies only');
      const weights = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        signature: artifacts.signature,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        modelInitializer: artifacts.modelInitializer,
        initializerSignature: artifacts.initializerSignature,
      };
      await fs.mkdir(dir, { recursive: true });
      // Weights first and model.json last: a directory with a model.json is always complete.
      await writeAtomic(path.join(dir, WEIGHTS_BIN), weights);
      await writeAtomic(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(modelJson.modelTopology)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(modelJson.weightsManifest)),
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = JSON.parse(await fs.readFile(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const buffers = await Promise.all(
          manifest
            .flatMap((group) => group.paths)
            .map(async (file) => toArrayBuffer(await fs.readFile(path.join(dir, file)))),
        );
        return [tf.io.getWeightSpecs(manifest), tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

export async function writeMeta(dir: string, meta: unknown): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, META_JSON), `${JSON.stringify(meta, null, 2)}\n`);
}

export type ReadMetaResult<T> =
  { ok: true; value: T } | { ok: false; error: { type: 'not_found' | 'invalid'; message: string } };

/** Reads `meta.json`; a missing, unparsable or (given a schema) non-conforming file is an answer, not a throw. */
export async function readMeta<T = unknown>(dir: string, schema?: z.ZodType<T>): Promise<ReadMetaResult<T>> {
  const file = path.join(dir, META_JSON);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { ok: false, error: { type: 'not_found', message: `${file} does not exist` } };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: { type: 'invalid', message: `${file}: ${(err as Error).message}` } };
  }
  if (!schema) return { ok: true, value: parsed as T };
  const checked = schema.safeParse(parsed);
  if (!checked.success) return { ok: false, error: { type: 'invalid', message: `${file}: ${checked.error.message}` } };
  return { ok: true, value: checked.data };
}

/** A Node Buffer may be a view into a shared pool; tf wants an ArrayBuffer of exactly its bytes. */
function toArrayBuffer(buf: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
