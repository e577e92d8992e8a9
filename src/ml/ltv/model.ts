import type * as tf from '@tensorflow/tfjs';
import { createMlp } from '../mlp.js';

/**
 * Lifetime value as a ZILN network (Wang, Liu & Miao 2019): an MLP on standardised customer
 * features with three outputs (purchase logit, lognormal μ and σ). Only the architecture and
 * weights are saved; the loss (ziln.ts) is needed for training only.
 */

export type LtvModelOptions = { hidden?: number[]; seed?: number };

export const DEFAULT_HIDDEN = [64, 32];

/** The network alone, untrained; no model is ever built at import time. */
export function createLtvModel(
  inputDim: number,
  { hidden = DEFAULT_HIDDEN, seed = 1 }: LtvModelOptions = {},
): tf.Sequential {
  // trainLtv sets the output layer's bias from the labels, so training starts near the best constant model.
  return createMlp({
    name: 'ltv_ziln',
    inputDim,
    hidden,
    outputs: 3,
    outputName: 'ziln_logits',
    seed,
    outputInitializer: 'glorotNormal',
  });
}
