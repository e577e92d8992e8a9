// `npm run bench -- <name> [--json] [...]`: runs bench/<name>.ts, whose default export measures
// ours and a baseline in the same run and returns the report printed here.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench } from './_harness.js';

// Request logs would drown the figures; LOG_LEVEL still wins when set.
process.env.LOG_LEVEL ??= 'warn';

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
