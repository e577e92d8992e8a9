// `npm run bench -- segments [--customers 100000] [--days 365] [--seed 7] [--clients 50] [--seconds 10] [--json]`
// (1) A full assign-segments run (built-in library) vs the raw driver running the same compiled
// filters over the same profiles, materialized for it beforehand (a head start the job does not get);
// (2) GET /v1/segments/:key/members latency at 50 concurrent clients (autocannon) vs a bare route
// reading the same page with the raw driver; (3) CSV export rows/s over HTTP vs a raw cursor
// formatting the same rows. Same server, same synthetic shop (shared with the features bench).
import type { Document } from 'mongodb';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import express from 'express';
import { FIXED_SHOP_END } from '../data/generator/seedShop.js';
import assignSegmentsJob from '../jobs/assign-segments.js';
import buildFeaturesJob from '../jobs/build-features.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { startHttpServer } from '../src/api/httpServer.js';
import { config } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { runJob } from '../src/jobs/runJob.js';
import { builtInSegments } from '../src/segments/library/index.js';
import { compileSegments, evaluateSegments, shareEventQueries } from '../src/segments/membership/evaluate.js';
import {
  memberFields,
  pageIdsOf,
  type MemberPagesIndex,
  type MemberRow,
} from '../src/segments/membership/memberPages.js';
import { benchEnv, type Bench } from './_harness.js';
import { ensureShop, timed } from './features.js';

/** `events.e0` of one segment's filter → the shared fact id the materialized profiles hold. */
function renameEventPaths(filter: unknown, ids: Map<string, string>): unknown {
  if (Array.isArray(filter)) return filter.map((f) => renameEventPaths(f, ids));
  if (filter === null || typeof filter !== 'object' || filter instanceof Date) return filter;
  return Object.fromEntries(
    Object.entries(filter).map(([k, v]) => [
      k.startsWith('events.') ? `events.${ids.get(k.slice(7)) ?? k.slice(7)}` : k,
      renameEventPaths(v, ids),
    ]),
  );
}

