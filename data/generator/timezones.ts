/**
 * Where customers live and what their wall clock says. Behaviour (email opens, lunchtime
 * browsing) is drawn in local time and stored in UTC, so the offset must follow DST exactly as
 * `Intl` reports it: anything reading the events back with `Intl` then sees the intended hour.
 */

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface Zone {
  tz: string;
  country: string;
  /** Share of customers, before normalising. */
  weight: number;
  /** Seasons are flipped: garden and outdoor demand peaks in northern winter. */
  southern: boolean;
}

export const zones: readonly Zone[] = [
  { tz: 'America/New_York', country: 'US', weight: 16, southern: false },
  { tz: 'America/Chicago', country: 'US', weight: 9, southern: false },
  { tz: 'America/Denver', country: 'US', weight: 4, southern: false },
  { tz: 'America/Los_Angeles', country: 'US', weight: 10, southern: false },
  { tz: 'America/Toronto', country: 'CA', weight: 4, southern: false },
  { tz: 'America/Vancouver', country: 'CA', weight: 2, southern: false },
  { tz: 'America/Mexico_City', country: 'MX', weight: 3, southern: false },
  { tz: 'America/Sao_Paulo', country: 'BR', weight: 3, southern: true },
  { tz: 'America/Argentina/Buenos_Aires', country: 'AR', weight: 1, southern: true },
  { tz: 'Europe/London', country: 'GB', weight: 9, southern: false },
  { tz: 'Europe/Dublin', country: 'IE', weight: 2, southern: false },
  { tz: 'Europe/Paris', country: 'FR', weight: 5, southern: false },
  { tz: 'Europe/Berlin', country: 'DE', weight: 6, southern: false },
  { tz: 'Europe/Madrid', country: 'ES', weight: 3, southern: false },
  { tz: 'Europe/Amsterdam', country: 'NL', weight: 2, southern: false },
  { tz: 'Europe/Stockholm', country: 'SE', weight: 2, southern: false },
  { tz: 'Africa/Johannesburg', country: 'ZA', weight: 1, southern: true },
  { tz: 'Asia/Kolkata', country: 'IN', weight: 2, southern: false },
  { tz: 'Asia/Singapore', country: 'SG', weight: 2, southern: false },
  { tz: 'Asia/Tokyo', country: 'JP', weight: 3, southern: false },
  { tz: 'Australia/Sydney', country: 'AU', weight: 6, southern: true },
  { tz: 'Australia/Perth', country: 'AU', weight: 1, southern: true },
  { tz: 'Pacific/Auckland', country: 'NZ', weight: 2, southern: true },
];

export const zoneWeights: readonly number[] = zones.map((z) => z.weight);

/** UTC offset of one zone, cached per UTC day; `Intl` is asked ~once a day plus a few times per DST change. */
export class LocalClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly dayStartOffset = new Map<number, number>();
  private readonly transitions = new Map<number, number>();

  constructor(readonly tz: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /** Local time minus UTC, in ms, at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    const day = Math.floor(utcMs / DAY);
    const before = this.startOffset(day);
    const after = this.startOffset(day + 1);
    if (before === after) return before;
    return utcMs < this.transitionIn(day, before) ? before : after;
  }

  localHour(utcMs: number): number {
    return Math.floor((((utcMs + this.offsetAt(utcMs)) % DAY) + DAY) % DAY / HOUR);
  }

  /** Local wall-clock time expressed as if it were UTC: day and hour arithmetic is then plain division. */
  toLocal(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }

  /** Inverse of `toLocal`; a wall time skipped by DST lands an hour later, as a phone alarm would. */
  toUtc(localMs: number): number {
    const guess = localMs - this.offsetAt(localMs);
    const offset = this.offsetAt(guess);
    return localMs - offset;
  }

  private startOffset(day: number): number {
    let offset = this.dayStartOffset.get(day);
    if (offset === undefined) {
      offset = this.exactOffset(day * DAY);
      this.dayStartOffset.set(day, offset);
    }
    return offset;
  }

  /** Binary search (to the quarter hour) for the DST change inside a UTC day. */
  private transitionIn(day: number, before: number): number {
    let at = this.transitions.get(day);
    if (at === undefined) {
      let lo = 0;
      let hi = 96;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (this.exactOffset(day * DAY + mid * 900_000) === before) lo = mid;
        else hi = mid;
      }
      at = day * DAY + hi * 900_000;
      this.transitions.set(day, at);
    }
    return at;
  }

  private exactOffset(utcMs: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
    return wall - utcMs;
  }
}

const clocks = new Map<string, LocalClock>();

export function clockFor(tz: string): LocalClock {
  let clock = clocks.get(tz);
  if (!clock) {
    clock = new LocalClock(tz);
    clocks.set(tz, clock);
  }
  return clock;
}
