import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedServer } from '../src/db/embedded.js';
import { restoreStockIdIndex } from './helpers/stockIdIndex.js';

// Its own server: the last case edits the database file and restarts the server on it.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-idindex-'));
const dbName = 'idindex';
let server: EmbeddedServer;
let client: MongoClient;

async function connect(): Promise<void> {
  server = await startEmbedded({ dataDir });
  client = new MongoClient(server.uri);
  await client.connect();
}

beforeAll(async () => {
  await connect();
  expect(server.kind).toBe('ferretdb');
});

afterAll(async () => {
  await client.close();
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Documents whose _id is any BSON value, as the cases below insert them. */
type AnyIdDoc = { _id: string | number | ObjectId | { a: number }; [field: string]: unknown };
const coll = (name: string) => client.db(dbName).collection<AnyIdDoc>(name);

/** The SQLite query plan FerretDB's explain returns for a find, and whether the filter went to SQL. */
async function explainFind(collection: string, filter: Document): Promise<{ plan: string; pushdown: boolean }> {
  const res = await client.db(dbName).command({ explain: { find: collection, filter }, verbosity: 'queryPlanner' });
  return { plan: (res.queryPlanner.Plan as string[]).join('\n'), pushdown: res.filterPushdown as boolean };
}

const usesIdIndex = /SEARCH \S+ USING INDEX \S+__id_ \(<expr>=\?\)/;

describe('embedded FerretDB _id index', () => {
  it('answers find by _id from the _id index, and other filters by a scan', async () => {
    await coll('things').insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `c-${i}`, name: `n${i}`, n: i })));

    const byId = await explainFind('things', { _id: 'c-7' });
    expect(byId.pushdown).toBe(true);
    expect(byId.plan).toMatch(usesIdIndex);

    const byName = await explainFind('things', { name: 'n7' });
    expect(byName.pushdown).toBe(false);
    expect(byName.plan).toMatch(/SCAN/);
    expect(byName.plan).not.toMatch(/USING INDEX/);

    expect(await coll('things').findOne({ _id: 'c-7' })).toEqual({ _id: 'c-7', name: 'n7', n: 7 });
    expect(await coll('things').updateOne({ _id: 'c-8' }, { $set: { name: 'eight' } })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
    });
    expect(await coll('things').replaceOne({ _id: 'c-9' }, { name: 'nine' })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
    });
    expect(await coll('things').deleteOne({ _id: 'c-10' })).toMatchObject({ deletedCount: 1 });
    expect(
      await coll('things')
        .find({ _id: { $in: ['c-8', 'c-9', 'c-10', 'c-11'] } }, { sort: { _id: 1 } })
        .toArray(),
    ).toEqual([
      { _id: 'c-11', name: 'n11', n: 11 },
      { _id: 'c-8', name: 'eight', n: 8 },
      { _id: 'c-9', name: 'nine' },
    ]);
    expect(await coll('things').countDocuments()).toBe(199);
  });

  it('pushes {_id: {$in}} of strings and ObjectIds down to the index and returns exactly the equal _ids', async () => {
    const oid = new ObjectId();
    const docs: AnyIdDoc[] = [
      { _id: 'a<b&c', k: 's1' },
      { _id: 'é "quoted" \\ \u2028', k: 's2' },
      { _id: '1', k: 's3' },
      { _id: 1, k: 'int' },
      { _id: oid, k: 'oid' },
      { _id: new ObjectId(), k: 'other-oid' },
      { _id: { a: 1 }, k: 'doc' },
      { _id: 'abc', k: 's4' },
    ];
    await coll('mixed').insertMany(docs);
    const keys = async (filter: Document) =>
      (await coll('mixed').find(filter).toArray()).map((d) => d.k as string).sort();

    const pushed = { _id: { $in: ['a<b&c', 'é "quoted" \\ \u2028', '1', oid, 'missing', '1'] } };
    const explained = await explainFind('mixed', pushed);
    expect(explained.pushdown).toBe(true);
    expect(explained.plan).toMatch(usesIdIndex);
    expect(await keys(pushed)).toEqual(['oid', 's1', 's2', 's3']);

    // Values whose SQL form is not their only form (numbers, documents, regexes) are filtered in Go.
    for (const [filter, expected] of [
      [{ _id: { $in: [1, 'abc'] } }, ['int', 's4']],
      [{ _id: { $in: [{ a: 1 }, 'zzz'] } }, ['doc']],
      [{ _id: { $in: [/^a/] } }, ['s1', 's4']],
      [{ _id: { $in: [] } }, []],
    ] as const) {
      const plan = await explainFind('mixed', filter);
      expect(plan.pushdown, JSON.stringify(filter)).toBe(false);
      expect(await keys(filter), JSON.stringify(filter)).toEqual(expected);
    }

    expect(
      await coll('mixed').updateMany({ _id: { $in: ['abc', oid, 'missing'] } }, { $set: { seen: true } }),
    ).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(await keys({ seen: true })).toEqual(['oid', 's4']);
    expect(await coll('mixed').deleteMany({ _id: { $in: ['1', 'a<b&c'] } })).toMatchObject({ deletedCount: 2 });
    expect(await keys({})).toEqual(['doc', 'int', 'oid', 'other-oid', 's2', 's4']);
  });

  it('rebuilds at start the unused _id index a stock FerretDB build left on a table', async () => {
    await restoreStockIdIndex(dataDir, dbName, 'things');
    // A query makes the connection reload the changed schema (EXPLAIN alone does not check it).
    expect(await coll('things').findOne({ _id: 'c-7' })).toMatchObject({ _id: 'c-7' });
    expect((await explainFind('things', { _id: 'c-7' })).plan).toMatch(/SCAN/);
    expect((await explainFind('things', { _id: 'c-7' })).plan).not.toMatch(/USING INDEX/);

    await client.close();
    await server.stop();
    await connect();

    expect((await explainFind('things', { _id: 'c-7' })).plan).toMatch(usesIdIndex);
    expect(await coll('things').countDocuments()).toBe(199);
    expect(await coll('things').findOne({ _id: 'c-7' })).toEqual({ _id: 'c-7', name: 'n7', n: 7 });
    await expect(coll('things').insertOne({ _id: 'c-7' })).rejects.toMatchObject({ code: 11000 });
  });
});
