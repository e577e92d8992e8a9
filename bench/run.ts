// `npm run bench -- <name> [--json] [...]`: runs bench/<name>.ts, whose default export measures
// ours and a baseline in the same run and returns the report printed here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchResult {
  case: string;
  ours: number;
  baseline: number;
  unit: string;
  /** ours / baseline for throughput units; the bench says when a lower value is better. */
  ratio: number;
}

export interface BenchReport {
  bench: string;
  results: BenchResult[];
  env: Record<string, unknown>;
  [extra: string]: unknown;
}

export type Bench = (args: string[]) => Promise<BenchReport>;

export function benchEnv(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, ...extra };
}

const dir = import.meta.dirname;
const available = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_')).map((f) => f.slice(0, -3));

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || !available.includes(name)) {
    process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [--json] [options]\n`);
    process.exitCode = name && name !== '--help' && name !== '-h' ? 2 : 0;
    return;
  }
  const mod = (await import(pathToFileURL(path.join(dir, `${name}.ts`)).href)) as { default: Bench };
  const report = await mod.default(args);
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(`\n${report.bench}  (${Object.entries(report.env).map(([k, v]) => `${k}: ${v}`).join(', ')})\n`);
  for (const r of report.results) {
    process.stdout.write(`  ${r.case.padEnd(40)} ours ${fmt(r.ours)} ${r.unit}  baseline ${fmt(r.baseline)} ${r.unit}  ratio ${r.ratio.toFixed(2)}×\n`);
  }
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

await main();
