import { offsetFnFor, type OffsetFn } from '../../features/time.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface QuietHours {
  /** Local hour quiet time starts (21 = 21:00). */
  start: number;
  /** Local hour it ends (8 = 08:00). */
  end: number;
}

export const defaultQuietHours: QuietHours = { start: 21, end: 8 };
/** Where a non-urgent message goes when the customer has no best send hour yet. */
export const DEFAULT_SEND_HOUR = 10;

export interface SendTimeInput {
  /** When the step falls due (trigger + delay, or the end of a deferral), ms since the epoch. */
  due: number;
  timezone: string;
  /** `scores.bestSendHour`, local hour 0–23. */
  bestHour?: number | null;
  /** Send as soon as due (quiet hours still hold). */
  immediate: boolean;
  /** Transactional mail ignores quiet hours and best hours: it goes when due. */
  transactional: boolean;
  quiet?: QuietHours;
}

export function isQuietHour(hour: number, quiet: QuietHours): boolean {
  return quiet.start > quiet.end ? hour >= quiet.start || hour < quiet.end : hour >= quiet.start && hour < quiet.end;
}

/** The instant of local `hour`:00 on the local day `localDayStart` (local ms at 00:00). */
function atLocalHour(localDayStart: number, hour: number, offset: OffsetFn): number {
  const local = localDayStart + hour * HOUR;
  // The offset at the target instant, found from a first guess (exact except inside a DST jump).
  return local - offset(local - offset(local));
}

/** A best hour inside quiet hours moves to the nearest allowed hour on the same side of midnight. */
export function allowedHour(hour: number, quiet: QuietHours): number {
  if (!isQuietHour(hour, quiet)) return hour;
  return quiet.start > quiet.end && hour < quiet.end ? quiet.end : (quiet.start + 23) % 24;
}

/**
 * When a due step is actually sent, in the customer's local time: transactional mail at once;
 * urgent steps at once unless in quiet hours (then when they end); the rest at the first
 * occurrence of the customer's best send hour at or after the due time (10:00 without one).
 */
export function sendTimeFor(input: SendTimeInput): number {
  const quiet = input.quiet ?? defaultQuietHours;
  if (input.transactional) return input.due;
  const offset = offsetFnFor(input.timezone);
  const local = input.due + offset(input.due);
  const dayStart = local - (((local % DAY) + DAY) % DAY);
  const hourNow = Math.floor((local - dayStart) / HOUR);
  if (input.immediate) {
    if (!isQuietHour(hourNow, quiet)) return input.due;
    const endDay = hourNow >= quiet.end && quiet.start > quiet.end ? dayStart + DAY : dayStart;
    return atLocalHour(endDay, quiet.end, offset);
  }
  const best = input.bestHour;
  const hour = allowedHour(
    best !== null && best !== undefined && Number.isInteger(best) && best >= 0 && best < 24 ? best : DEFAULT_SEND_HOUR,
    quiet,
  );
  if (hourNow === hour) return input.due;
  return atLocalHour(hourNow < hour ? dayStart : dayStart + DAY, hour, offset);
}
