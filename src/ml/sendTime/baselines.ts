import { openHourNames } from '../../features/email.js';
import type { TrainingRows } from '../trainingSet.js';
import { bestWindowHour, HOURS } from './hours.js';
import { openHourPrior } from './shrinkage.js';

/**
 * The baselines a send-time model has to beat. Both are judged with the same circular hit rate
 * as the model, and both are given their best shot: the one hour for everyone is the shop's
 * best ±radius window (radius 0 is the plain mode), and ties in a customer's own histogram go
 * to the hour the shop as a whole prefers.
 */

/** The one hour that, sent to everyone, hits the most typical customers' opens within ±radius. */
export function shopWideBestHour(histograms: readonly (readonly number[])[], radius = 1): number {
  return bestWindowHour(openHourPrior(histograms), radius).hour;
}

/**
 * Each customer's most frequent past open hour; ties go to the hour with the higher prior
 * probability (then the earliest), and a customer without opens gets `fallbackHour`.
 */
export function mostFrequentPastHour(
  histogram: readonly number[],
  prior: readonly number[],
  fallbackHour: number,
): number {
  let hour = -1;
  for (let h = 0; h < HOURS; h++) {
    const c = histogram[h]!;
    if (c <= 0) continue;
    if (hour < 0 || c > histogram[hour]! || (c === histogram[hour]! && prior[h]! > prior[hour]!)) hour = h;
  }
  return hour < 0 ? fallbackHour : hour;
}

/** The 24 open-hour counts of each row, from the `openHour_*` features kept raw. */
export function openHistograms(rows: Pick<TrainingRows, 'raw' | 'rows'>): number[][] {
  const columns = openHourNames.map((name) => rows.raw[name] ?? new Float64Array(rows.rows));
  return Array.from({ length: rows.rows }, (_, i) => columns.map((c) => (Number.isFinite(c[i]!) ? c[i]! : 0)));
}
