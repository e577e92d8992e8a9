import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { cliActor } from '../../privacy/audit.js';
import { eraseCustomer } from '../../privacy/eraseCustomer.js';
import { exportCustomer } from '../../privacy/exportCustomer.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

export function registerPrivacyCommands(program: Command): void {
  const privacy = program
    .command('privacy')
    .description("a person's data: export everything held about them, or erase them (audited)");

  privacy
    .command('export <customerId>')
    .description('write everything held about a customer as one JSON document (stdout, or --out), streamed')
    .option('--out <file>', 'write the document to this file instead of stdout')
    .option('--json', 'with --out, print {customerId, out, bytes} as JSON (the document itself is always JSON)')
    .action(async (customerId: string, opts: { out?: string; json?: boolean }) => {
      const bytes = await withDatabase(async (db) => {
        const result = await exportCustomer(db, customerId, cliActor());
        if (!result.ok) throw new CliError(result.error.message);
        const source = Readable.from(result.value);
        if (!opts.out) {
          // stdout is not ours to end.
          await pipeline(source, process.stdout, { end: false });
          return null;
        }
        await pipeline(source, fs.createWriteStream(opts.out));
        return fs.statSync(opts.out).size;
      });
      if (bytes === null) return;
      if (opts.json) printJson({ customerId, out: opts.out, bytes });
      else status(`wrote ${bytes} bytes about ${customerId} to ${opts.out}`);
    });

  privacy
    .command('erase <customerId>')
    .description(
      'erase a customer: events, identities, features, scores, memberships, enrolments; messages anonymised; addresses kept only as hashes on the suppression list',
    )
    .option('--json', 'print {customerId, erased, counts} as JSON')
    .action(async (customerId: string, opts: { json?: boolean }) => {
      const result = await withDatabase((db) => eraseCustomer(db, customerId, cliActor()));
      if (!result.ok) throw new CliError(result.error.message);
      const { counts } = result.value;
      if (opts.json) printJson({ customerId, erased: true, counts });
      else {
        status(`erased ${customerId}:`);
        for (const [collection, n] of Object.entries(counts)) process.stdout.write(`${collection.padEnd(20)} ${n}\n`);
      }
    });
}
