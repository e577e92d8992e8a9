import type { Command } from 'commander';
import { resolveTrackingQuery } from '../../ingest/tracking/trackingQuery.js';
import { trackingReport } from '../../ingest/tracking/trackingReport.js';
import { trackingQuerySchema, type TrackingReport } from '../../ingest/tracking/trackingReportSchema.js';
import { CliError, printJson } from '../output.js';
import { withDatabase } from '../withDatabase.js';

interface TrackingOptions {
  from?: string;
  to?: string;
  source?: string;
  type?: string;
  by?: string;
  examples: string;
  json?: boolean;
}

const columns = [
  ['events', 8],
  ['dupes', 6],
  ['refused', 8],
  ['missing', 8],
  ['unknown', 8],
  ['skewed', 7],
  ['anonOnly', 9],
  ['noView', 7],
  ['drops', 6],
] as const;

function printTable(report: TrackingReport, examples: number): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`tracking quality ${report.from} – ${report.to} (exclusive), by ${report.by}`);
  if (report.rows.length === 0) return out('no events counted in the window');
  out(`${'source'.padEnd(12)} ${'type'.padEnd(24)} ${columns.map(([c, w]) => c.padStart(w)).join(' ')}`);
  for (const r of report.rows) {
    const values = {
      events: r.events,
      dupes: r.duplicates,
      refused: r.refused,
      missing: r.missingProperties.reduce((n, e) => n + e.count, 0),
      unknown: r.unknownNames.reduce((n, e) => n + e.count, 0),
      skewed: r.skewed,
      anonOnly: r.anonymousOnly,
      noView: r.ordersWithoutViews,
      drops: r.drops.length,
    };
    out(
      `${r.source.padEnd(12)} ${r.type.padEnd(24)} ${columns.map(([c, w]) => String(values[c]).padStart(w)).join(' ')}`,
    );
  }
  out('');
  out(report.findings.length ? 'findings:' : 'no findings');
  for (const f of report.findings) {
    out(`  ${f.kind.padEnd(16)} ${`${f.source}/${f.type}`.padEnd(36)} ${f.detail}`);
    for (const e of f.examples.slice(-examples))
      out(`      ${e.at}  ${e.eventId ?? ''} ${e.who ? `(${e.who})` : ''} ${e.detail}`);
  }
}

/** `breadcrumb report tracking`: the tracking-quality report (the same as GET /v1/reports/tracking). */
export function registerTrackingReport(report: Command): void {
  report
    .command('tracking')
    .description('tracking quality per source and event type: volume and drops, refusals, clock skew, duplicates')
    .option('--from <day>', 'first UTC day (inclusive); default: six days before today')
    .option('--to <day>', 'last UTC day (exclusive); default: tomorrow')
    .option('--source <source>', 'only this source (api, segment, shopify, import, …)')
    .option('--type <type>', 'only this event type')
    .option('--by <unit>', 'volume per day or hour', 'day')
    .option('--examples <n>', 'examples printed per finding', '2')
    .option('--json', 'print the report as JSON (as the API answers it)')
    .action(async (opts: TrackingOptions) => {
      const parsed = trackingQuerySchema.safeParse({
        from: opts.from,
        to: opts.to,
        source: opts.source,
        type: opts.type,
        by: opts.by,
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new CliError(`--${issue.path.join('.')}: ${issue.message}`);
      }
      const q = resolveTrackingQuery(parsed.data);
      if (!q.ok) throw new CliError(`--${q.error.field}: ${q.error.message}`);
      const result = await withDatabase((db) => trackingReport(db, q.value));
      if (opts.json) return printJson(result);
      printTable(result, Math.max(0, Number(opts.examples) || 0));
    });
}
