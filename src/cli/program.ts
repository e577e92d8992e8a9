import { Command } from 'commander';
import { registerDbCommands } from './commands/db.js';
import { registerFeatureCommands } from './commands/features.js';
import { registerImportCommand } from './commands/import.js';
import { registerJobCommands } from './commands/job.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerModelCommands } from './commands/models.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerSeedCommand } from './commands/seed.js';
import { registerScoreCommands } from './commands/scores.js';
import { registerSegmentCommands } from './commands/segments.js';
import { registerReportCommands } from './commands/report.js';
import { registerPrivacyCommands } from './commands/privacy.js';
import { registerCustomerCommands } from './commands/customers.js';
import { registerWeatherCommands } from './commands/weather.js';

/** The whole command tree, unparsed: main.ts runs it, and a test walks it to check every `--help`. */
export function buildProgram(): Command {
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
  registerScoreCommands(program);
  registerReportCommands(program);
  registerPrivacyCommands(program);
  registerCustomerCommands(program);
  registerWeatherCommands(program);
  return program;
}