async function runOrThrow(
  database: Database,
  job: typeof assignSegmentsJob | typeof buildFeaturesJob,
  options: Record<string, unknown>,
) {
  const outcome = await runJob(job, options, { database, trigger: 'cli' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  if (outcome.value.status !== 'succeeded') throw new Error(`${job.name} failed: ${outcome.value.error?.message}`);
  return outcome.value.counts;
}

const csvLine = (r: MemberRow) =>
  `${memberFields.map((f) => (r[f] === null || r[f] === undefined ? '' : String(r[f]))).join(',')}\n`;

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      clients: { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  const customers = Number(values.customers ?? 100_000);
  const days = Number(values.days ?? 365);
  const seed = Number(values.seed ?? 7);
  const clients = Number(values.clients ?? 50);
  const seconds = Number(values.seconds ?? 10);
  const asOf = FIXED_SHOP_END;
  const database = await connectDatabase({
    dbName: `bench_features_c${customers}_d${days}_s${seed}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  try {
    const shop = await ensureShop(database, { customers, days, seed });
    if ((await database.estimatedCount('features')) < shop.customers)
      await timed('build-features (once per shop)', () =>
        runOrThrow(database, buildFeaturesJob, { asOf: asOf.toISOString(), full: true }),
      );
    // Start from no memberships, so the run does a first run's work: every entry written.
    for (const name of ['customer_segments', 'segment_member_pages', 'segment_counts', 'segments'])
      await database.db.collection(name).deleteMany({});
    await database.models.Event.collection.deleteMany({ type: { $in: ['segment_entered', 'segment_exited'] } });

    // (1a) ours
    const job = await timed(`assign-segments, ${builtInSegments.length} built-in segments`, () =>
      runOrThrow(database, assignSegmentsJob, { asOf: asOf.toISOString() }),
    );

    // (1b) baseline: the same filters by the raw driver over materialized profiles
    const { compiled } = compileSegments(
      builtInSegments.map((b) => ({ id: b.key, rule: b.rule })),
      asOf,
    );
    const scratch = database.db.collection<Document>('bench_segment_profiles');
    await scratch.deleteMany({});
    const partitions = Array.from({ length: config().PARTITIONS }, (_, p) => p);
    // What a customer without such events holds: a count of 0, or null for an anchored fact (as buildProfile fills in).
    const factDefaults = Object.fromEntries(
      shareEventQueries(compiled).queries.map((q) => [q.id, q.anchor ? null : 0]),
    );
    const materialize = await timed('materializing profiles for the baseline', async () =>
      evaluateSegments(
        database,
        compiled,
        { asOf, partitions, everyPartition: true, scan: database.ferretdb ? 'collection' : 'partition' },
        async (_p, profiles) => {
          const docs = profiles.map(({ profile, facts }) => ({
            _id: profile._id,
            customer: profile.customer,
            features: profile.features,
            scores: profile.scores,
            events: { ...factDefaults, ...facts },
          }));
          for (let i = 0; i < docs.length; i += 1000)
            await scratch.insertMany(docs.slice(i, i + 1000) as never[], { ordered: false });
        },
      ),
    );
    const baseline = await timed('raw driver: one find per compiled filter', async () => {
      let members = 0;
      for (const s of materialize.value.segments) {
        const filter = renameEventPaths(s.compiled.filter(s.cutoffs), new Map(s.eventIds)) as Document;
        for await (const _ of scratch.find(filter, { projection: { _id: 1 }, batchSize: 5000 })) members++;
      }
      return members;
    });
    await scratch.drop();

    // (2) members pull latency, and (3) CSV export, on the largest segment
    const segments = await database.models.Segment.collection
      .find({}, { projection: { memberPages: 1, memberCount: 1 } })
      .sort({ memberCount: -1 })
      .limit(1)
      .toArray();
    const largest = segments[0]!;
    const key = String(largest._id);
    const index = largest.memberPages as MemberPagesIndex;
    const firstPage = pageIdsOf(key, index)[0]!;
    const apiKey = (await createApiKey(database.models, { role: 'marketer', name: 'bench' })).key;
    const app = buildApp({ database });
    // The baseline route: the same page by _id with the raw driver, no auth, no validation.
    const bare = express();
    bare.get(
      '/page',
      async (_req, res) =>
        void res.json({
          items: (
            (await database.models.SegmentMemberPage.collection.findOne({ _id: firstPage as never }))
              ?.rows as MemberRow[]
          ).slice(0, 100),
        }),
    );
    const server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
    const bareServer = await startHttpServer(bare, { port: 0, host: '127.0.0.1' });
    const cannon = (url: string, headers: Record<string, string>) =>
      autocannon({ url, connections: clients, duration: seconds, headers }) as unknown as Promise<{
        latency: { p50: number; p99: number };
        requests: { total: number };
        non2xx: number;
      }>;
    process.stderr.write(
      `members pull: ${clients} clients × ${seconds} s on "${key}" (${largest.memberCount} members)…\n`,
    );
    const ours = await cannon(`${server.url}/v1/segments/${key}/members?limit=100`, {
      authorization: `Bearer ${apiKey}`,
    });
    const bareRun = await cannon(`${bareServer.url}/page`, {});
    if (ours.non2xx > 0) throw new Error(`${ours.non2xx} member requests failed`);

    const exportOurs = await timed('CSV export over HTTP', async () => {
      const res = await fetch(`${server.url}/v1/segments/${key}/members?format=csv`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      let lines = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        for (const b of chunk) if (b === 10) lines++;
      return lines - 1;
    });
    const exportRaw = await timed('raw cursor over the same pages, formatting CSV', async () => {
      let rows = 0;
      let _out = ''; // formatted and dropped: the cost of formatting, not of sending
      const versions = [...new Set(Object.values(index).map((e) => e.version))];
      for await (const page of database.models.SegmentMemberPage.collection.find({
        segmentId: key,
        version: { $in: versions },
      })) {
        for (const r of page.rows as MemberRow[]) {
          _out += csvLine(r);
          rows++;
        }
        _out = '';
      }
      return rows;
    });
    await server.close(1000);
    await bareServer.close(1000);

    const oursRate = shop.customers / job.seconds;
    const baseRate = shop.customers / baseline.seconds;
    return {
      bench: 'segments',
      results: [
        {
          case: 'assign-segments vs raw filters (customers/s)',
          ours: oursRate,
          baseline: baseRate,
          unit: 'customers/s',
          ratio: oursRate / baseRate,
        },
        {
          case: `members page p50, ${clients} clients (lower is better)`,
          ours: ours.latency.p50,
          baseline: bareRun.latency.p50,
          unit: 'ms',
          ratio: bareRun.latency.p50 / Math.max(ours.latency.p50, 0.001),
        },
        {
          case: `members page p99, ${clients} clients (lower is better)`,
          ours: ours.latency.p99,
          baseline: bareRun.latency.p99,
          unit: 'ms',
          ratio: bareRun.latency.p99 / Math.max(ours.latency.p99, 0.001),
        },
        {
          case: 'CSV export over HTTP vs raw cursor',
          ours: exportOurs.value / exportOurs.seconds,
          baseline: exportRaw.value / exportRaw.seconds,
          unit: 'rows/s',
          ratio: exportOurs.value / exportOurs.seconds / (exportRaw.value / exportRaw.seconds),
        },
      ],
      env: benchEnv({
        backend: database.serverVersion,
        dataset: `${shop.customers} customers, ${shop.events} events, ${days} days (seed ${seed})`,
        segments: compiled.length,
        memberships: job.value.entered,
        jobSeconds: +job.seconds.toFixed(2),
        jobEvaluateMs: job.value.evaluateMs,
        jobWriteMs: job.value.writeMs,
        baselineSeconds: +baseline.seconds.toFixed(2),
        baselineMembers: baseline.value,
        materializeSeconds: +materialize.seconds.toFixed(2),
        exportSegment: key,
        exportRows: exportOurs.value,
        requests: ours.requests.total,
      }),
    };
  } finally {
    await database.close();
  }
};

export default bench;
