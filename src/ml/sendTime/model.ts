import * as tf from '@tensorflow/tfjs';
import { HOURS } from './hours.js';
import type { SendTimeMeta } from './meta.js';

/**
 * Best send time: a probability for each local hour per customer, from the customer's open-hour
 * histogram shrunk toward their segment's (or the shop's) pattern — by a Dirichlet prior or a
 * latent preferred hour, whichever predicts held-out next opens better — optionally refined by a
 * network on customer features. The best hour is the one whose ±radius window holds the most
 * probability, and the confidence is that mass: P(the next open lands within ±radius of it).
 */
export type SendTimeModel = { meta: SendTimeMeta; network?: tf.LayersModel };

/**
 * The learned part of the send-time model: a small network that reads a customer's
 * empirical-Bayes open-hour distribution (as log-probabilities) and their features, and adds a
 * correction to those log-probabilities. Its last layer starts at zero, so an untrained network
 * predicts exactly the empirical-Bayes distribution and training can only move away from it
 * where the validation data agree.
 */

export type SendTimeNetworkOptions = { hidden?: number[]; seed?: number };

export const DEFAULT_NETWORK_HIDDEN = [32];

/** Inputs: `[n, 24]` log-probabilities and `[n, extraDim]` standardised extras; output: `[n, 24]` logits. */
export function createSendTimeNetwork(
  extraDim: number,
  { hidden = DEFAULT_NETWORK_HIDDEN, seed = 1 }: SendTimeNetworkOptions = {},
): tf.LayersModel {
  const logProbs = tf.input({ shape: [HOURS], name: 'eb_log_probs' });
  const extra = tf.input({ shape: [extraDim], name: 'extra' });
  let h = tf.layers.concatenate().apply([logProbs, extra]) as tf.SymbolicTensor;
  hidden.forEach((units, i) => {
    h = tf.layers
      .dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + i }) })
      .apply(h) as tf.SymbolicTensor;
  });
  const correction = tf.layers
    .dense({ units: HOURS, kernelInitializer: 'zeros', biasInitializer: 'zeros', name: 'correction' })
    .apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.add({ name: 'logits' }).apply([logProbs, correction]) as tf.SymbolicTensor;
  return tf.model({ inputs: [logProbs, extra], outputs: logits, name: 'send_time' });
}

/** Mean categorical cross-entropy of integer hour labels `[n]` against logits `[n, 24]`. */
export function hourCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels.reshape([-1]).toInt(), HOURS);
    return tf.logSoftmax(logits).mul(oneHot).sum(1).neg().mean() as tf.Scalar;
  });
}
