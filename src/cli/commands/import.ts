import path from 'node:path';
import type { Command } from 'commander';
import { importFile, importFormats, type ImportFormat } from '../../ingest/import/importFile.js';
import { CliError, printJson, status } from '../output.js';
import { createProgress } from '../progress.js';
import { withDatabase } from '../withDatabase.js';

export function registerImportCommand(program: Command): void {
  program
    .command('import <file>')
    .description('stream events from a file (.gz or plain) into Breadcrumb; re-running stores nothing twice')
    .requiredOption('--format <format>', `one of ${importFormats.join(', ')}`)
    .option(
      '--rejects <file>',
      'where refused records go (line + reason, NDJSON); default <file name>.rejects.ndjson in the current directory',
    )
    .option('--json', 'print {read, stored, duplicates, rejected, skipped} as JSON')
    .action(async (file: string, opts: { format: string; rejects?: string; json?: boolean }) => {
      if (!importFormats.includes(opts.format as ImportFormat))
        throw new CliError(`--format must be one of ${importFormats.join(', ')}, got "${opts.format}"`);
      const rejectsFile = opts.rejects ?? `${path.basename(file).replace(/(\.gz)?$/, '')}.rejects.ndjson`;
      const progress = createProgress(`importing ${path.basename(file)} (bytes)`);
      const result = await withDatabase((db) =>
        importFile(db, file, { format: opts.format as ImportFormat, rejectsFile, onProgress: progress.update }),
      ).finally(() => progress.stop());
      if (!result.ok) throw new CliError(result.error.message);
      const summary = result.value;
      if (opts.json) printJson(summary);
      else
        status(
          `read ${summary.read}, stored ${summary.stored}, duplicates ${summary.duplicates}, rejected ${summary.rejected}, skipped ${summary.skipped}`,
        );
      if (summary.rejected) status(`rejected records and reasons: ${rejectsFile}`);
    });
}
