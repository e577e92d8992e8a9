import type { Writable } from 'node:stream';
import { csvCell } from '../../csv.js';
import type { MemberField, MemberRow } from './memberPages.js';

export type ExportFormat = 'ndjson' | 'csv';

class ClientGone extends Error {}

export const contentTypes: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };

/**
 * Writes member rows to a stream (an HTTP response, stdout) as they come, in chunks of ~64 KB,
 * waiting for `drain` when the reader is slower than we produce: memory holds one chunk and one
 * page, never the export.
 */
export function memberStream(res: Writable, format: ExportFormat, fields: readonly MemberField[]) {
  let buffer = '';
  const flush = async () => {
    if (res.destroyed) throw new ClientGone('client went away');
    const chunk = buffer;
    buffer = '';
    if (!res.write(chunk)) await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  if (format === 'csv') buffer = `${fields.join(',')}\n`;
  return {
    async row(r: MemberRow) {
      if (format === 'csv') buffer += `${fields.map((f) => csvCell(r[f])).join(',')}\n`;
      else buffer += `${JSON.stringify(Object.fromEntries(fields.map((f) => [f, r[f] ?? null])))}\n`;
      if (buffer.length >= 65_536) await flush();
    },
    /** Writes what is buffered (the stream stays open: stdout is not ours to end). */
    async flush() {
      if (buffer) await flush();
    },
    async end() {
      if (buffer) await flush();
      res.end();
    },
  };
}

export const isClientGone = (err: unknown) => err instanceof ClientGone;
