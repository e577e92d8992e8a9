import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { log } from '../log.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = { backend: BackendName; simd?: boolean };

let choice: Promise<BackendChoice> | undefined;

/**
 * Picks the TF.js backend once per process: tfjs-node when it installed, else WASM (SIMD when the
 * runtime validates SIMD code), else the pure-JS `cpu` backend. Concurrent and repeated calls share
 * the first call's answer, so every model in the process trains and scores on the same backend.
 */
export function initBackend(): Promise<BackendChoice> {
  choice ??= pickBackend().then((picked) => {
    log.info({ backend: picked.backend, simd: picked.simd }, 'tensorflow backend');
    return picked;
  });
  return choice;
}

/** The active backend's name; only meaningful after `initBackend()` resolved. */
export function backendName(): string {
  return tf.getBackend();
}

async function pickBackend(): Promise<BackendChoice> {
  if (await tryTensorflow()) return { backend: 'tensorflow' };
  const wasm = await tryWasm();
  if (wasm) return wasm;
  if (!(await tf.setBackend('cpu'))) throw new Error('no TensorFlow.js backend could be initialised');
  await tf.ready();
  return { backend: 'cpu' };
}

/** tfjs-node is an optionalDependency: absent is normal; present but broken deserves a warning. */
async function tryTensorflow(): Promise<boolean> {
  // A variable specifier keeps TypeScript from requiring the optional package's types.
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
  } catch (err) {
    // Only the package itself missing is the normal case; a missing native binding inside an
    // installed tfjs-node is also MODULE_NOT_FOUND but names another file, and is worth a warning.
    // (notebooks run modules as CommonJS, where the code is MODULE_NOT_FOUND for the package too).
    const code = (err as NodeJS.ErrnoException).code;
    const absent =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
      String((err as Error).message).includes(`'${specifier}'`);
    if (!absent) log.warn({ err }, 'tfjs-node installed but failed to load');
    return false;
  }
  return tf.setBackend('tensorflow');
}

async function tryWasm(): Promise<BackendChoice | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the backend reads its .wasm binaries with fs, so it needs their directory as a
    // plain file path ending in a separator (a file:// URL is not understood).
    const binary = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    wasm.setWasmPaths(path.dirname(binary) + path.sep);
    if (!(await tf.setBackend('wasm'))) return undefined;
    await tf.ready();
    // The backend loads tfjs-backend-wasm-simd.wasm exactly when this flag is true.
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return { backend: 'wasm', simd: simd === true };
  } catch (err) {
    log.warn({ err }, 'wasm backend unavailable; falling back to cpu');
    return undefined;
  }
}
