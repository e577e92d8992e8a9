/**
 * Sudden drops: a day's volume against the median of the same weekday over the previous four weeks
 * (the weekly rhythm of a shop is its largest swing: a quiet Sunday against a week's median would
 * raise an alarm every Sunday), judged once two such weekdays are known. Today is compared over
 * its complete hours only, with the same hours of the baseline days.
 *
 * Flagged when the day has under half its baseline and the baseline is at least 20 events. Why
 * these: a broken tag falls to near zero, far below half; and with Poisson noise around a mean of
 * 20 a count under 10 happens about 1% of the time (P(X≤10 | λ=20) ≈ 0.011; at λ=50, P(X≤25) ≈
 * 1e-4), so a quiet source or type raises no alarm on noise alone, while its drop to a trickle still does.
 */
export const DROP_RATIO = 0.5;
export const MIN_BASELINE = 20;
const DAY_MS = 86_400_000;

export interface Drop {
  day: string;
  /** Hours of the day compared (24, or today's complete hours). */
  hours: number;
  events: number;
  baseline: number;
  ratio: number;
  /** How many of the four previous same weekdays the baseline is the median of. */
  baselineDays: number;
}

export const dayOffset = (day: string, days: number) =>
  new Date(Date.parse(day) + days * DAY_MS).toISOString().slice(0, 10);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The drop on `day`, if any. `hoursOf(d)`: the (source, type)'s events per receipt hour on day d,
 * or undefined when nothing at all was received that day (no evidence either way).
 */
export function dropOn(day: string, hoursOf: (day: string) => readonly number[] | undefined, now: Date): Drop | null {
  const today = now.toISOString().slice(0, 10);
  if (day > today) return null;
  const hours = day === today ? now.getUTCHours() : 24;
  if (hours === 0) return null;
  const sum = (d: string) => {
    const h = hoursOf(d);
    return h === undefined ? undefined : h.slice(0, hours).reduce((a, b) => a + b, 0);
  };
  // A day on which nothing at all was received is not judged: the server was likely not running.
  const events = sum(day);
  if (events === undefined) return null;
  const weekdays = [7, 14, 21, 28].map((k) => sum(dayOffset(day, -k))).filter((n) => n !== undefined);
  if (weekdays.length < 2) return null;
  const baseline = median(weekdays);
  if (baseline < MIN_BASELINE || events >= DROP_RATIO * baseline) return null;
  return { day, hours, events, baseline, ratio: events / baseline, baselineDays: weekdays.length };
}
