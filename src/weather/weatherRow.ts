import { z } from 'zod';

/**
 * One row of a shop's daily weather table, as the CSV, NDJSON and JSON inputs give it: the day's
 * temperature in °C, precipitation in mm and a condition word, per region and local date.
 * Numbers may arrive as text (CSV); the bounds are the Earth's records with room to spare.
 */
const numeric = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number({ error: 'expected a number' }).finite().min(min).max(max),
  );

export const weatherRowSchema = z
  .strictObject({
    date: z.iso.date({ error: 'expected a date as YYYY-MM-DD' }),
    region: z.string().trim().min(1).max(100),
    temperature: numeric(-90, 60).describe('the day’s temperature, °C'),
    precipitation: z
      .preprocess((v) => (v === '' || v === null ? undefined : v), numeric(0, 2000).optional())
      .describe('mm'),
    condition: z
      .preprocess((v) => (v === '' || v === null ? undefined : v), z.string().trim().min(1).max(40).optional())
      .describe('e.g. clear, cloudy, rain, snow'),
  })
  .meta({ id: 'WeatherRow' });

export type WeatherRow = z.output<typeof weatherRowSchema>;

/** How a region is compared with customers' locations: trimmed, lower case, inner spaces collapsed. */
export function regionKey(region: string): string {
  return region.trim().toLowerCase().replace(/\s+/g, ' ');
}

export const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a YYYY-MM-DD date. */
export function epochDay(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export function dateOfEpochDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
