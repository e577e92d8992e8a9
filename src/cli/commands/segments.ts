import type { Command } from 'commander';
import { config } from '../../config.js';
import { rowStream } from '../../rowExport.js';
import {
  memberFields,
  parseMemberFields,
  readMembers,
  type MemberField,
} from '../../segments/membership/memberPages.js';
import { previewRule } from '../../segments/membership/preview.js';
import { getMemberIndex, getSegment, listSegments } from '../../segments/membership/segmentStore.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

function parseFields(spec: string | undefined): MemberField[] {
  const parsed = parseMemberFields(spec);
  if (!parsed.ok) throw new CliError(parsed.error, 2);
  return parsed.value;
}

export function registerSegmentCommands(program: Command): void {
  const segments = program.command('segments').description('segments: list, inspect, export members, preview a rule');

  segments
    .command('list')
    .description('every segment with its size, 30-day change and warnings (as of the last assign-segments run)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withDatabase((db) => listSegments(db));
      if (opts.json) return printJson(list);
      if (list.length === 0)
        return status('no segments yet; run `npx breadcrumb job run assign-segments` to seed the built-in library');
      for (const s of list) {
        const first = s.trend[0]?.size;
        const change =
          first !== undefined && first > 0
            ? ` ${s.size >= first ? '+' : ''}${(((s.size - first) / first) * 100).toFixed(0)}% in 30 d`
            : '';
        const flags = [
          s.builtIn ? 'built-in' : 'custom',
          s.active ? '' : 'inactive',
          s.warnings.length ? `${s.warnings.length} warning(s)` : '',
        ]
          .filter(Boolean)
          .join(', ');
        process.stdout.write(
          `${s.key.padEnd(28)} ${String(s.size).padStart(8)}${change.padEnd(16)} ${s.kind.padEnd(12)} ${flags}\n`,
        );
      }
    });

  segments
    .command('show <key>')
    .description('one segment: definition, rule, size, trend and warnings')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { json?: boolean }) => {
      const found = await withDatabase((db) => getSegment(db, key));
      if (!found.ok) throw new CliError(found.error.message);
      const { memberPages: _pages, ...segment } = found.value;
      if (opts.json) return printJson(segment);
      process.stdout.write(
        `${segment.key}: ${segment.name} (${segment.kind}${segment.builtIn ? ', built-in' : ''}${segment.active ? '' : ', inactive'})\n`,
      );
      if (segment.description) process.stdout.write(`${segment.description}\n`);
      process.stdout.write(`size ${segment.size}, refreshed ${segment.refreshedAt ?? 'never'}\n`);
      for (const w of segment.warnings) process.stdout.write(`warning: ${w}\n`);
      process.stdout.write(`rule: ${JSON.stringify(segment.rule, null, 2)}\n`);
    });

  segments
    .command('members <key>')
    .description('export the current members to stdout, streamed (csv or ndjson)')
    .option('--format <format>', 'csv or ndjson', 'csv')
    .option('--fields <list>', `comma-separated columns (default all: ${memberFields.join(',')})`)
    .option('--limit <n>', 'at most this many rows')
    .option('--json', 'same as --format ndjson')
    .action(async (key: string, opts: { format: string; fields?: string; limit?: string; json?: boolean }) => {
      const format = opts.json ? 'ndjson' : opts.format;
      if (format !== 'csv' && format !== 'ndjson')
        throw new CliError(`--format must be csv or ndjson, not "${format}"`, 2);
      const limit = opts.limit === undefined ? Infinity : Number(opts.limit);
      if (!(limit >= 1)) throw new CliError('--limit must be a positive number', 2);
      const fields = parseFields(opts.fields);
      await withDatabase(async (db) => {
        const found = await getMemberIndex(db, key);
        if (!found.ok) throw new CliError(found.error.message);
        const out = rowStream(process.stdout, format, fields);
        await readMembers(db, { id: key, index: found.value, partitions: config().PARTITIONS }, null, limit, out.row);
        await out.flush();
      });
    });

  segments
    .command('preview')
    .description('count and sample the customers a rule selects now, without saving it')
    .requiredOption('--rule <json>', 'the rule as JSON, e.g. \'{"field":"scores.churnRisk","op":"gte","value":0.7}\'')
    .option('--as-of <date>', 'evaluate as of this date (default: now)')
    .option('--sample <n>', 'how many customers to show', '10')
    .option('--json', 'print JSON')
    .action(async (opts: { rule: string; asOf?: string; sample: string; json?: boolean }) => {
      let rule: unknown;
      try {
        rule = JSON.parse(opts.rule);
      } catch (err) {
        throw new CliError(`--rule is not valid JSON: ${(err as Error).message}`, 2);
      }
      const asOf = opts.asOf ? new Date(opts.asOf) : undefined;
      if (asOf && Number.isNaN(asOf.getTime())) throw new CliError(`--as-of "${opts.asOf}" is not a date`, 2);
      const result = await withDatabase((db) => previewRule(db, rule, { asOf, sample: Number(opts.sample) }));
      if (!result.ok)
        throw new CliError(`invalid rule at rule.${result.error.path.join('.')}: ${result.error.message}`, 2);
      if (opts.json) return printJson(result.value);
      const { count, customers, sample } = result.value;
      process.stdout.write(`${count} of ${customers} customers match\n`);
      for (const r of sample) process.stdout.write(`  ${r.customerId}  ${r.email ?? ''}\n`);
    });
}
