import type * as tf from '@tensorflow/tfjs';
import { createMlp } from '../mlp.js';

export interface ChurnModelOptions {
  /** Units of each hidden layer (default [16]: on 1–5k rows wider or deeper nets overfit sooner and scored no better). */
  hidden?: readonly number[];
  /** Seeds the initial weights, so the same data gives the same model. */
  seed?: number;
}

/**
 * A small MLP on standardised features whose single output is the churn logit (no sigmoid):
 * calibration and the loss both work on logits, which stay finite where a probability in
 * float32 would round to 0 or 1.
 */
export function createChurnModel(inputDim: number, opts: ChurnModelOptions = {}): tf.Sequential {
  return createMlp({
    name: 'churn',
    inputDim,
    hidden: opts.hidden ?? [16],
    outputs: 1,
    outputName: 'logit',
    seed: (opts.seed ?? 1) * 101,
  });
}
