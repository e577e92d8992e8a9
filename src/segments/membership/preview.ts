import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { regionWeatherAt } from '../../weather/weatherCache.js';
import { compileRule, type RuleError } from '../rules/index.js';
import { evaluateSegments } from './evaluate.js';
import { memberRow, type MemberRow } from './memberPages.js';

/**
 * How many customers a rule selects now, and a few of them, without saving anything: the same
 * evaluation as the membership job (one pass over the collections on FerretDB).
 */
export async function previewRule(
  database: Database,
  rule: unknown,
  opts: { asOf?: Date; sample?: number } = {},
): Promise<
  { ok: true; value: { count: number; customers: number; sample: MemberRow[] } } | { ok: false; error: RuleError }
> {
  const asOf = opts.asOf ?? new Date();
  const compiled = compileRule(rule, { now: asOf, weather: await regionWeatherAt(database, asOf) });
  if (!compiled.ok) return compiled;
  const partitions = Array.from({ length: config().PARTITIONS }, (_, p) => p);
  const sampleSize = opts.sample ?? 10;
  const sample: MemberRow[] = [];
  let count = 0;
  let customers = 0;
  await evaluateSegments(
    database,
    [{ id: 'preview', compiled: compiled.value }],
    { asOf, partitions, everyPartition: true, scan: database.ferretdb ? 'collection' : 'partition' },
    async (_partition, profiles) => {
      customers += profiles.length;
      for (const p of profiles) {
        if (!p.matched.has('preview')) continue;
        count++;
        if (sample.length < sampleSize) sample.push(memberRow(p.profile._id, p.stored.customer, p.stored.scores, null));
      }
    },
  );
  return { ok: true, value: { count, customers, sample } };
}
