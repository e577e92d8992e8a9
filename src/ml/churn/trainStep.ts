import * as tf from '@tensorflow/tfjs';

/**
 * One optimiser step of the churn MLP (ReLU hidden layers, one linear logit) with its gradients
 * written out, instead of `optimizer.minimize` over `model.apply`. Why: TF.js's autodiff takes
 * each dense kernel's gradient as a transposed matmul (xᵀ · δ), and on the wasm backend a
 * transposed matmul runs about 12× slower than a plain one (measured: [4096 × 100]ᵀ · [4096 × 16]
 * 28 ms against 2.3 ms for the same product with x already transposed). Here the first layer's
 * gradient reads a transposed copy of the batch made once per epoch, so the large product is a
 * plain one; the later layers' products are [batch × 16]-sized and cheap either way.
 *
 * The objective is unchanged: Σ wᵢ·BCE(yᵢ, zᵢ) / Σ wᵢ over the batch (tf.losses.sigmoidCrossEntropy
 * with Reduction.MEAN) plus l2 · Σ‖kernel‖²; tests/ml.churn.trainStep.test.ts checks the
 * gradients against tf.variableGrads of that loss.
 */

export type ChurnBatch = {
  /** Standardised rows [batch, d]. */
  x: tf.Tensor2D;
  /** The same rows transposed, [d, batch]. */
  xT: tf.Tensor2D;
  /** Labels and class weights, [batch, 1]. */
  y: tf.Tensor2D;
  w: tf.Tensor2D;
};

/** The batch's penalised loss and the gradient of every trainable variable, by variable name. */
export function churnGradients(model: tf.LayersModel, l2: number, { x, xT, y, w }: ChurnBatch): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
  const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const layers = variables.length / 2;
  return tf.tidy(() => {
    // Forward: the inputs of every layer, the last output being the logit.
    const inputs: tf.Tensor2D[] = [x];
    for (let k = 0; k < layers; k++) {
      const hidden = k < layers - 1;
      inputs.push(tf.fused.matMul({ a: inputs[k]!, b: variables[2 * k] as tf.Tensor2D, bias: variables[2 * k + 1], activation: hidden ? 'relu' : 'linear' }) as tf.Tensor2D);
    }
    const z = inputs[layers]!;
    const weightSum = w.sum();
    // max(z, 0) − z·y + log(1 + e^−|z|), as tf.losses.sigmoidCrossEntropy computes it.
    const perRow = tf.relu(z).sub(z.mul(y)).add(tf.log1p(tf.exp(z.abs().neg())));
    let loss = perRow.mul(w).sum().div(weightSum) as tf.Scalar;
    if (l2 > 0) loss = loss.add(tf.addN(variables.filter((_, i) => i % 2 === 0).map((k) => k.square().sum())).mul(l2));

    // Backward: δ at the logit is w·(σ(z) − y) / Σw.
    let delta = tf.sigmoid(z).sub(y).mul(w).div(weightSum) as tf.Tensor2D;
    const grads: tf.NamedTensorMap = {};
    for (let k = layers - 1; k >= 0; k--) {
      const [kernel, bias] = [variables[2 * k]!, variables[2 * k + 1]!];
      let kernelGrad: tf.Tensor = k === 0 ? tf.matMul(xT, delta) : tf.matMul(inputs[k]!, delta, true, false);
      if (l2 > 0) kernelGrad = kernelGrad.add(kernel.mul(2 * l2));
      grads[kernel.name] = kernelGrad;
      grads[bias.name] = delta.sum(0);
      // Through the ReLU below: its output is positive exactly where its gradient is 1.
      if (k > 0) delta = tf.matMul(delta, kernel as tf.Tensor2D, false, true).mul(tf.step(inputs[k]!)) as tf.Tensor2D;
    }
    return { loss, grads };
  });
}

/** One Adam (or other optimiser) step on the batch; returns the batch loss, left on the backend. */
export function churnStep(model: tf.LayersModel, optimizer: tf.Optimizer, l2: number, batch: ChurnBatch): tf.Scalar {
  const { loss, grads } = churnGradients(model, l2, batch);
  optimizer.applyGradients(grads);
  tf.dispose(grads);
  return loss;
}

/** The same objective through `model.apply` and TF.js's own loss, for autodiff: the reference the hand-written gradients are checked and timed against. */
export function churnLoss(model: tf.LayersModel, l2: number, { x, y, w }: ChurnBatch): tf.Scalar {
  const data = tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D, w, 0, tf.Reduction.MEAN) as tf.Scalar;
  const kernels = model.trainableWeights.filter((_, i) => i % 2 === 0).map((v) => v.read());
  return l2 > 0 ? data.add(tf.addN(kernels.map((k) => k.square().sum())).mul(l2)) : data;
}
