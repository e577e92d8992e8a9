import type { z } from 'zod';
import { dayOffset } from './drops.js';
import { defaultEnd, windowDays, type TrackingQuery } from './trackingReport.js';
import { MAX_DAYS, MAX_HOUR_DAYS, type trackingQuerySchema } from './trackingReportSchema.js';

export type TrackingQueryResult =
  | { ok: true; value: TrackingQuery }
  | { ok: false; error: { type: 'validation_failed'; field: 'from' | 'to' | 'by'; message: string } };

/** The window a parsed query asks for, with its defaults (the last seven days), or why it cannot be served. */
export function resolveTrackingQuery(
  parsed: z.output<typeof trackingQuerySchema>,
  now = new Date(),
): TrackingQueryResult {
  const fail = (field: 'from' | 'to' | 'by', message: string) =>
    ({ ok: false, error: { type: 'validation_failed', field, message } }) as const;
  const to = parsed.to ?? defaultEnd(now);
  const q: TrackingQuery = { ...parsed, from: parsed.from ?? dayOffset(to, -7), to };
  if (q.to <= q.from) return fail('to', 'must be after from');
  const days = windowDays(q);
  if (days > MAX_DAYS) return fail('from', `the window is ${days} days; at most ${MAX_DAYS}`);
  if (q.by === 'hour' && days > MAX_HOUR_DAYS)
    return fail('by', `hourly volume covers ${MAX_HOUR_DAYS} days at most; the window is ${days}`);
  return { ok: true, value: q };
}
