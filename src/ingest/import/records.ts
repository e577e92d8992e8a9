import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** One input record with its line number, for the rejects file. */
export interface InputRecord<T> {
  line: number;
  value: T;
  /** A CSV row with more or fewer fields than the header: its values may have shifted columns. */
  ragged?: string;
}

export async function* ndjsonRecords(stream: Readable): AsyncGenerator<InputRecord<string>> {
  let line = 0;
  for await (const text of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim()) yield { line, value: text };
  }
}

/** CSV rows as objects keyed by the header; `line` is the row's line in the file (header = 1). */
export async function* csvRecords(
  stream: Readable,
  delimiter = ',',
): AsyncGenerator<InputRecord<Record<string, string>>> {
  const parser = stream.pipe(
    parse({
      columns: true,
      delimiter,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      info: true,
    }),
  );
  for await (const row of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number; columns: unknown[]; error?: { code: string; record: unknown[] } };
  }>) {
    const error = row.info.error;
    const ragged =
      error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
        ? `the row has ${error.record.length} fields, the header ${row.info.columns.length}`
        : undefined;
    yield { line: row.info.lines, value: row.record, ...(ragged ? { ragged } : {}) };
  }
}
