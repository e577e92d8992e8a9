/**
 * Sudden drops: a day's volume against the median of the same weekday over the previous four weeks
 * (the weekly rhythm of a shop is its largest swing), or of the previous seven days while fewer
 * than two such weekdays are known. Today is compared over its complete hours only.
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
  basis: 'same weekday' | 'previous days';
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
 * or undefined when nothing at all was received that day (the server was not running: no evidence).
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
  const known = (offsets: number[]) => offsets.map((k) => sum(dayOffset(day, -k))).filter((n) => n !== undefined);
  const weekdays = known([7, 14, 21, 28]);
  const previous = known([1, 2, 3, 4, 5, 6, 7]);
  const [basis, values] =
    weekdays.length >= 2 ? (['same weekday', weekdays] as const) : (['previous days', previous] as const);
  if (values.length < (basis === 'same weekday' ? 2 : 3)) return null;
  const baseline = median(values);
  const events = sum(day) ?? 0;
  if (baseline < MIN_BASELINE || events >= DROP_RATIO * baseline) return null;
  return { day, hours, events, baseline, ratio: events / baseline, basis };
}
