import type { Database } from '../db/database.js';
import { DAY_MS } from './weatherRow.js';
import { WeatherTable, type RegionWeather } from './weatherTable.js';

/**
 * The weather table changes once a day at most, while the fold runs every few seconds: it is read
 * once and kept for a while, not per fold run and never per event. An import in this process
 * drops the copy at once; another process sees an import within WEATHER_TTL_MS.
 */
const cache = new WeakMap<Database, { at: number; table: Promise<WeatherTable> }>();
export const WEATHER_TTL_MS = 10 * 60_000;

export function cachedWeatherTable(database: Database): Promise<WeatherTable> {
  const hit = cache.get(database);
  if (hit && Date.now() - hit.at < WEATHER_TTL_MS) return hit.table;
  const table = loadWeatherTable(database);
  cache.set(database, { at: Date.now(), table });
  table.catch(() => cache.delete(database));
  return table;
}

export function forgetWeatherTable(database: Database): void {
  cache.delete(database);
}

/** The whole weather collection, one read (a region-year is 365 small documents). */
export async function loadWeatherTable(database: Database): Promise<WeatherTable> {
  const docs = await database.collections.weather
    .find({}, { projection: { regionKey: 1, date: 1, tempC: 1, condition: 1, forecast: 1 }, batchSize: 5000 })
    .toArray();
  return docs.length ? WeatherTable.fromDocs(docs) : WeatherTable.empty;
}

/** Every region's weather on the (UTC) day of `at`, for compiling `weather.*` rule conditions. */
export async function regionWeatherAt(database: Database, at: Date): Promise<Map<string, RegionWeather>> {
  const table = await cachedWeatherTable(database);
  return table.allAt(Math.floor(at.getTime() / DAY_MS));
}
