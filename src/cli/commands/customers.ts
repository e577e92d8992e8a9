import type { Command } from 'commander';
import { mergeCustomers } from '../../customers/merge/mergeCustomers.js';
import { mergeDuplicates } from '../../customers/merge/mergeDuplicates.js';
import { mergesOf, mergeView, type MergeView } from '../../customers/merge/mergeView.js';
import { undoMerge } from '../../customers/merge/undoMerge.js';
import type { MergeDoc } from '../../db/models/merge.js';
import { cliActor } from '../../privacy/audit.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

const actor = () => `cli:${cliActor().id}`;

function printMerge(m: MergeView): void {
  process.stdout.write(
    `${m.id}  ${m.merged} → ${m.survivor}  ${m.reason}${m.email ? ` (${m.email})` : ''}  ${m.status}  ${m.at}  by ${m.by}` +
      `${m.undoableUntil ? `  undoable until ${m.undoableUntil}` : ''}\n`,
  );
}

/** A merge or undo: the record, or its refusal as the command's one error line. */
function printOutcome(
  result: { ok: true; value: MergeDoc } | { ok: false; error: { message: string } },
  json: boolean | undefined,
): void {
  if (!result.ok) throw new CliError(result.error.message);
  if (json) printJson(mergeView(result.value));
  else printMerge(mergeView(result.value));
}

export function registerCustomerCommands(program: Command): void {
  const customers = program
    .command('customers')
    .description(
      'duplicate customers: find them, merge two ids into one person, undo a merge (docs/customer-merge.md)',
    );

  customers
    .command('duplicates')
    .description('list the duplicate pairs the merge-duplicates job would merge (a dry run: nothing is merged)')
    .option('--all', 'look at every customer, not only those changed since the last merge-duplicates run')
    .option('--json', 'print the pairs as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const { pairs } = await withDatabase((db) => mergeDuplicates(db, { dryRun: true, all: Boolean(opts.all) }));
      if (opts.json) printJson(pairs);
      else if (!pairs.length) status('no duplicates found');
      else
        for (const p of pairs)
          process.stdout.write(`${p.merged} → ${p.survivor}  ${p.reason}${p.email ? ` (${p.email})` : ''}\n`);
    });

  customers
    .command('merge <merged> <survivor>')
    .description('merge customer <merged> into <survivor>: its events, enrolments, consent and messages move')
    .option('--json', 'print the merge record as JSON')
    .action(async (merged: string, survivor: string, opts: { json?: boolean }) => {
      status(`merging ${merged} into ${survivor}…`);
      const result = await withDatabase((db) =>
        mergeCustomers(db, { merged, survivor, reason: 'manual', by: actor() }),
      );
      printOutcome(result, opts.json);
    });

  customers
    .command('unmerge <mergeId>')
    .description('undo a merge within MERGE_UNDO_DAYS: both ids get their separate histories back')
    .option('--json', 'print the merge record as JSON')
    .action(async (mergeId: string, opts: { json?: boolean }) => {
      printOutcome(await withDatabase((db) => undoMerge(db, mergeId, actor())), opts.json);
    });

  customers
    .command('merges <customerId>')
    .description('the merges naming a customer, newest first')
    .option('--json', 'print JSON')
    .action(async (customerId: string, opts: { json?: boolean }) => {
      const merges = await withDatabase((db) => mergesOf(db, customerId));
      if (opts.json) printJson(merges);
      else if (!merges.length) status(`no merges name ${customerId}`);
      else merges.forEach(printMerge);
    });
}
