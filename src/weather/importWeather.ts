import type { Database } from '../db/database.js';
import type { WeatherDoc } from '../db/models/weather.js';
import { forgetWeatherTable } from './weatherCache.js';
import type { WeatherRecord } from './weatherRecords.js';
import { regionKey, weatherRowSchema } from './weatherRow.js';

/** A row refused, by its line in the file (or its position in a JSON array, counted from 1). */
export interface WeatherRejection {
  line: number;
  field: string;
  reason: string;
}

export interface WeatherImportSummary {
  read: number;
  inserted: number;
  updated: number;
  /** Rows equal to what is stored already: a re-import changes nothing. */
  unchanged: number;
  /** Rows for days after the import day. */
  forecast: number;
  rejected: WeatherRejection[];
}

export type WeatherImportResult =
  | { ok: true; value: WeatherImportSummary }
  | { ok: false; error: { type: 'validation_failed'; message: string; rejected: WeatherRejection[] } };

export interface WeatherImportOptions {
  /** Store the valid rows and list the bad ones, instead of refusing the whole input. */
  partial?: boolean;
  /** Days after this instant's UTC date are forecasts. */
  now?: Date;
  onProgress?: (written: number, total: number) => void;
}

/** Rejections listed in full at most; the count says how many more there were. */
const MAX_LISTED = 100;
const WRITE_CHUNK = 500;

/**
 * Validates every row, then upserts the valid ones by (region, date). By default any bad row
 * stores nothing (the answer names each bad row by line); a row equal to the stored one is not
 * written again, so re-importing a file is a no-op. Two rows for one region and day are an error.
 */
export async function importWeather(
  database: Database,
  records: AsyncIterable<WeatherRecord> | Iterable<WeatherRecord>,
  opts: WeatherImportOptions = {},
): Promise<WeatherImportResult> {
  const today = (opts.now ?? new Date()).toISOString().slice(0, 10);
  const docs = new Map<string, { line: number; doc: WeatherDoc }>();
  const rejected: WeatherRejection[] = [];
  let read = 0;
  let refused = 0;
  const reject = (r: WeatherRejection) => {
    refused++;
    if (rejected.length < MAX_LISTED) rejected.push(r);
  };
  for await (const { line, value, error } of records) {
    read++;
    if (error !== undefined) {
      reject({ line, field: '(row)', reason: error });
      continue;
    }
    const parsed = weatherRowSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      reject({ line, field: issue.path.join('.') || '(row)', reason: issue.message });
      continue;
    }
    const row = parsed.data;
    const key = regionKey(row.region);
    const _id = `${key}|${row.date}`;
    const earlier = docs.get(_id);
    if (earlier) {
      reject({ line, field: 'date', reason: `${row.region} on ${row.date} is also on line ${earlier.line}` });
      continue;
    }
    const doc: WeatherDoc = {
      _id,
      region: row.region,
      regionKey: key,
      date: row.date,
      tempC: row.temperature,
      forecast: row.date > today,
    };
    if (row.precipitation !== undefined) doc.precipMm = row.precipitation;
    if (row.condition !== undefined) doc.condition = row.condition;
    docs.set(_id, { line, doc });
  }
  if (refused > 0 && !opts.partial) {
    const more = refused > rejected.length ? ` (the first ${rejected.length} are listed)` : '';
    return {
      ok: false,
      error: {
        type: 'validation_failed',
        message: `${refused} of ${read} weather rows are invalid${more}; nothing was stored (use partial to store the valid ones)`,
        rejected,
      },
    };
  }
  const summary: WeatherImportSummary = { read, inserted: 0, updated: 0, unchanged: 0, forecast: 0, rejected };
  const all = [...docs.values()].map((d) => d.doc);
  const collection = database.collections.weather;
  for (let i = 0; i < all.length; i += WRITE_CHUNK) {
    const chunk = all.slice(i, i + WRITE_CHUNK);
    const stored = new Map<string, WeatherDoc>();
    for await (const d of collection.find({ _id: { $in: chunk.map((d) => d._id) } })) stored.set(d._id, d);
    const changed = chunk.filter((d) => {
      const old = stored.get(d._id);
      if (!old) summary.inserted++;
      else if (sameWeather(old, d)) summary.unchanged++;
      else summary.updated++;
      return !old || !sameWeather(old, d);
    });
    if (changed.length)
      await database.bulkWrite(
        collection,
        changed.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
        false,
      );
    opts.onProgress?.(Math.min(all.length, i + WRITE_CHUNK), all.length);
  }
  summary.forecast = all.filter((d) => d.forecast).length;
  if (summary.inserted + summary.updated > 0) forgetWeatherTable(database);
  return { ok: true, value: summary };
}

function sameWeather(a: WeatherDoc, b: WeatherDoc): boolean {
  return (
    a.region === b.region &&
    a.tempC === b.tempC &&
    a.precipMm === b.precipMm &&
    a.condition === b.condition &&
    a.forecast === b.forecast
  );
}
