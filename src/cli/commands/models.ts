import type { Command } from 'commander';
import {
  getModelVersion,
  listModels,
  promote,
  readModelMeta,
  rollback,
  type ModelVersionRecord,
  type RegistryResult,
} from '../../ml/registry.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('trained model versions: list, inspect, promote, roll back');

  models
    .command('list')
    .description('every registered version, newest first per model')
    .option('--name <name>', 'only this model (churn, ltv, send-time)')
    .option('--json', 'print JSON')
    .action(async (opts: { name?: string; json?: boolean }) => {
      const list = await withDatabase((db) => listModels(db, { name: opts.name }));
      if (opts.json) return printJson(list);
      if (list.length === 0)
        return status('no models registered yet; train one, e.g. `npx tsx jobs/train-churn.ts --as-of 2026-07-01`');
      for (const m of list)
        process.stdout.write(`${m.name.padEnd(10)} ${m.version.padEnd(22)} ${m.status.padEnd(9)} ${headline(m)}\n`);
    });

  models
    .command('show <name> [version]')
    .description('one version (default: the active one): registry record, metrics, calibration and top drivers')
    .option('--json', 'print JSON')
    .action(async (name: string, version: string | undefined, opts: { json?: boolean }) => {
      const { record, meta } = await withDatabase(async (db) => {
        const found = orFail(await getModelVersion(db, name, version ?? 'active'));
        const read = await readModelMeta(found);
        return { record: found, meta: read.ok ? read.value : { error: read.error.message } };
      });
      if (opts.json) return printJson({ ...record, meta });
      process.stdout.write(describe(record, meta));
    });

  models
    .command('promote <name> <version>')
    .description('make a version the active one (the current active version is retired)')
    .option('--json', 'print JSON')
    .action(async (name: string, version: string, opts: { json?: boolean }) => {
      const record = orFail(await withDatabase((db) => promote(db, name, version)));
      if (opts.json) printJson(record);
      else status(`${name} ${record.version} is active`);
    });

  models
    .command('rollback <name>')
    .description('reactivate the version that was active before the current one (the current one is marked rejected)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { from, to } = orFail(await withDatabase((db) => rollback(db, name)));
      if (opts.json) printJson({ from, to });
      else status(`${name}: rolled back from ${from.version} to ${to.version}`);
    });
}

function orFail<T>(result: RegistryResult<T>): T {
  if (!result.ok) throw new CliError(result.error.message);
  return result.value;
}

function fmt(x: unknown): string {
  return typeof x === 'number' && Number.isFinite(x) ? (Number.isInteger(x) ? String(x) : x.toFixed(4)) : '—';
}

function headline(m: ModelVersionRecord): string {
  const asOf = m.asOf ? `as of ${m.asOf.toISOString().slice(0, 10)}` : '';
  const metrics = ['auc', 'prAuc', 'brier'].filter((k) => k in m.metrics).map((k) => `${k} ${fmt(m.metrics[k])}`);
  return [asOf, m.horizonDays ? `+${m.horizonDays}d` : '', ...metrics].filter(Boolean).join('  ');
}

function describe(record: ModelVersionRecord, meta: unknown): string {
  const lines = [
    `${record.name} ${record.version} (${record.status})`,
    `  as of ${record.asOf?.toISOString() ?? '—'}, horizon ${record.horizonDays ?? '—'} days, ${record.featureSchema.length} features`,
    `  backend ${record.backend ?? '—'}, code ${record.codeVersion ?? '—'}, files ${record.path}`,
    ...(record.notes ? [`  ${record.notes}`] : []),
    '  metrics:',
    ...Object.entries(record.metrics).map(([k, v]) => `    ${k.padEnd(22)} ${fmt(v)}`),
  ];
  const m = meta as {
    metrics?: {
      calibrationTable?: { lo: number; hi: number; count: number; meanPredicted: number; observedRate: number }[];
    };
    drivers?: { feature: string; share: number }[];
    error?: string;
  };
  if (m.error) lines.push(`  meta.json: ${m.error}`);
  if (m.metrics?.calibrationTable?.length) {
    lines.push('  calibration (test rows):', '    bin        n  predicted  observed');
    for (const b of m.metrics.calibrationTable)
      lines.push(
        `    ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} ${String(b.count).padStart(6)}  ${b.meanPredicted.toFixed(3).padStart(9)}  ${b.observedRate.toFixed(3).padStart(8)}`,
      );
  }
  if (m.drivers?.length) {
    lines.push('  top drivers (share of |gradient × input|):');
    for (const d of m.drivers.slice(0, 10)) lines.push(`    ${d.feature.padEnd(28)} ${(100 * d.share).toFixed(1)}%`);
  }
  return `${lines.join('\n')}\n`;
}
