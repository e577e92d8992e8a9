// `npm run bench -- ingest [--customers 20000] [--events 100000] [--clients 4] [--batch 500] [--json]`
// Events/s through POST /v1/events (several concurrent clients) vs the raw driver's insertMany of
// the same stored documents into the same server, each into a fresh database with the same indexes.
import { parseArgs } from 'node:util';
import { createShopContext, FIXED_SHOP_END, simulateCustomer } from '../data/generator/seedShop.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { startHttpServer } from '../src/api/httpServer.js';
import { config } from '../src/config.js';
import { connectDatabase } from '../src/db/database.js';
import { benchEnv, type Bench } from './_harness.js';

type SimEvent = ReturnType<typeof simulateCustomer>['events'][number];

/** Every k-th event of a whole synthetic shop, so the sample spans all its customers and types. */
function sampleEvents(customers: number, wanted: number): SimEvent[] {
  const ctx = createShopContext({ seed: 11, days: 365, end: FIXED_SHOP_END, partitions: config().PARTITIONS });
  const all: SimEvent[] = [];
  for (let i = 0; i < customers; i++) all.push(...simulateCustomer(ctx, i).events);
  const stride = Math.max(1, Math.floor(all.length / wanted));
  return all.filter((_, i) => i % stride === 0).slice(0, wanted);
}

const toApi = (e: SimEvent) => ({
  eventId: e.eventId,
  type: e.type,
  customerId: e.customerId,
  timestamp: e.ts.toISOString(),
  channel: e.channel,
  device: e.device,
  sessionId: e.sessionId,
  properties: e.props,
});

async function inParallel<T>(items: T[], clients: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      customers: { type: 'string' },
      events: { type: 'string' },
      clients: { type: 'string' },
      batch: { type: 'string' },
    },
  });
  const customers = Number(values.customers ?? 20_000);
  const wanted = Number(values.events ?? 100_000);
  const clients = Number(values.clients ?? 4);
  const batchSize = Number(values.batch ?? 500);
  process.stderr.write(`generating a ${customers}-customer shop in memory and sampling ${wanted} events…\n`);
  const events = sampleEvents(customers, wanted);
  const batches = (xs: unknown[]) =>
    Array.from({ length: Math.ceil(xs.length / batchSize) }, (_, i) => xs.slice(i * batchSize, (i + 1) * batchSize));
  const stamp = Date.now();

  const raw = await connectDatabase({ dbName: `bench_ingest_raw_${stamp}` });
  const rawDocs = events
    .map((e) => ({ ...e, _id: undefined, receivedAt: new Date(), source: 'api' }))
    .map(({ _id, ...d }) => d);
  let t = performance.now();
  await inParallel(
    batches(rawDocs),
    clients,
    async (b) => void (await raw.models.Event.collection.insertMany(b as never[], { ordered: false })),
  );
  const baselineSec = (performance.now() - t) / 1000;
  const serverVersion = raw.serverVersion;
  await raw.db.dropDatabase();
  await raw.close();

  const api = await connectDatabase({ dbName: `bench_ingest_api_${stamp}` });
  const key = (await createApiKey(api.models, { role: 'ingest', name: 'bench' })).key;
  const server = await startHttpServer(buildApp({ database: api }), { port: 0, host: '127.0.0.1' });
  t = performance.now();
  await inParallel(batches(events.map(toApi)), clients, async (b) => {
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(b),
    });
    if (res.status !== 200) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  });
  const oursSec = (performance.now() - t) / 1000;
  const stored = await api.estimatedCount('events');
  await server.close(1000);
  await api.db.dropDatabase();
  await api.close();
  if (stored !== events.length) throw new Error(`stored ${stored} of ${events.length} events`);

  const ours = events.length / oursSec;
  const baseline = events.length / baselineSec;
  return {
    bench: 'ingest',
    results: [
      {
        case: `POST /v1/events, ${clients} clients × batches of ${batchSize}`,
        ours,
        baseline,
        unit: 'events/s',
        ratio: ours / baseline,
      },
    ],
    env: benchEnv({
      backend: serverVersion,
      dataset: `${events.length} events sampled from a ${customers}-customer synthetic shop`,
      oursSeconds: +oursSec.toFixed(2),
      baselineSeconds: +baselineSec.toFixed(2),
    }),
  };
};

export default bench;
