import type {
  AnyBulkWriteOperation,
  BulkWriteResult,
  Collection,
  Document,
  Filter,
  OptionalUnlessRequiredId,
} from 'mongodb';
import { insertIgnoringDuplicates } from './insertIgnoringDuplicates.js';

/**
 * FerretDB v1.24 (SQLite) keeps every matched document's query open until an `update` command
 * returns (`defer closer.Close()` inside its per-update loop) and its pool has 100 connections,
 * so one update command with ~100 ops on existing documents deadlocks the server, and so do a
 * few concurrent ones of ~50. Updates and replaces therefore go in small chunks, and at most
 * `MAX_CONCURRENT` chunks per process are in flight. MongoDB has no such limit.
 */
const FERRETDB_CHUNK = 20;
const MAX_CONCURRENT = 2;

let inFlight = 0;
const waiting: (() => void)[] = [];

async function acquire(): Promise<void> {
  if (inFlight < MAX_CONCURRENT) {
    inFlight++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else inFlight--;
}

export interface BulkCounts {
  inserted: number;
  upserted: number;
  matched: number;
  modified: number;
  deleted: number;
}

/** bulkWrite that is safe on FerretDB; `chunked` is set from the server's buildInfo at connect. */
export async function safeBulkWrite<T extends Document>(
  collection: Collection<T>,
  ops: AnyBulkWriteOperation<T>[],
  opts: { ordered?: boolean; chunked: boolean },
): Promise<BulkCounts> {
  const counts: BulkCounts = { inserted: 0, upserted: 0, matched: 0, modified: 0, deleted: 0 };
  const size = opts.chunked ? FERRETDB_CHUNK : 1000;
  for (let i = 0; i < ops.length; i += size) {
    let result: BulkWriteResult;
    if (opts.chunked) await acquire();
    try {
      result = await collection.bulkWrite(ops.slice(i, i + size), { ordered: opts.ordered ?? false });
    } finally {
      if (opts.chunked) release();
    }
    counts.inserted += result.insertedCount;
    counts.upserted += result.upsertedCount;
    counts.matched += result.matchedCount;
    counts.modified += result.modifiedCount;
    counts.deleted += result.deletedCount;
  }
  return counts;
}

/**
 * Replaces whole documents by `_id` (inserting those that are new). On FerretDB every write by
 * `_id` costs a table scan (about 2 µs per stored document, measured), so one `deleteMany`
 * with `$in` per chunk plus one `insertMany` beats a replace per document by orders of
 * magnitude; the price is that a reader can miss a document for the instant between the two.
 * Derived collections (features, scores) accept that; source data never goes through here.
 */
export async function replaceById<T extends Document & { _id: unknown }>(
  collection: Collection<T>,
  docs: T[],
  opts: { chunked: boolean },
): Promise<number> {
  if (!opts.chunked) {
    const ops = docs.map((d) => ({
      replaceOne: { filter: { _id: d._id } as Filter<T>, replacement: d, upsert: true },
    }));
    await safeBulkWrite(collection, ops, { chunked: false });
    return docs.length;
  }
  // SQLite allows 32,766 bound variables per statement; FerretDB binds one per id.
  const size = 500;
  for (let i = 0; i < docs.length; i += size) {
    const chunk = docs.slice(i, i + size);
    await acquire();
    try {
      // Filters and inserts of a generic document type are ones TypeScript cannot check.
      await collection.deleteMany({ _id: { $in: chunk.map((d) => d._id) } } as Filter<T>);
      // Another writer (the fold writes a customer's features as their events arrive) may insert
      // one between the two: those are replaced, the newer state winning.
      const again = await insertIgnoringDuplicates(collection, chunk as OptionalUnlessRequiredId<T>[]);
      for (const i of again)
        await collection.replaceOne({ _id: chunk[i]!._id } as Filter<T>, chunk[i]!, { upsert: true });
    } finally {
      release();
    }
  }
  return docs.length;
}
