import { Command, CommanderError } from 'commander';
import { registerDbCommands } from './commands/db.js';
import { registerFeatureCommands } from './commands/features.js';
import { registerImportCommand } from './commands/import.js';
import { registerJobCommands } from './commands/job.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerModelCommands } from './commands/models.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerSeedCommand } from './commands/seed.js';
import { registerSegmentCommands } from './commands/segments.js';
import { registerReportCommands } from './commands/report.js';
import { registerPrivacyCommands } from './commands/privacy.js';
import { log } from '../log.js';
import { CliError } from './output.js';

// Commands report through their output and progress bars; LOG_LEVEL=info shows the log too.
log.level = process.env.LOG_LEVEL ?? 'warn';

const program = new Command('breadcrumb')
  .description('Breadcrumb: predictive analytics, segments and tailored email flows for e-commerce')
  .showHelpAfterError()
  .exitOverride();

registerDbCommands(program);
registerSeedCommand(program);
registerImportCommand(program);
registerJobCommands(program);
registerPipelineCommands(program);
registerKeyCommands(program);
registerModelCommands(program);
registerFeatureCommands(program);
registerSegmentCommands(program);
registerReportCommands(program);
registerPrivacyCommands(program);

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
