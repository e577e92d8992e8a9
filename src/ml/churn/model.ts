import * as tf from '@tensorflow/tfjs';

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
  const hidden = opts.hidden ?? [16];
  const seed = opts.seed ?? 1;
  const model = tf.sequential({ name: 'churn' });
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [inputDim] } : {}),
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed * 101 + i }),
        name: `hidden${i + 1}`,
      }),
    );
  });
  model.add(tf.layers.dense({ ...(hidden.length === 0 ? { inputShape: [inputDim] } : {}), units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 101 + hidden.length }), name: 'logit' }));
  return model;
}
