// `npm run bench -- <name> [--json] [...]`: runs bench/<name>.ts, whose default export measures
// ours and a baseline in the same run and returns the report printed here.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench, BenchReport, ModelsReport } from './_harness.js';

// Request logs would drown the figures; LOG_LEVEL still wins when set.
process.env.LOG_LEVEL ??= 'warn';

const dir = import.meta.dirname;
const available = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || !available.includes(name)) {
    process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [--json] [options]\n`);
    process.exitCode = name && name !== '--help' && name !== '-h' ? 2 : 0;
    return;
  }
  const mod = (await import(pathToFileURL(path.join(dir, `${name}.ts`)).href)) as { default: Bench; usage?: string };
  if (mod.usage && (args.includes('--help') || args.includes('-h'))) {
    process.stdout.write(`${mod.usage}\n`);
    return;
  }
  const report = await mod.default(args);
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  if (isModelsReport(report)) {
    printModels(report);
    return;
  }
  process.stdout.write(
    `\n${report.bench}  (${Object.entries(report.env)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')})\n`,
  );
  for (const r of report.results) {
    process.stdout.write(
      `  ${r.case.padEnd(40)} ours ${fmt(r.ours)} ${r.unit}  baseline ${fmt(r.baseline)} ${r.unit}  ratio ${r.ratio.toFixed(2)}×\n`,
    );
  }
}

function isModelsReport(report: BenchReport | ModelsReport): report is ModelsReport {
  return report.bench === 'models';
}

/** One table: a row per dataset, cohort, task and metric, a column per model (ours first). */
function printModels(report: ModelsReport): void {
  const models = [...new Set(report.results.map((r) => r.model))];
  const rows = new Map<string, Map<string, number>>();
  for (const r of report.results) {
    const key = [r.dataset, r.cohort, r.task, r.metric].join('\t');
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.model, r.value);
  }
  const header = ['dataset', 'cohort', 'task', 'metric', ...models];
  const lines = [...rows].map(([key, values]) => [
    ...key.split('\t'),
    ...models.map((m) => (values.has(m) ? values.get(m)!.toFixed(4) : '—')),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...lines.map((l) => l[j]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j < 4 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  process.stdout.write(
    `\nmodels  (${Object.entries(report.env)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join(', ')})\n`,
  );
  process.stdout.write(`${line(header)}\n${lines.map(line).join('\n')}\n`);
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

await main();
