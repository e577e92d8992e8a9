import { parseArgs } from 'node:util';
import { createProgress } from '../cli/progress.js';
import { connectDatabase } from '../db/database.js';
import type { JobDefinition } from './defineJob.js';
import { runJob, type RunOutcome } from './runJob.js';

/** `--as-of 2011-06-01 --max-days 3` → `{ asOf: '2011-06-01', maxDays: '3' }`; zod coerces types. */
export function optionsFromArgs(args: string[]): { options: Record<string, string | boolean>; json: boolean; help: boolean } {
  const { values, tokens } = parseArgs({ args, strict: false, tokens: true });
  const options: Record<string, string | boolean> = {};
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || token.name === 'json' || token.name === 'help') continue;
    const key = token.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    options[key] = token.value ?? true;
  }
  return { options, json: values.json === true, help: values.help === true || values.h === true };
}

export function jobHelp(def: JobDefinition): string {
  const shape = (def.options as unknown as { shape?: Record<string, { description?: string }> }).shape ?? {};
  const lines = Object.entries(shape).map(([k, v]) => `  --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}  ${v.description ?? ''}`);
  return [`${def.name}: ${def.description}`, `schedule: ${def.schedule ?? 'on demand'}`, 'options:', ...lines, '  --json  print the run result as JSON'].join('\n');
}

/** Connects, runs one job with a progress bar and prints the outcome; the exit code says how it went. */
export async function runJobCommand(def: JobDefinition, args: string[]): Promise<number> {
  const { options, json, help } = optionsFromArgs(args);
  if (help) {
    process.stdout.write(`${jobHelp(def)}\n`);
    return 0;
  }
  const database = await connectDatabase({ status: (m) => process.stderr.write(`${m}\n`) });
  const progress = createProgress(def.name);
  let outcome: RunOutcome;
  try {
    outcome = await runJob(def, options, { database, trigger: 'cli', onProgress: progress.update });
  } finally {
    progress.stop();
    await database.close();
  }
  if (!outcome.ok) {
    process.stderr.write(`error: ${outcome.error.message}\n`);
    return 2;
  }
  const result = outcome.value;
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.status === 'succeeded') process.stdout.write(`${def.name} succeeded in ${result.durationMs} ms ${JSON.stringify(result.counts)}\n`);
  else process.stderr.write(`error: ${def.name} failed: ${result.error?.message}\n`);
  return result.status === 'succeeded' ? 0 : 1;
}

/** Lets a job file run alone: `npx tsx jobs/<name>.ts --as-of 2011-06-01 --json`. */
export async function runIfMain(importMetaUrl: string, def: JobDefinition): Promise<void> {
  const { fileURLToPath } = await import('node:url');
  if (process.argv[1] && fileURLToPath(importMetaUrl) === (await import('node:fs')).realpathSync(process.argv[1])) {
    process.exitCode = await runJobCommand(def, process.argv.slice(2));
  }
}
