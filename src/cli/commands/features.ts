import type { Command } from 'commander';
import { featureCatalog, featureCatalogMarkdown } from '../../features/catalog.js';
import { rebuildTimelines } from '../../ingest/timeline/rebuild.js';
import { printJson, status } from '../output.js';
import { createProgress } from '../progress.js';
import { withDatabase } from '../withDatabase.js';

export function registerFeatureCommands(program: Command): void {
  const features = program.command('features').description('behavioural features');
  features
    .command('catalog')
    .description('every feature with its meaning, window and unit (docs/features.md is this output)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) printJson(featureCatalog);
      else process.stdout.write(featureCatalogMarkdown());
    });
  features
    .command('rebuild')
    .description(
      'recompute every customer timeline, profile, suppression and current feature from the events collection (one pass; rare: normal work is incremental)',
    )
    .option(
      '--max-events-in-memory <n>',
      'events held at once; more means further passes (default 2,000,000 ≈ 1 GB)',
      (v) => Number.parseInt(v, 10),
    )
    .option('--json', 'print the counts as JSON')
    .action(async (opts: { json?: boolean; maxEventsInMemory?: number }) => {
      const progress = createProgress('rebuild');
      const started = Date.now();
      const counts = await withDatabase((db) =>
        rebuildTimelines(db, {
          progress: (done, total) => progress.update(done, Math.max(done, total)),
          ...(opts.maxEventsInMemory ? { maxEventsInMemory: opts.maxEventsInMemory } : {}),
        }),
      ).finally(() => progress.stop());
      const result = { ...counts, durationMs: Date.now() - started };
      if (opts.json) printJson(result);
      else
        status(
          `rebuilt ${counts.customers} customers from ${counts.eventsRead} events in ${(result.durationMs / 1000).toFixed(1)} s (${counts.passes} pass${counts.passes === 1 ? '' : 'es'})`,
        );
    });
}
