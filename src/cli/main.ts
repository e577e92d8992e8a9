import { CommanderError } from 'commander';
import { log } from '../log.js';
import { CliError } from './output.js';
import { buildProgram } from './program.js';

// Commands report through their output and progress bars; LOG_LEVEL=info shows the log too.
log.level = process.env.LOG_LEVEL ?? 'warn';

const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    if (process.env.DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
}
