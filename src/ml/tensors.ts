import * as tf from '@tensorflow/tfjs';

/**
 * Runs `fn` in tf.tidy and reads its result. The read happens outside tidy on purpose: tidy
 * walks its return value looking for tensors, element by element for a typed array (measured:
 * 0.7 s for an 8192 × 101 array, against 20 ms for the computation).
 */
export function readTensor(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}
