import type { Command } from 'commander';
import { featureCatalog, featureCatalogMarkdown } from '../../features/catalog.js';
import { printJson } from '../output.js';

export function registerFeatureCommands(program: Command): void {
  const features = program.command('features').description('behavioural features');
  features
    .command('catalog')
    .description('every feature with its meaning, window and unit (the README table is this output)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) printJson(featureCatalog);
      else process.stdout.write(featureCatalogMarkdown());
    });
}
