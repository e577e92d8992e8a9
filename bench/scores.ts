// `npm run bench -- scores [--customers 20000] [--json]`
// Bulk score reads: GET /v1/scores streamed (ndjson and csv, every field) and paged (json,
// 10,000 rows a page, following nextCursor) over HTTP, each against the same-run baseline of a raw
// driver read of the whole scores collection (every document, every field, no HTTP). Scores are
// synthetic but shaped like scoreCustomers' documents (drivers and model versions included).
import { parseArgs } from 'node:util';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { startHttpServer } from '../src/api/httpServer.js';
import { config } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { partitionOf } from '../src/db/partition.js';
import { benchEnv, type Bench } from './_harness.js';
import { timed } from './features.js';

async function ensureScores(database: Database, customers: number): Promise<void> {
  const { Score } = database.models;
  if ((await database.estimatedCount('scores')) === customers) return;
  await Score.collection.deleteMany({});
  const P = config().PARTITIONS;
  const scoredAt = new Date();
  const driver = (feature: string, i: number) => ({ feature, value: i % 17, effect: ((i % 13) - 6) / 20 });
  for (let i = 0; i < customers; i += 1000) {
    const docs = Array.from({ length: Math.min(1000, customers - i) }, (_, k) => {
      const n = i + k;
      const id = `bench-${String(n).padStart(7, '0')}`;
      return {
        _id: id as never,
        partition: partitionOf(id, P),
        churnRisk: (n % 997) / 997,
        predictedLtv: (n % 5003) / 7,
        purchaseProbability: (n % 89) / 89,
        expectedNextOrderAt: new Date(scoredAt.getTime() + (n % 60) * 86_400_000),
        bestSendHour: n % 24,
        sendHourConfidence: (n % 10) / 10,
        drivers: {
          churn: ['recencyDays', 'orders90d', 'sessions30d'].map((f) => driver(f, n)),
          ltv: ['monetary365d', 'orders365d', 'aov365d'].map((f) => driver(f, n)),
        },
        modelVersions: { churn: 'churn-v3', ltv: 'ltv-v2', sendTime: 'send-time-v1' },
        featuresAsOf: scoredAt,
        scoredAt,
      };
    });
    await Score.collection.insertMany(docs, { ordered: false });
  }
}

/** Lines of a streamed response body (rows, plus a header for CSV). */
async function countLines(res: Response): Promise<number> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
    for (const b of chunk) if (b === 10) lines++;
  return lines;
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({ args, strict: false, options: { customers: { type: 'string' } } });
  const customers = Number(values.customers ?? 20_000);
  const database = await connectDatabase({
    dbName: `bench_scores_c${customers}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  try {
    await timed(`${customers} score documents (once per size)`, () => ensureScores(database, customers));
    const key = (await createApiKey(database.models, { role: 'marketer', name: 'bench' })).key;
    const server = await startHttpServer(buildApp({ database }), { port: 0, host: '127.0.0.1' });
    const headers = { authorization: `Bearer ${key}` };
    try {
      const raw = () =>
        timed('raw driver: every scores document', async () => {
          let n = 0;
          for await (const _ of database.models.Score.collection.find({}, { batchSize: 2000 })) n++;
          return n;
        });
      const stream = (format: 'ndjson' | 'csv') =>
        timed(
          `GET /v1/scores?format=${format}`,
          async () =>
            (await countLines(await fetch(`${server.url}/v1/scores?format=${format}`, { headers }))) -
            (format === 'csv' ? 1 : 0),
        );
      const pages = () =>
        timed('GET /v1/scores json pages of 10,000', async () => {
          let n = 0;
          let cursor: string | null = null;
          do {
            const res = await fetch(`${server.url}/v1/scores?limit=10000${cursor ? `&cursor=${cursor}` : ''}`, {
              headers,
            });
            const body = (await res.json()) as { items: unknown[]; nextCursor: string | null };
            n += body.items.length;
            cursor = body.nextCursor;
          } while (cursor);
          return n;
        });
      // Interleaved, each case beside a fresh baseline, so load from other work on the machine hits both.
      const results = [];
      for (const [name, run] of [
        ['ndjson stream', () => stream('ndjson')],
        ['csv stream', () => stream('csv')],
        ['json pages (10,000 a page)', pages],
      ] as const) {
        const base = await raw();
        const ours = await run();
        if (ours.value !== base.value)
          throw new Error(`${name}: ${ours.value} rows, but the collection holds ${base.value}`);
        const oursRate = ours.value / ours.seconds;
        const baseRate = base.value / base.seconds;
        results.push({
          case: `${name} vs raw driver read (rows/s)`,
          ours: oursRate,
          baseline: baseRate,
          unit: 'rows/s',
          ratio: oursRate / baseRate,
        });
      }
      return {
        bench: 'scores',
        results,
        env: benchEnv({ backend: database.serverVersion, dataset: `${customers} score documents` }),
      };
    } finally {
      await server.close(1000);
    }
  } finally {
    await database.close();
  }
};

export default bench;
