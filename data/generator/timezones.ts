/**
 * Where customers live and what their wall clock says. Behaviour (email opens, lunchtime
 * browsing) is drawn in local time and stored in UTC, so the offset must follow DST exactly as
 * `Intl` reports it: anything reading the events back with `Intl` then sees the intended hour.
 */
import { localHour, offsetFnFor, type OffsetFn } from '../../src/features/time.js';

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

/**
 * A zone's wall clock for the simulation, on the same cached offsets the feature folds read
 * local time with (src/features/time.ts), so generated and folded hours cannot disagree.
 */
export class LocalClock {
  /** Local time minus UTC, in ms, at the instant `utcMs`. */
  readonly offsetAt: OffsetFn;

  constructor(readonly tz: string) {
    this.offsetAt = offsetFnFor(tz);
  }

  localHour(utcMs: number): number {
    return localHour(utcMs, this.offsetAt);
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
