import type { Readable } from 'node:stream';
import { csvRecords, ndjsonRecords } from '../ingest/import/records.js';

export const weatherFormats = ['csv', 'ndjson'] as const;
export type WeatherFormat = (typeof weatherFormats)[number];

/** The format a file name says (`.csv`, `.ndjson`, `.jsonl`, optionally `.gz`), else undefined. */
export function weatherFormatOf(file: string): WeatherFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

/** One input row by its line; `error` when it cannot be a row at all (not JSON, ragged CSV). */
export interface WeatherRecord {
  line: number;
  value: unknown;
  error?: string;
}

/**
 * Weather rows with their line numbers. A CSV row with too many or too few fields, and an NDJSON
 * line that is not JSON, come through with an error, so they are reported by line with the rest.
 */
export async function* weatherRecords(stream: Readable, format: WeatherFormat): AsyncGenerator<WeatherRecord> {
  if (format === 'csv') {
    for await (const r of csvRecords(stream))
      yield { line: r.line, value: r.value, ...(r.ragged ? { error: r.ragged } : {}) };
    return;
  }
  for await (const r of ndjsonRecords(stream)) {
    try {
      yield { line: r.line, value: JSON.parse(r.value) };
    } catch {
      yield { line: r.line, value: null, error: 'the line is not JSON' };
    }
  }
}
