import { z } from 'zod';
import { mergeDuplicates } from '../src/customers/merge/mergeDuplicates.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

// `--dry-run` arrives as true, `--dry-run no` as a string, Agenda's JSON as a boolean.
const flag = (description: string) => z.union([z.boolean(), z.stringbool()]).default(false).describe(description);

/** Merges customers that are one person under two ids (docs/customer-merge.md). */
const mergeDuplicatesJob = defineJob({
  name: 'merge-duplicates',
  description: 'merge customers that are one person under two ids (same normalised email, or a link event)',
  schedule: '2 minutes',
  options: z.object({
    dryRun: flag('list the duplicate pairs found, merge nothing'),
    all: flag('look at every customer, not only those changed since the last run'),
  }),
  run: async ({ database, progress, note }, { dryRun, all }) => {
    const { counts, pairs } = await mergeDuplicates(database, { dryRun, all, progress });
    for (const p of pairs)
      note?.(
        `${dryRun ? 'would merge' : 'merge'} ${p.merged} into ${p.survivor} (${p.reason}${p.email ? `: ${p.email}` : ''})`,
      );
    return counts;
  },
});

export default mergeDuplicatesJob;
await runIfMain(import.meta.url, mergeDuplicatesJob);
