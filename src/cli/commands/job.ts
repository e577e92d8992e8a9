import type { Command } from 'commander';
import { loadJobs } from '../../jobs/loadJobs.js';
import { jobHelp, runJobCommand } from '../../jobs/runFromCommandLine.js';
import { CliError, printJson } from '../output.js';

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('pipeline jobs (the same files the worker schedules)');

  job
    .command('list')
    .description('list the jobs in jobs/ with their schedules')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const jobs = await loadJobs();
      if (opts.json)
        printJson(
          jobs.map((j) => ({ name: j.name, description: j.description, schedule: j.schedule, stage: j.stage ?? null })),
        );
      else
        for (const j of jobs)
          process.stdout.write(`${j.name.padEnd(24)} ${(j.schedule ?? 'on demand').padEnd(14)} ${j.description}\n`);
    });

  job
    .command('run <name>')
    .description(
      'run one job now; options as --kebab-case flags (see `job run <name> --help`), e.g. --as-of 2011-06-01',
    )
    .allowUnknownOption()
    .helpOption(false)
    .argument('[options...]')
    .action(async (name: string, rest: string[], _opts: unknown, command: Command) => {
      // Help is turned off here so `job run <name> --help` reaches the job; without a name it is the command's own.
      if (name === '--help' || name === '-h') {
        writeOut(
          command,
          `${command.helpInformation()}\nthe jobs: \`breadcrumb job list\`; one job's options: \`breadcrumb job run <name> --help\`\n`,
        );
        return;
      }
      const def = (await loadJobs()).find((j) => j.name === name);
      if (!def) throw new CliError(`no job named "${name}"; \`breadcrumb job list\` shows them`);
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(`${jobHelp(def)}\n`);
        return;
      }
      process.exitCode = await runJobCommand(def, rest);
    });
}

/** Help text through the command's own output (what `configureOutput` set; stdout by default). */
export function writeOut(command: Command, text: string): void {
  const write = command.configureOutput().writeOut;
  if (write) write(text);
  else process.stdout.write(text);
}
