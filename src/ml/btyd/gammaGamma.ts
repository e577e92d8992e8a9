import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { expectedPurchases, type BgNbdCustomer, type BgNbdParams } from './bgnbd.js';
import { groupRows, type FitResult } from './fitResult.js';
import { lgamma } from './lgamma.js';
import { minimize, type MinimizeOptions } from './minimize.js';

/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie's note on it):
 * each purchase's value is Gamma(p, ν) around the customer's own mean, with ν ~ Gamma(q, v)
 * across customers, independent of how often they buy.
 */
export type GammaGammaParams = { p: number; q: number; v: number };

export type FitGammaGammaOptions = MinimizeOptions & { initial?: Partial<GammaGammaParams> };

/**
 * Maximum-likelihood fit on customers' repeat-purchase counts x and mean repeat-purchase values m,
 * with TF.js gradients of the log-likelihood in log-parameter space. Customers with x = 0 carry
 * no spend information (they have no repeat purchase to average) and are left out, as in
 * lifetimes; a repeat buyer with m ≤ 0 is invalid input (the model is for positive values).
 */
export async function fitGammaGamma(
  frequency: readonly number[],
  monetaryValue: readonly number[],
  options: FitGammaGammaOptions = {},
): Promise<FitResult<GammaGammaParams>> {
  if (frequency.length !== monetaryValue.length) throw new Error('frequency and monetaryValue differ in length');
  const buyers: { x: number; m: number }[] = [];
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i]!;
    const m = monetaryValue[i]!;
    if (!(Number.isInteger(x) && x >= 0))
      return {
        ok: false,
        error: { type: 'invalid_data', message: `customer ${i}: frequency must be an integer ≥ 0, got ${x}` },
      };
    if (x === 0) continue;
    if (!(m > 0 && Number.isFinite(m)))
      return {
        ok: false,
        error: { type: 'invalid_data', message: `customer ${i}: monetary value must be > 0, got ${m}` },
      };
    buyers.push({ x, m });
  }
  if (buyers.length === 0)
    return { ok: false, error: { type: 'no_data', message: 'no customer with a repeat purchase' } };
  await initBackend();

  const rows = groupRows(buyers, (c) => [c.x, c.m]);
  const meanSpend = buyers.reduce((sum, c) => sum + c.m, 0) / buyers.length;
  // q = 2 puts the starting population mean spend p·v/(q−1) at the observed mean.
  const start = { p: 1, q: 2, v: meanSpend, ...options.initial };
  // −Σ log m is the same for every (p, q, v); it is added back in float64 rather than carried
  // through float32 tf ops where it would only cost precision.
  const logMSum = buyers.reduce((sum, c) => sum + Math.log(c.m), 0);

  const x = tf.tensor1d(rows.map((row) => row.key[0]!));
  const xm = tf.tensor1d(rows.map((row) => row.key[0]! * row.key[1]!));
  const weight = tf.tensor1d(rows.map((row) => row.weight));
  try {
    const result = minimize(
      (theta) => {
        const [p, q, v] = tf.unstack(theta.exp()) as [tf.Scalar, tf.Scalar, tf.Scalar];
        const px = x.mul(p);
        // q·log v + (px−1)·log m + px·log x − (px+q)·log(xm+v), regrouped into two log1p terms
        // of moderate size instead of several large logs that cancel in float32.
        const logLik = lgamma(px.add(q))
          .sub(lgamma(px))
          .sub(lgamma(q))
          .sub(px.mul(v.div(xm).log1p()))
          .sub(q.mul(xm.div(v).log1p()));
        return logLik.mul(weight).sum().div(buyers.length).neg() as tf.Scalar;
      },
      [start.p, start.q, start.v].map(Math.log),
      options,
    );
    const [p, q, v] = result.theta.map(Math.exp) as [number, number, number];
    const fit = { params: { p, q, v }, nll: result.value * buyers.length + logMSum, iterations: result.iterations };
    if (!result.converged || !Number.isFinite(fit.nll))
      return {
        ok: false,
        error: {
          type: 'not_converged',
          message: `Gamma-Gamma fit did not converge in ${result.iterations} iterations`,
          last: fit,
        },
      };
    return { ok: true, value: fit };
  } finally {
    tf.dispose([x, xm, weight]);
  }
}

/**
 * E[value of a purchase | x repeat purchases averaging m]: a credibility-weighted mix of the
 * population mean p·v/(q−1) and the customer's own m. With x = 0 it is the population mean.
 * Needs q > 1 (otherwise the population mean is infinite).
 */
export function expectedAverageSpend(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, v } = params;
  return (p * (v + x * m)) / (p * x + q - 1);
}

export type LifetimeValueOptions = {
  /** Length of the future window, in the BG/NBD data's time unit. */
  horizon: number;
  /** Discount rate per period; 0 (the default) means undiscounted. */
  discountRate?: number;
  /** Number of equal periods the horizon is split into for discounting. */
  periods?: number;
};

/**
 * Expected revenue over the horizon: BG/NBD expected purchases × Gamma-Gamma expected spend.
 * With a discount rate, the purchases expected in each period are discounted to the start.
 */
export function customerLifetimeValue(
  models: { bgnbd: BgNbdParams; gammaGamma: GammaGammaParams },
  customer: BgNbdCustomer & { monetary: number },
  options: LifetimeValueOptions,
): number {
  const { x, t_x, T, monetary } = customer;
  const spend = expectedAverageSpend(models.gammaGamma, x, monetary);
  const rate = options.discountRate ?? 0;
  if (rate === 0) return expectedPurchases(models.bgnbd, options.horizon, x, t_x, T) * spend;
  const periods = options.periods ?? 1;
  const step = options.horizon / periods;
  let value = 0;
  let before = 0;
  for (let i = 1; i <= periods; i++) {
    const upTo = expectedPurchases(models.bgnbd, i * step, x, t_x, T);
    value += ((upTo - before) * spend) / (1 + rate) ** i;
    before = upTo;
  }
  return value;
}
