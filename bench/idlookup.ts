// `npm run bench -- idlookup [--docs 100000] [--ops 200] [--baseline-ops 5] [--json]`
// Reads and writes by _id on the embedded FerretDB (our patched build, see
// docs/embedded-database.md): findOne, updateOne, replaceOne and a find of 100 ids by $in, on a
// collection of --docs customer-like documents. Baseline, in the same run on the same server and
// table: the table's _id index put back to what stock FerretDB v1.24.2 builds (an expression its
// queries never use), so every operation scans the table. The $in baseline still sends the ids to
// SQLite (stock FerretDB would decode every document in Go), so that ratio understates the gain.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient, type Collection } from 'mongodb';
import { startEmbedded } from '../src/db/embedded.js';
import { restoreStockIdIndex } from '../tests/helpers/stockIdIndex.js';
import { benchEnv, type Bench, type BenchResult } from './_harness.js';

export const usage = 'npm run bench -- idlookup [--docs 100000] [--ops 200] [--baseline-ops 5] [--json]';

type Customer = { _id: string; email: string; partition: number; traits: Record<string, unknown>; updates?: number };

const customer = (i: number): Customer => ({
  _id: `cust-${i}`,
  email: `cust-${i}@example.com`,
  partition: i % 16,
  traits: { firstName: `Name${i}`, city: ['Berlin', 'Lyon', 'Leeds'][i % 3], orders: i % 7 },
});

type Op = { name: string; run: (coll: Collection<Customer>, id: (k: number) => string, k: number) => Promise<unknown> };

const ops: Op[] = [
  { name: 'findOne by _id', run: (c, id, k) => c.findOne({ _id: id(k) }) },
  { name: 'updateOne by _id ($inc)', run: (c, id, k) => c.updateOne({ _id: id(k) }, { $inc: { updates: 1 } }) },
  { name: 'replaceOne by _id', run: (c, id, k) => c.replaceOne({ _id: id(k) }, customer(Number(id(k).slice(5)))) },
  {
    name: 'find 100 ids by $in',
    run: (c, id, k) => c.find({ _id: { $in: Array.from({ length: 100 }, (_, j) => id(k * 100 + j)) } }).toArray(),
  },
];

/** Operations per second over `count` calls of `op` on ids spread over the collection. */
async function opsPerSecond(
  coll: Collection<Customer>,
  op: Op,
  docs: number,
  count: number,
): Promise<{ perSecond: number; msPerOp: number }> {
  const id = (k: number) => `cust-${(k * 7919) % docs}`;
  const started = performance.now();
  for (let k = 0; k < count; k++) await op.run(coll, id, k);
  const ms = performance.now() - started;
  return { perSecond: (count * 1000) / ms, msPerOp: ms / count };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { docs: { type: 'string' }, ops: { type: 'string' }, 'baseline-ops': { type: 'string' } },
  });
  const docs = Number(values.docs ?? 100_000);
  const count = Number(values.ops ?? 200);
  const baselineCount = Number(values['baseline-ops'] ?? 5);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-idlookup-'));
  const server = await startEmbedded({ dataDir, status: (m) => process.stderr.write(`${m}\n`) });
  const client = new MongoClient(server.uri);
  try {
    if (server.kind !== 'ferretdb')
      throw new Error('idlookup measures the embedded FerretDB; a mongod on PATH replaced it');
    const coll = client.db('idlookup').collection<Customer>('customers');
    process.stderr.write(`inserting ${docs.toLocaleString('en-US')} documents…\n`);
    for (let i = 0; i < docs; i += 10_000)
      await coll.insertMany(Array.from({ length: Math.min(10_000, docs - i) }, (_, j) => customer(i + j)));

    const ours = [];
    for (const op of ops) ours.push(await opsPerSecond(coll, op, docs, count));
    await restoreStockIdIndex(dataDir, 'idlookup', 'customers');
    const results: (BenchResult & { oursMsPerOp: number; baselineMsPerOp: number })[] = [];
    for (const [i, op] of ops.entries()) {
      process.stderr.write(`baseline: ${op.name}…\n`);
      const baseline = await opsPerSecond(coll, op, docs, baselineCount);
      results.push({
        case: op.name,
        ours: ours[i]!.perSecond,
        baseline: baseline.perSecond,
        unit: 'ops/s',
        ratio: ours[i]!.perSecond / baseline.perSecond,
        oursMsPerOp: ours[i]!.msPerOp,
        baselineMsPerOp: baseline.msPerOp,
      });
    }
    for (const r of results)
      process.stderr.write(
        `  ${r.case}: ${r.oursMsPerOp.toFixed(2)} ms/op vs ${r.baselineMsPerOp.toFixed(1)} ms/op on the stock index\n`,
      );
    return {
      bench: 'idlookup',
      results,
      env: benchEnv({ docs, ops: count, baselineOps: baselineCount, server: 'embedded FerretDB (patched)' }),
    };
  } finally {
    await client.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};

export default bench;
