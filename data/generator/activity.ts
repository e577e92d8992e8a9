import type { LocalClock } from './timezones.js';
import { DAY, HOUR } from './timezones.js';

/**
 * When in the local week a customer shops. Sessions and orders are drawn from a Poisson process
 * thinned by these weights, so the hour-of-day and weekday signal in the events is real.
 */
export const browsingPatterns = ['lunchtime', 'weekend_mobile', 'evening', 'anytime'] as const;
export type BrowsingPattern = (typeof browsingPatterns)[number];

/** A typical shopper's day: quiet at night, a lunch bump, an evening peak. */
const baseHourly = [
  0.15, 0.08, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.8, 0.8, 0.9, 1.1, 1.0, 0.8, 0.8, 0.8, 0.9, 1.2, 1.5, 1.7, 1.5,
  1.0, 0.5,
];

function rawWeight(pattern: BrowsingPattern, hour: number, weekend: boolean): number {
  const base = baseHourly[hour]!;
  switch (pattern) {
    case 'lunchtime':
      return !weekend && (hour === 12 || hour === 13) ? base * 5 : base;
    case 'weekend_mobile':
      return weekend ? base * 3 : base * 0.5;
    case 'evening':
      return hour >= 18 && hour <= 22 ? base * 2 : base * 0.6;
    case 'anytime':
      return 0.5 + base * 0.5;
  }
}

/** Weights scaled to average 1 over a week, and their maximum (the thinning envelope). */
const table = new Map<BrowsingPattern, { weights: number[][]; max: number }>(
  browsingPatterns.map((pattern) => {
    const weights = [false, true].map((weekend) => baseHourly.map((_, hour) => rawWeight(pattern, hour, weekend)));
    const mean = (5 * weights[0]!.reduce((s, w) => s + w, 0) + 2 * weights[1]!.reduce((s, w) => s + w, 0)) / 168;
    const scaled = weights.map((row) => row.map((w) => w / mean));
    return [pattern, { weights: scaled, max: Math.max(...scaled.flat()) }];
  }),
);

export function activityMax(pattern: BrowsingPattern): number {
  return table.get(pattern)!.max;
}

/** Relative activity at a UTC instant for this customer's pattern and clock (mean 1 over a week). */
export function activityAt(pattern: BrowsingPattern, clock: LocalClock, utcMs: number): number {
  const local = clock.toLocal(utcMs);
  return table.get(pattern)!.weights[isWeekend(local) ? 1 : 0]![Math.floor((local % DAY) / HOUR)]!;
}

/** Weekday of a local-as-UTC timestamp; 1970-01-01 was a Thursday. */
export function isWeekend(localMs: number): boolean {
  const weekday = (Math.floor(localMs / DAY) + 4) % 7;
  return weekday === 0 || weekday === 6;
}
