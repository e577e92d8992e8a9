import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { hyp2f1 } from './hyp2f1.js';
import { lgamma } from './lgamma.js';
import { minimize, type MinimizeOptions } from './minimize.js';
import { groupRows, type FitResult } from './fitResult.js';

/**
 * BG/NBD ("counting your customers the easy way", Fader, Hardie & Lee 2005): while alive a
 * customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b).
 */
export type BgNbdParams = { r: number; alpha: number; a: number; b: number };

/** x repeat purchases, the last at t_x, observed for T (all in one time unit). */
export type BgNbdCustomer = { x: number; t_x: number; T: number };

export type FitBgNbdOptions = MinimizeOptions & { initial?: Partial<BgNbdParams> };

/**
 * Maximum-likelihood fit. The four parameters live in log space (so they stay positive) and the
 * log-likelihood is written in tf ops, so TF.js supplies the exact gradient. Customers with the
 * same (x, t_x, T) are folded into one weighted row: the likelihood only depends on those three.
 */
export async function fitBgNbd(
  data: readonly BgNbdCustomer[],
  options: FitBgNbdOptions = {},
): Promise<FitResult<BgNbdParams>> {
  if (data.length === 0) return { ok: false, error: { type: 'no_data', message: 'no customers to fit' } };
  const bad = data.findIndex(
    (c) =>
      !(Number.isInteger(c.x) && c.x >= 0 && c.t_x >= 0 && c.T >= c.t_x && Number.isFinite(c.T)) ||
      c.x > 0 !== c.t_x > 0,
  );
  if (bad >= 0)
    return {
      ok: false,
      error: {
        type: 'invalid_data',
        message: `customer ${bad}: need integer x ≥ 0, 0 ≤ t_x ≤ T, and t_x > 0 exactly when x > 0; got ${JSON.stringify(data[bad])}`,
      },
    };
  await initBackend();

  const rows = groupRows(data, (c) => [c.x, c.t_x, c.T]);
  const meanT = data.reduce((sum, c) => sum + c.T, 0) / data.length;
  const start = { r: 1, alpha: Math.max(meanT, 1e-3), a: 1, b: 1, ...options.initial };

  const x = tf.tensor1d(rows.map((row) => row.key[0]!));
  const tx = tf.tensor1d(rows.map((row) => row.key[1]!));
  const T = tf.tensor1d(rows.map((row) => row.key[2]!));
  const weight = tf.tensor1d(rows.map((row) => row.weight));
  const repeat = x.greater(0).cast('float32');
  // Where x = 0 the second term is switched off by `repeat`; computing it with x = 1 keeps
  // log(b + x − 1) finite, since a NaN there would poison the gradient even when masked.
  const xAtLeast1 = x.maximum(1);
  try {
    const result = minimize(
      (theta) => {
        const [r, alpha, a, b] = tf.unstack(theta.exp()) as [tf.Scalar, tf.Scalar, tf.Scalar, tf.Scalar];
        const rx = x.add(r);
        const a1 = lgamma(rx).sub(lgamma(r)).add(r.mul(alpha.log()));
        const a2 = lgamma(a.add(b))
          .add(lgamma(x.add(b)))
          .sub(lgamma(b))
          .sub(lgamma(a.add(b).add(x)));
        const a3 = rx.neg().mul(T.add(alpha).log());
        const a4 = a
          .log()
          .sub(xAtLeast1.add(b).sub(1).log())
          .sub(rx.mul(tx.add(alpha).log()));
        const top = a3.maximum(a4);
        const mixed = a3
          .sub(top)
          .exp()
          .add(repeat.mul(a4.sub(top).exp()))
          .log()
          .add(top);
        const logLik = a1.add(a2).add(mixed);
        // The mean, not the sum, keeps gradients of order one whatever the number of customers.
        return logLik.mul(weight).sum().div(data.length).neg() as tf.Scalar;
      },
      [start.r, start.alpha, start.a, start.b].map(Math.log),
      options,
    );
    const [r, alpha, a, b] = result.theta.map(Math.exp) as [number, number, number, number];
    const fit = { params: { r, alpha, a, b }, nll: result.value * data.length, iterations: result.iterations };
    if (!result.converged || !Number.isFinite(fit.nll))
      return {
        ok: false,
        error: {
          type: 'not_converged',
          message: `BG/NBD fit did not converge in ${result.iterations} iterations`,
          last: fit,
        },
      };
    return { ok: true, value: fit };
  } finally {
    tf.dispose([x, tx, T, weight, repeat, xAtLeast1]);
  }
}

/** P(still alive at T | x, t_x, T). A customer with no repeat purchase cannot have dropped out yet. */
export function probabilityAlive(params: BgNbdParams, x: number, t_x: number, T: number): number {
  if (x === 0) return 1;
  const { r, alpha, a, b } = params;
  return 1 / (1 + (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + t_x), r + x));
}

/**
 * P(no purchase in (T, T + t] | x, t_x, T): dropped out already, or alive and no purchase in t
 * while λ follows its posterior Gamma(r + x, α + T). The churn probability BG/NBD implies.
 */
export function probabilityNoPurchase(params: BgNbdParams, t: number, x: number, t_x: number, T: number): number {
  const buysIfAlive = 1 - Math.pow((params.alpha + T) / (params.alpha + T + t), params.r + x);
  return 1 - probabilityAlive(params, x, t_x, T) * buysIfAlive;
}

/**
 * E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10). Their
 * ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z) is rewritten with Euler's transform as
 * (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z): the same value, but the series' upper parameters
 * no longer grow with x, so it neither overflows nor needs many terms for frequent buyers.
 */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, t_x: number, T: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = params;
  const z = t / (alpha + T + t);
  const hyper = Math.pow(1 - z, a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
  const numerator = ((a + b + x - 1) / (a - 1)) * (1 - hyper);
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * Math.pow((alpha + T) / (alpha + t_x), r + x) : 0);
  return numerator / denominator;
}

export type NextPurchase = { pAlive: number; waitIfAlive: number };

/**
 * When the next purchase is expected: P(alive) alongside the expected wait if alive. Given the
 * history, λ ~ Gamma(r + x, α + T); the wait uses 1 / E[λ] = (α + T) / (r + x), because E[1/λ]
 * is infinite whenever r + x ≤ 1 (most one-time buyers). Time is counted from T, in the data's unit.
 */
export function nextPurchase(params: BgNbdParams, x: number, t_x: number, T: number): NextPurchase {
  return { pAlive: probabilityAlive(params, x, t_x, T), waitIfAlive: (params.alpha + T) / (params.r + x) };
}
