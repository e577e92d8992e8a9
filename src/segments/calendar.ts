import { z } from 'zod';
import { seasonOfMonth, seasons, type Season } from '../features/time.js';

/**
 * When seasonal segments are active. Climate seasons are meteorological and flip south of the
 * equator (the same rule the `spendShare*` features use, so "spent in summer" and "it is summer
 * now" agree); calendar occasions (the holiday period, gifting dates) are the same dates in both
 * hemispheres. A shop overrides any part with its own calendar.
 */

export type Hemisphere = 'north' | 'south';
export const hemispheres: readonly Hemisphere[] = ['north', 'south'];

/** A yearly window of month-day numbers (`1115` = 15 November), inclusive; it may wrap the year end. */
const monthDay = z.number().int().min(101).max(1231);
const windowSchema = z.strictObject({ from: monthDay, to: monthDay });
export type YearWindow = z.infer<typeof windowSchema>;

export const seasonCalendarSchema = z.strictObject({
  /** The holiday shopping period. */
  holiday: windowSchema,
  /** Gift-giving occasions besides the holidays (Valentine's, Mother's Day…). */
  gifting: z.array(windowSchema).max(20),
  /** Which climate seasons each category sells in (categories not listed are never "in season"). */
  categorySeasons: z.record(z.string().min(1).max(200), z.array(z.enum(seasons)).min(1)),
});
export type SeasonCalendar = z.infer<typeof seasonCalendarSchema>;

/** The occasions a `{season}` condition names: the four climate seasons plus calendar occasions. */
export const occasions = [...seasons, 'holiday', 'gifting'] as const;
export type Occasion = (typeof occasions)[number];

export const defaultCalendar: SeasonCalendar = {
  holiday: { from: 1115, to: 1231 },
  gifting: [
    { from: 201, to: 214 },
    { from: 425, to: 512 },
    { from: 1115, to: 1231 },
  ],
  categorySeasons: {
    garden: ['spring', 'summer'],
    outdoor: ['summer'],
    apparel: ['autumn', 'winter'],
    gifts: ['winter'],
  },
};

const inWindow = (md: number, w: YearWindow) =>
  w.from <= w.to ? md >= w.from && md <= w.to : md >= w.from || md <= w.to;

/** The climate season at `now` in a hemisphere (UTC date: a day's error at the boundary is harmless for marketing). */
export function climateSeason(now: Date, hemisphere: Hemisphere): Season {
  return seasons[seasonOfMonth(now.getUTCMonth() + 1, hemisphere === 'south')]!;
}

/** Whether an occasion is in force at `now` for customers of a hemisphere. */
export function isOccasionActive(
  occasion: Occasion,
  now: Date,
  hemisphere: Hemisphere,
  calendar: SeasonCalendar = defaultCalendar,
): boolean {
  const md = (now.getUTCMonth() + 1) * 100 + now.getUTCDate();
  if (occasion === 'holiday') return inWindow(md, calendar.holiday);
  if (occasion === 'gifting') return calendar.gifting.some((w) => inWindow(md, w));
  return climateSeason(now, hemisphere) === occasion;
}

/** Categories selling in the season a hemisphere is in at `now`. */
export function categoriesInSeason(
  now: Date,
  hemisphere: Hemisphere,
  calendar: SeasonCalendar = defaultCalendar,
): string[] {
  const season = climateSeason(now, hemisphere);
  return Object.entries(calendar.categorySeasons)
    .filter(([, inSeasons]) => inSeasons.includes(season))
    .map(([category]) => category)
    .sort();
}
