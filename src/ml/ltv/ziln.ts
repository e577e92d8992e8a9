import * as tf from '@tensorflow/tfjs';

/**
 * The zero-inflated lognormal (ZILN) loss of Wang, Liu & Miao (2019), "A Deep Probabilistic Model
 * for Customer Lifetime Value Prediction", as in Google's `lifetime_value` package. A network
 * emits three numbers per customer: the logit of P(value > 0), and μ and σ (through softplus) of
 * the lognormal the value follows when it is positive. The loss is the binary cross-entropy of
 * "bought at all" plus, for buyers only, the lognormal negative log-likelihood of the amount.
 */

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Lower bound on σ: keeps 1/σ² finite when a network pushes softplus towards 0. */
const MIN_SIGMA = Math.sqrt(1e-7);

/** Splits `[n, 3]` logits into the purchase logit, μ and σ, each `[n]`. */
export function zilnParams(logits: tf.Tensor): { pLogit: tf.Tensor1D; mu: tf.Tensor1D; sigma: tf.Tensor1D } {
  const [pLogit, mu, rawSigma] = tf.unstack(logits.reshape([-1, 3]), 1) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  return { pLogit, mu, sigma: tf.softplus(rawSigma).maximum(MIN_SIGMA) };
}

/**
 * Mean ZILN loss over a batch. `labels` are the values (`[n]` or `[n, 1]`, ≥ 0); `logits` `[n, 3]`.
 * The lognormal term includes log y, a constant for the parameters, so the number is a true
 * negative log-likelihood (comparable across models on the same labels).
 */
export function zilnLoss(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const y = labels.reshape([-1]).toFloat();
    const { pLogit, mu, sigma } = zilnParams(logits);
    const positive = y.greater(0).toFloat();
    // Stable BCE from logits: max(z, 0) − z·t + log(1 + e^−|z|).
    const bce = pLogit.relu().sub(pLogit.mul(positive)).add(pLogit.abs().neg().exp().log1p());
    // Non-buyers get log y = 0 so their (masked) term stays finite: a NaN there would poison the gradient.
    const logY = tf.where(positive.cast('bool'), y, tf.onesLike(y)).log();
    const z = logY.sub(mu).div(sigma);
    const lognormalNll = logY.add(sigma.log()).add(HALF_LOG_2PI).add(z.square().mul(0.5));
    return bce.add(positive.mul(lognormalNll)).mean() as tf.Scalar;
  });
}

export type ZilnPrediction = {
  pPurchase: Float32Array;
  /** E[value] = P(purchase) · exp(μ + σ²/2), the lognormal mean. */
  expectedValue: Float32Array;
};

/** Both tensors `[n]`; the caller owns (and disposes) them. */
export function zilnPredictTensors(logits: tf.Tensor): { pPurchase: tf.Tensor1D; expectedValue: tf.Tensor1D } {
  return tf.tidy(() => {
    const { pLogit, mu, sigma } = zilnParams(logits);
    const pPurchase = pLogit.sigmoid();
    return { pPurchase, expectedValue: pPurchase.mul(mu.add(sigma.square().mul(0.5)).exp()) };
  });
}

export function zilnPredict(logits: tf.Tensor): ZilnPrediction {
  const { pPurchase, expectedValue } = zilnPredictTensors(logits);
  try {
    return { pPurchase: pPurchase.dataSync() as Float32Array, expectedValue: expectedValue.dataSync() as Float32Array };
  } finally {
    tf.dispose([pPurchase, expectedValue]);
  }
}

/** softplus⁻¹(s) = log(eˢ − 1), for setting the σ output's starting bias. */
export function inverseSoftplus(s: number): number {
  return s > 20 ? s : Math.log(Math.expm1(s));
}
