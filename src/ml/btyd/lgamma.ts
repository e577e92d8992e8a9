import * as tf from '@tensorflow/tfjs';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log Γ(z) for z > 0 in tf ops, so likelihoods using it are differentiable (tfjs 4.22 has no
 * `tf.lgamma`). Γ(z) = Γ(z + 6) / (z(z+1)…(z+5)) moves the argument to ≥ 6, where Stirling's
 * series to the z⁻⁵ term is accurate to ~2e-9 — far below float32 resolution. The shift's
 * product is taken as two logs of three factors each: fewer ops than six logs, and no float32
 * overflow until z ≈ 1e12.
 */
export function lgamma(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const w = z.add(6);
    const inv = w.reciprocal();
    const inv2 = inv.square();
    // 1/(12w) − 1/(360w³) + 1/(1260w⁵), in Horner form.
    const series = inv.mul(tf.scalar(1 / 12).sub(inv2.mul(tf.scalar(1 / 360).sub(inv2.mul(1 / 1260)))));
    const stirling = w.sub(0.5).mul(w.log()).sub(w).add(HALF_LOG_2PI).add(series);
    const shift = z
      .mul(z.add(1))
      .mul(z.add(2))
      .log()
      .add(z.add(3).mul(z.add(4)).mul(z.add(5)).log());
    return stirling.sub(shift);
  });
}
