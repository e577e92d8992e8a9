import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { openScoreStream, scoreFields } from '../../ml/scoring/readScores.js';
import { parseFieldList, rowStream } from '../../rowExport.js';
import { CliError, printJson, status } from '../output.js';
import { createProgress } from '../progress.js';
import { withDatabase } from '../withDatabase.js';

export function registerScoreCommands(program: Command): void {
  const scores = program
    .command('scores')
    .description('latest customer scores (churn risk, predicted LTV, next order, best send hour)');

  scores
    .command('export')
    .description('export the latest scores of every customer, or of one segment, streamed in one pass (csv or ndjson)')
    .option('--segment <key>', 'only the current members of this segment')
    .option('--fields <list>', `comma-separated columns (default all: ${scoreFields.join(',')})`)
    .option('--format <format>', 'csv or ndjson', 'csv')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--json', 'print a JSON summary ({rows, out}) on stdout when writing to --out')
    .action(async (opts: { segment?: string; fields?: string; format: string; out?: string; json?: boolean }) => {
      if (opts.format !== 'csv' && opts.format !== 'ndjson')
        throw new CliError(`--format must be csv or ndjson, not "${opts.format}"`, 2);
      if (opts.json && !opts.out)
        throw new CliError('--json prints a summary beside --out; without --out the rows themselves are on stdout', 2);
      const fields = parseFieldList(opts.fields, scoreFields, 'customerId');
      if (!fields.ok) throw new CliError(`--fields: ${fields.error}`, 2);
      const format = opts.format;
      const rows = await withDatabase(async (db) => {
        const stream = await openScoreStream(db, { segment: opts.segment, fields: fields.value });
        if (!stream.ok) throw new CliError(stream.error.message);
        const file = opts.out ? createWriteStream(opts.out) : undefined;
        const out = rowStream(file ?? process.stdout, format, fields.value);
        const progress = createProgress('scores');
        let done = 0;
        const n = await stream.value.run(async (row) => {
          await out.row(row);
          if (++done % 1000 === 0) progress.update(done, Math.max(done, stream.value.total));
        });
        progress.update(n, n);
        progress.stop();
        if (file) {
          await out.end();
          await finished(file);
        } else {
          await out.flush();
        }
        return n;
      });
      if (opts.json) printJson({ rows, out: opts.out });
      else if (opts.out) status(`${rows} rows → ${opts.out}`);
    });
}
