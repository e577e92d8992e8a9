import { writeOut } from './job.js';
import { forgetFullRecompute } from '../../features/refreshFeatures.js';
import type { Command } from 'commander';
import { findJob } from '../../jobs/loadJobs.js';
import { PIPELINE_JOB } from '../../jobs/pipelineRun.js';
import { jobHelp, runJobCommand } from '../../jobs/runFromCommandLine.js';
import { currentHold, releaseHold, type ScheduleHold } from '../../jobs/core/scheduleHold.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

const holdJson = (hold: ScheduleHold | null) =>
  hold
    ? { held: true, runId: hold.runId, asOf: hold.asOf, jobs: hold.jobs, since: hold.since, by: hold.by }
    : { held: false };

export function registerPipelineCommands(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description('features → training → scoring → segments as of one date, and the schedule hold that keeps them');

  pipeline
    .command('run')
    .description(
      'run the pipeline as of --as-of D, recorded as one run with its steps; holds the schedule until `pipeline release` (see `pipeline run --help`)',
    )
    .allowUnknownOption()
    .helpOption(false)
    .argument('[options...]')
    .action(async (rest: string[], _opts: unknown, command: Command) => {
      const def = await findJob(PIPELINE_JOB);
      if (!def) throw new CliError(`jobs/${PIPELINE_JOB}.ts is missing`);
      if (rest.includes('--help') || rest.includes('-h')) {
        writeOut(
          command,
          `${command.helpInformation()}\n${jobHelp(def)}\nexample: npx breadcrumb pipeline run --as-of 2026-07-01 --json\n`,
        );
        return;
      }
      process.exitCode = await runJobCommand(def, rest);
    });

  pipeline
    .command('status')
    .description('whether the schedule is held, by which pipeline run, as of when')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const hold = await withDatabase(currentHold);
      if (opts.json) return printJson(holdJson(hold));
      if (!hold) return status('the schedule is not held');
      process.stdout.write(
        `held by pipeline run ${hold.runId} as of ${hold.asOf.toISOString()} since ${hold.since.toISOString()}: scheduled ${hold.jobs.join(', ')} skip\n`,
      );
    });

  pipeline
    .command('release')
    .description('lift the hold: scheduled runs of the held jobs resume at their next occurrence')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const hold = await withDatabase(async (db) => {
        const released = await releaseHold(db);
        // Features were left as of the pipeline's date: the next build-features recomputes everyone as of now.
        if (released) await forgetFullRecompute(db);
        return released;
      });
      if (opts.json) return printJson({ released: hold !== null, ...(hold && { hold: holdJson(hold) }) });
      if (!hold) return status('the schedule was not held');
      status(
        `released the hold of pipeline run ${hold.runId} (as of ${hold.asOf.toISOString()}); scheduled ${hold.jobs.join(', ')} resume at their next occurrence (the next build-features recomputes everyone as of now)`,
      );
      status(
        'to bring everything back to now at once: npx breadcrumb job run build-features --full && npx breadcrumb job run score-customers && npx breadcrumb job run assign-segments',
      );
    });
}
