import { createProgress } from '../cli/progress.js';
import { connectDatabase } from '../db/database.js';
import { log } from '../log.js';
import type { JobDefinition } from './core/defineJob.js';
import { runJob, type RunOutcome } from './runJob.js';

/**
 * `--as-of 2011-06-01 --max-days=3 --full` → `{ asOf: '2011-06-01', maxDays: '3', full: true }`;
 * the job's zod schema coerces the strings. A flag followed by another flag is boolean.
 */
export function optionsFromArgs(args: string[]): {
  options: Record<string, string | boolean>;
  json: boolean;
  help: boolean;
} {
  const options: Record<string, string | boolean> = {};
  let json = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const next = args[i + 1];
      if (inline !== undefined) options[key] = inline;
      else if (next !== undefined && !next.startsWith('--')) options[key] = args[++i]!;
      else options[key] = true;
    } else throw new Error(`unexpected argument "${arg}": options are --name value`);
  }
  return { options, json, help };
}

export function jobHelp(def: JobDefinition): string {
  const shape = (def.options as unknown as { shape?: Record<string, { description?: string }> }).shape ?? {};
  const lines = Object.entries(shape).map(
    ([k, v]) => `  --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}  ${v.description ?? ''}`,
  );
  return [
    `${def.name}: ${def.description}`,
    `schedule: ${def.schedule ?? 'on demand'}`,
    'options:',
    ...lines,
    '  --json  print the run result as JSON',
  ].join('\n');
}

/** Connects, runs one job with a progress bar and prints the outcome; the exit code says how it went. */
export async function runJobCommand(def: JobDefinition, args: string[]): Promise<number> {
  let parsed: ReturnType<typeof optionsFromArgs>;
  try {
    parsed = optionsFromArgs(args);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const { options, json, help } = parsed;
  // The progress bar and the result speak for a command-line run; LOG_LEVEL=info shows the log.
  log.level = process.env.LOG_LEVEL ?? 'warn';
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
  else if (result.status === 'succeeded')
    process.stdout.write(`${def.name} succeeded in ${result.durationMs} ms ${JSON.stringify(result.counts)}\n`);
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
