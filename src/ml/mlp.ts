import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

/** What meta.json keeps of a trained network: its layers, input standardisation and training length. */
export const mlpMetaShape = {
  hidden: z.array(z.number().int().positive()),
  means: z.array(z.number()),
  stds: z.array(z.number()),
  epochs: z.number().int(),
  bestEpoch: z.number().int(),
};

export interface MlpOptions {
  name: string;
  inputDim: number;
  /** Units of each ReLU hidden layer, in order. */
  hidden: readonly number[];
  /** Units of the linear output layer (logits or distribution parameters). */
  outputs: number;
  outputName: string;
  /** Layer i is seeded `seed + i`, so the same seed gives the same initial weights. */
  seed: number;
  outputInitializer?: 'glorotUniform' | 'glorotNormal';
}

/**
 * The feed-forward network shared by the churn and LTV models: ReLU hidden layers with He
 * initialisation and a linear output, so the losses can work on unbounded logits.
 */
export function createMlp({
  name,
  inputDim,
  hidden,
  outputs,
  outputName,
  seed,
  outputInitializer = 'glorotUniform',
}: MlpOptions): tf.Sequential {
  const model = tf.sequential({ name });
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [inputDim] } : {}),
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
        name: `hidden${i + 1}`,
      }),
    );
  });
  const outputSeed = { seed: seed + hidden.length };
  model.add(
    tf.layers.dense({
      ...(hidden.length === 0 ? { inputShape: [inputDim] } : {}),
      units: outputs,
      kernelInitializer:
        outputInitializer === 'glorotNormal'
          ? tf.initializers.glorotNormal(outputSeed)
          : tf.initializers.glorotUniform(outputSeed),
      name: outputName,
    }),
  );
  return model;
}
