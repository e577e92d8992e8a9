import { foldNow } from '../timeline/folder.js';
import fs from 'node:fs';
import { CsvError } from 'csv-parse';
import type { Database } from '../../db/database.js';
import type { IncomingEvent } from '../eventSchemas.js';
import { validateEvent } from '../ingestEvents.js';
import { storeEvents } from '../storeEvents.js';
import { cdnowEvents } from './cdnow.js';
import { csvEvents, ndjsonEvents, type Converted } from './formats.js';
import { onlineRetailEvents } from './onlineRetail.js';
import { checkGzip, openSource } from './openSource.js';
import { csvRecords, ndjsonRecords } from './records.js';

export const importFormats = ['ndjson', 'csv', 'online-retail', 'cdnow'] as const;
export type ImportFormat = (typeof importFormats)[number];

/** Rows read, rejected and skipped count input records; stored and duplicates count events. */
export interface ImportSummary {
  read: number;
  stored: number;
  duplicates: number;
  rejected: number;
  skipped: number;
}

/**
 * A file that cannot be read as its format: a damaged gzip (found before anything is stored) or a
 * CSV broken past recovery, e.g. a quote never closed (batches before it are stored; importing the
 * fixed file again stores nothing twice).
 */
export type ImportResult =
  { ok: true; value: ImportSummary } | { ok: false; error: { type: 'unreadable'; message: string; stored: number } };

export interface ImportOptions {
  format: ImportFormat;
  /** Where refused records go, one JSON line each ({line, reason}); created only if needed. */
  rejectsFile: string;
  batchSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

function converted(
  format: ImportFormat,
  file: string,
): { items: AsyncGenerator<Converted>; records: () => number; source: ReturnType<typeof openSource> } {
  const source = openSource(file);
  let records = 0;
  async function* counted<T>(it: AsyncIterable<T>): AsyncGenerator<T> {
    for await (const r of it) {
      records++;
      yield r;
    }
  }
  const items =
    format === 'ndjson'
      ? ndjsonEvents(counted(ndjsonRecords(source.stream)))
      : format === 'csv'
        ? csvEvents(counted(csvRecords(source.stream)))
        : format === 'online-retail'
          ? onlineRetailEvents(counted(csvRecords(source.stream)))
          : cdnowEvents(counted(csvRecords(source.stream)));
  return { items, records: () => records, source };
}

/**
 * Streams a file into the events collection in batches: converts records to events, validates
 * each with the API's schema, stores valid ones idempotently (a re-run stores nothing twice)
 * and writes refused records to the rejects file with their line numbers.
 */
export async function importFile(database: Database, file: string, opts: ImportOptions): Promise<ImportResult> {
  const gzip = await checkGzip(file);
  if (!gzip.ok)
    return {
      ok: false,
      error: { type: 'unreadable', message: `${file}: ${gzip.error}; nothing was imported`, stored: 0 },
    };
  const { items, records, source } = converted(opts.format, file);
  const summary: ImportSummary = { read: 0, stored: 0, duplicates: 0, rejected: 0, skipped: 0 };
  let rejects: fs.WriteStream | undefined;
  const reject = (line: number, reason: string) => {
    summary.rejected++;
    rejects ??= fs.createWriteStream(opts.rejectsFile);
    rejects.write(`${JSON.stringify({ line, reason })}\n`);
  };
  let batch: IncomingEvent[] = [];
  const flush = async () => {
    if (!batch.length) return;
    // Folded behind the reading (batches that arrive while a fold runs are folded together); the end waits for it.
    const result = await storeEvents(database, batch, 'import', new Date(), { fold: 'background' });
    summary.stored += result.stored;
    summary.duplicates += result.duplicates;
    batch = [];
    opts.onProgress?.(source.bytesRead(), source.size);
  };
  try {
    for await (const item of items) {
      if (item.kind === 'skip') summary.skipped++;
      else if (item.kind === 'reject') reject(item.line, item.reason);
      else {
        const v = validateEvent(item.event, 0);
        if (v.ok) batch.push(v.event);
        else reject(item.line, v.rejections.map((r) => `${r.field}: ${r.reason}`).join('; '));
        if (batch.length >= (opts.batchSize ?? 1000)) await flush();
      }
    }
    await flush();
    await foldNow(database);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const message = `${file}: ${err.message}; ${summary.stored ? `${summary.stored} events before it were stored (importing the fixed file stores nothing twice)` : 'nothing was imported'}`;
    return { ok: false, error: { type: 'unreadable', message, stored: summary.stored } };
  } finally {
    if (rejects) await new Promise<void>((resolve) => rejects!.end(resolve));
  }
  summary.read = records();
  opts.onProgress?.(source.size, source.size);
  return { ok: true, value: summary };
}
