import * as tf from '@tensorflow/tfjs';

/**
 * Training steps of the churn MLP (ReLU hidden layers, one linear logit) with the gradients and
 * Adam written out, instead of `optimizer.minimize` over `model.apply`. The matrix products run
 * on the backend; the loss at the logit, the L2 term and Adam (a few thousand parameters) run in
 * JS. Why, measured on the wasm backend:
 * - TF.js autodiff takes each dense kernel's gradient as a transposed matmul (xᵀ · δ), which runs
 *   about 12× slower than a plain one ([4096 × 100]ᵀ · [4096 × 16]: 28 ms, against 2.3 ms for the
 *   same product with x already transposed). The first layer's gradient here reads a transposed
 *   copy of the batch instead; the later layers' products are [batch × 16]-sized.
 * - A step was ~180 kernels (loss, penalty, Adam's dozen ops per variable), each with a fixed
 *   cost that dominates at 512 rows; it is now about ten, plus reads and writes of small arrays.
 *
 * The objective is unchanged: Σ wᵢ·BCE(yᵢ, zᵢ) / Σ wᵢ over the batch (tf.losses.sigmoidCrossEntropy
 * with Reduction.MEAN) plus l2 · Σ‖kernel‖², and Adam is tf.train.adam's update;
 * tests/ml.churn.trainStep.test.ts checks both against TF.js.
 */

export type ChurnBatch = {
  /** Standardised rows [batch, d]. */
  x: tf.Tensor2D;
  /** The same rows transposed, [d, batch]. */
  xT: tf.Tensor2D;
  /** Labels and class weights, one per row. */
  y: Float32Array;
  w: Float32Array;
};

export type ChurnStepper = {
  /** The batch's penalised loss and the gradient of each trainable variable, in model order. */
  gradients(batch: ChurnBatch): { loss: number; grads: Float32Array[] };
  /** One Adam step on the batch; returns the batch's loss before it. */
  step(batch: ChurnBatch): number;
};

export type StepperOptions = { learningRate: number; l2: number; beta1?: number; beta2?: number };

export function churnStepper(
  model: tf.LayersModel,
  { learningRate, l2, beta1 = 0.9, beta2 = 0.999 }: StepperOptions,
): ChurnStepper {
  const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const layers = variables.length / 2;
  // JS copies of the parameters, written back to the model after every step.
  const params = variables.map((v) => Float32Array.from(v.dataSync()));
  const firstMoment = params.map((p) => new Float64Array(p.length));
  const secondMoment = params.map((p) => new Float64Array(p.length));
  // tf.train.adam's default: the backend's float32 epsilon.
  const epsilon = tf.backend().epsilon();
  let steps = 0;

  function gradients({ x, xT, y, w }: ChurnBatch): { loss: number; grads: Float32Array[] } {
    // Forward: the inputs of every layer, the last output being the logit.
    const outputs = tf.tidy(() => {
      const out: tf.Tensor2D[] = [];
      for (let k = 0; k < layers; k++) {
        const input = k === 0 ? x : out[k - 1]!;
        out.push(
          tf.fused.matMul({
            a: input,
            b: variables[2 * k] as tf.Tensor2D,
            bias: variables[2 * k + 1],
            activation: k < layers - 1 ? 'relu' : 'linear',
          }) as tf.Tensor2D,
        );
      }
      return out;
    });
    try {
      const z = outputs[layers - 1]!.dataSync();
      const n = z.length;
      let weightSum = 0;
      for (let i = 0; i < n; i++) weightSum += w[i]!;
      // max(z, 0) − z·y + log(1 + e^−|z|), as tf.losses.sigmoidCrossEntropy computes it; δ = w·(σ(z) − y) / Σw.
      let loss = 0;
      const delta = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const zi = z[i]!;
        loss += w[i]! * (Math.max(zi, 0) - zi * y[i]! + Math.log1p(Math.exp(-Math.abs(zi))));
        delta[i] = (w[i]! * (1 / (1 + Math.exp(-zi)) - y[i]!)) / weightSum;
      }
      loss /= weightSum;
      const gradTensors = tf.tidy(() => {
        let d = tf.tensor2d(delta, [n, 1]);
        const grads: tf.Tensor[] = [];
        for (let k = layers - 1; k >= 0; k--) {
          const kernel = variables[2 * k] as tf.Tensor2D;
          grads[2 * k] = k === 0 ? tf.matMul(xT, d) : tf.matMul(outputs[k - 1]!, d, true, false);
          grads[2 * k + 1] = d.sum(0);
          // Through the ReLU below: its output is positive exactly where its gradient is 1.
          if (k > 0) d = tf.matMul(d, kernel, false, true).mul(tf.step(outputs[k - 1]!));
        }
        return grads;
      });
      const grads = gradTensors.map((t) => t.dataSync() as Float32Array);
      tf.dispose(gradTensors);
      if (l2 > 0) {
        for (let k = 0; k < layers; k++) {
          const [kernel, grad] = [params[2 * k]!, grads[2 * k]!];
          for (let j = 0; j < kernel.length; j++) {
            loss += l2 * kernel[j]! * kernel[j]!;
            grad[j]! += 2 * l2 * kernel[j]!;
          }
        }
      }
      return { loss, grads };
    } finally {
      tf.dispose(outputs);
    }
  }

  function step(batch: ChurnBatch): number {
    const { loss, grads } = gradients(batch);
    steps++;
    const [correction1, correction2] = [1 - beta1 ** steps, 1 - beta2 ** steps];
    params.forEach((p, i) => {
      const [g, m, v] = [grads[i]!, firstMoment[i]!, secondMoment[i]!];
      for (let j = 0; j < p.length; j++) {
        m[j] = beta1 * m[j]! + (1 - beta1) * g[j]!;
        v[j] = beta2 * v[j]! + (1 - beta2) * g[j]! * g[j]!;
        p[j]! -= (learningRate * (m[j]! / correction1)) / (Math.sqrt(v[j]! / correction2) + epsilon);
      }
      // A copy: the cpu backend would keep `p` itself as the tensor's storage.
      const value = tf.tensor(p.slice(), variables[i]!.shape);
      variables[i]!.assign(value);
      value.dispose();
    });
    return loss;
  }

  return { gradients, step };
}

/** The same objective through `model.apply` and TF.js's own loss, for autodiff: the reference the written-out steps are checked and timed against. */
export function churnLoss(model: tf.LayersModel, l2: number, { x, y, w }: ChurnBatch): tf.Scalar {
  const n = y.length;
  const data = tf.losses.sigmoidCrossEntropy(
    tf.tensor2d(y, [n, 1]),
    model.apply(x, { training: true }) as tf.Tensor2D,
    tf.tensor2d(w, [n, 1]),
    0,
    tf.Reduction.MEAN,
  ) as tf.Scalar;
  const kernels = model.trainableWeights.filter((_, i) => i % 2 === 0).map((v) => v.read());
  return l2 > 0 ? data.add(tf.addN(kernels.map((k) => k.square().sum())).mul(l2)) : data;
}
