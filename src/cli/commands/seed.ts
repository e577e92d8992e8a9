import type { Command } from 'commander';
import { z } from 'zod';
import { defaultSeedEnd, seedShop } from '../../demo/syntheticShop.js';
import { createProgress } from '../progress.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

const seedOptions = z.object({
  customers: z.coerce.number().int().min(1).max(10_000_000),
  days: z.coerce.number().int().min(1).max(3650),
  seed: z.coerce.number().int(),
  end: z.coerce.date({ error: 'must be a date (2026-12-01 or ISO 8601)' }).optional(),
  weather: z.boolean().optional(),
  json: z.boolean().optional(),
});

export function registerSeedCommand(program: Command): void {
  program
    .command('seed')
    .description(
      'generate a synthetic shop (catalog, customers with hidden traits, events) ending now or at --end; same seed and end, same data',
    )
    .option('--customers <n>', 'number of customers', '5000')
    .option('--days <d>', 'days of history', '365')
    .option('--seed <s>', 'random seed', '42')
    .option(
      '--end <date>',
      'end of history, ISO 8601 (default: now, or the end of the shop already in the database so a stopped seed resumes)',
    )
    .option('--weather', 'also a daily weather table per region and weather-driven outerwear buyers (docs/weather.md)')
    .option('--json', 'print the summary as JSON')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = seedOptions.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new CliError(`--${issue.path.join('.')}: ${issue.message}`);
      }
      const opts = parsed.data;
      const progress = createProgress('seeding customers');
      const summary = await withDatabase(async (db) =>
        seedShop(db, {
          customers: opts.customers,
          days: opts.days,
          seed: opts.seed,
          end: opts.end ?? (await defaultSeedEnd(db)),
          weather: opts.weather,
          onProgress: progress.update,
        }),
      ).finally(() => progress.stop());
      if (opts.json) printJson(summary);
      else
        status(
          `seeded ${summary.customers} customers, ${summary.products} products, ${summary.events} events (${summary.orders} orders) in ${(summary.durationMs / 1000).toFixed(1)} s; history ends ${summary.end.toISOString()} (pass it as --end to seed the same shop again)`,
        );
    });
}
