import * as tf from '@tensorflow/tfjs';
import { createMlp } from '../mlp.js';

/**
 * Purchases in a future window as a Poisson regression network: an MLP on standardised features
 * whose output is the log of the expected count. With the BG/NBD outputs among the features
 * (withBtydInputs) it starts from what BG/NBD knows and learns what the other features add.
 */

export type PurchasesModelOptions = { hidden?: number[]; seed?: number };

export const DEFAULT_HIDDEN = [16];

/** The network alone, untrained; trainPurchases sets its output bias from the labels. */
export function createPurchasesModel(
  inputDim: number,
  { hidden = DEFAULT_HIDDEN, seed = 1 }: PurchasesModelOptions = {},
): tf.Sequential {
  return createMlp({ name: 'purchases_poisson', inputDim, hidden, outputs: 1, outputName: 'log_rate', seed });
}

/** Poisson negative log-likelihood per row (without the log y! constant), from the log-rate. */
export function poissonLoss(labels: tf.Tensor, logRate: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const z = logRate.reshape([-1]);
    return z
      .exp()
      .sub(labels.reshape([-1]).mul(z))
      .mean() as tf.Scalar;
  });
}
