import { hitRateWithin } from '../metrics.js';
import { bestWindowHour } from './hours.js';

export type SendTimeMetrics = {
  /** Share of next opens within ±1h (circular) of the predicted best hour. */
  hit1h: number;
  hit2h: number;
  /** Mean −log p(actual hour); NaN when no probabilities are given (point baselines). */
  logLoss: number;
  customers: number;
};

/** Probabilities are clipped at `eps` so one confident miss stays finite, as metrics.logLoss does. */
export function evaluateSendTime(
  bestHour: ArrayLike<number>,
  actualHour: ArrayLike<number>,
  probs?: readonly ArrayLike<number>[],
  eps = 1e-15,
): SendTimeMetrics {
  let logLoss = NaN;
  if (probs) {
    if (probs.length !== actualHour.length)
      throw new Error(`metric inputs differ in length: ${probs.length} vs ${actualHour.length}`);
    let sum = 0;
    for (let i = 0; i < probs.length; i++) sum -= Math.log(Math.max(eps, probs[i]![actualHour[i]!]!));
    logLoss = probs.length === 0 ? NaN : sum / probs.length;
  }
  return {
    hit1h: hitRateWithin(bestHour, actualHour, 1),
    hit2h: hitRateWithin(bestHour, actualHour, 2),
    logLoss,
    customers: actualHour.length,
  };
}

/** The fit quality of next-open distributions: log loss, and hit rates of each one's best ±radius hour. */
export function scoreRows(
  probs: number[][],
  actual: number[],
  radius: number,
): { logLoss: number; hit1h: number; hit2h: number } {
  const best = probs.map((p) => bestWindowHour(p, radius).hour);
  const { logLoss, hit1h, hit2h } = evaluateSendTime(best, actual, probs);
  return { logLoss, hit1h, hit2h };
}
