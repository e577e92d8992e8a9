import type { Writable } from 'node:stream';
import { z } from 'zod';
import { csvCell } from './csv.js';

/**
 * Exporting rows (segment members, scores): choosing the columns and streaming them as CSV or
 * NDJSON to an HTTP response or stdout.
 */
export type ExportFormat = 'ndjson' | 'csv';

class ClientGone extends Error {}

export const contentTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** `email,churnRisk` → the columns, `first` first; unknown names are an error (the whitelist). */
export function parseFieldList<F extends string>(
  spec: string | undefined,
  allowed: readonly F[],
  first: F,
): { ok: true; value: F[] } | { ok: false; error: string } {
  if (spec === undefined) return { ok: true, value: [...allowed] };
  const list = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((f) => !(allowed as readonly string[]).includes(f));
  if (unknown.length > 0 || list.length === 0)
    return {
      ok: false,
      error: `unknown field(s) ${unknown.join(', ') || '(none given)'}; allowed: ${allowed.join(', ')}`,
    };
  return { ok: true, value: [first, ...new Set((list as F[]).filter((f) => f !== first))] };
}

/** The `fields=` query parameter: a comma-separated whitelist, refused with the allowed names. */
export function fieldsQuery<F extends string>(allowed: readonly F[], first: F) {
  return z
    .string()
    .max(500)
    .optional()
    .transform((v, ctx) => {
      const parsed = parseFieldList(v, allowed, first);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    })
    .meta({ description: `Comma-separated columns (${first} always included); allowed: ${allowed.join(', ')}` });
}

/**
 * Writes rows to a stream (an HTTP response, stdout) as they come, in chunks of ~64 KB, waiting
 * for `drain` when the reader is slower than we produce: memory holds one chunk and one page,
 * never the export.
 */
export function rowStream<F extends string>(res: Writable, format: ExportFormat, fields: readonly F[]) {
  let buffer = '';
  const flush = async () => {
    if (res.destroyed) throw new ClientGone('client went away');
    const chunk = buffer;
    buffer = '';
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
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
    async row(r: Partial<Record<F, unknown>>) {
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
