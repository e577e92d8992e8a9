import fs from 'node:fs';
import type { Command } from 'commander';
import { renderChartPng } from '../../charts/renderChartPng.js';
import { toCsv } from '../../attribution/csv.js';
import { kpiDimensions, type KpiDimension, type KpiRow } from '../../attribution/kpis.js';
import { modelNames, type ModelName } from '../../attribution/models.js';
import { attributionView, reportFor, type AttributionResult, type KpiResult } from '../../attribution/report.js';
import { attributionChart, kpiChart } from '../../charts/chartConfigs.js';
import { CliError, printJson, status } from '../output.js';
import { registerTrackingReport } from './reportTracking.js';
import { withDatabase } from '../withDatabase.js';

interface PeriodOptions {
  from?: string;
  to?: string;
  json?: boolean;
  png?: string;
}

function periodOf(opts: PeriodOptions): { from: Date; to: Date } | undefined {
  if (!opts.from && !opts.to) return undefined;
  if (!opts.from || !opts.to) throw new CliError('--from and --to go together');
  const p = { from: new Date(opts.from), to: new Date(opts.to) };
  if (Number.isNaN(p.from.getTime()) || Number.isNaN(p.to.getTime()))
    throw new CliError('--from and --to must be dates (2026-03-01 or ISO 8601)');
  if (p.to <= p.from) throw new CliError('--to must be after --from');
  return p;
}

const noReport = 'no report yet: run `npx breadcrumb job run attribution-report`, or give --from and --to';

function writePng(file: string, png: Buffer): void {
  fs.writeFileSync(file, png);
  status(`chart written to ${file}`);
}

const num = (x: number | null, digits = 2) => (x === null ? '—' : x.toFixed(digits));

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('attribution, email KPI and tracking-quality reports');
  registerTrackingReport(report);

  report
    .command('attribution')
    .description('conversions and revenue credited to channels by each model')
    .option('--from <date>', 'start of the period')
    .option('--to <date>', 'end of the period (exclusive)')
    .option('--model <name>', `one model: ${modelNames.join(', ')}`)
    .option('--csv', 'print CSV (model,channel,conversions,value)')
    .option('--png <file>', 'also write the chart (models side by side) as a PNG')
    .option('--json', 'print JSON')
    .action(async (opts: PeriodOptions & { model?: string; csv?: boolean }) => {
      if (opts.model && !modelNames.includes(opts.model as ModelName))
        throw new CliError(`--model must be one of ${modelNames.join(', ')}`);
      const stored = await withDatabase((db) => reportFor<AttributionResult>(db, 'attribution', periodOf(opts)));
      if (!stored) throw new CliError(noReport);
      const view = attributionView(stored, opts.model as ModelName | undefined);
      if (opts.png) writePng(opts.png, renderChartPng(attributionChart(view)));
      if (opts.json) return printJson(view);
      const rows = view.models.flatMap((m) => m.channels.map((c) => ({ model: m.model, ...c })));
      if (opts.csv) return void process.stdout.write(toCsv(rows, ['model', 'channel', 'conversions', 'value']));
      process.stdout.write(
        `${view.from.slice(0, 10)} – ${view.to.slice(0, 10)}: ${view.orders} orders, ${num(view.revenue)} revenue, ${view.journeys} journeys (${view.untouched.orders} orders without a touch)\n`,
      );
      for (const m of view.models) {
        process.stdout.write(`${m.model}\n`);
        for (const c of [...m.channels].sort((a, b) => b.conversions - a.conversions))
          process.stdout.write(
            `  ${c.channel.padEnd(40)} ${num(c.conversions).padStart(10)} ${num(c.value).padStart(12)}\n`,
          );
      }
    });

  report
    .command('kpis')
    .description('email KPIs by segment, flow, campaign or variant, with holdout comparisons')
    .option('--from <date>', 'start of the period')
    .option('--to <date>', 'end of the period (exclusive)')
    .option('--by <dimension>', kpiDimensions.join(', '), 'flow')
    .option('--png <file>', 'also write the chart as a PNG')
    .option('--json', 'print JSON')
    .action(async (opts: PeriodOptions & { by: string }) => {
      if (!kpiDimensions.includes(opts.by as KpiDimension))
        throw new CliError(`--by must be one of ${kpiDimensions.join(', ')}`);
      const stored = await withDatabase((db) => reportFor<KpiResult>(db, 'kpis', periodOf(opts)));
      if (!stored) throw new CliError(noReport);
      const items: KpiRow[] = stored.result.by[opts.by as KpiDimension] ?? [];
      if (opts.png) writePng(opts.png, renderChartPng(kpiChart({ by: opts.by, items })));
      if (opts.json) return printJson({ reportId: stored.id, from: stored.from, to: stored.to, by: opts.by, items });
      process.stdout.write(
        `${'group'.padEnd(24)} ${'sends'.padStart(7)} ${'open%'.padStart(6)} ${'click%'.padStart(6)} ${'revenue'.padStart(10)} ${'rev/email'.padStart(9)}  incremental/recipient (95% CI)\n`,
      );
      for (const r of items) {
        const h = r.holdout
          ? `${num(r.holdout.incrementalPerRecipient)} (${num(r.holdout.ci95[0])} … ${num(r.holdout.ci95[1])}) vs attributed ${num(r.holdout.attributedPerRecipient)}`
          : '—';
        process.stdout.write(
          `${r.key.padEnd(24)} ${String(r.sends).padStart(7)} ${num(r.openRate === null ? null : r.openRate * 100, 1).padStart(6)} ${num(r.clickRate === null ? null : r.clickRate * 100, 1).padStart(6)} ${num(r.revenue).padStart(10)} ${num(r.revenuePerEmail).padStart(9)}  ${h}\n`,
        );
      }
    });
}
