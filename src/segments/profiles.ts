import type { Document } from 'mongodb';
import { config } from '../config.js';
import type { Database } from '../db/database.js';
import type { ProfileParts } from './rules/profile.js';

/**
 * What rules read about a customer, as stored: the customer document, their current features and
 * latest scores, joined here in Node (FerretDB has no `$lookup`); `buildProfile` makes the rule's view.
 */
export interface StoredProfile extends ProfileParts {
  partition: number;
}

export type ScanMode = 'collection' | 'partition';

/** Customer fields rules never read and that can be long. */
const customerProjection = { anonymousIds: 0 };

/**
 * Loads the profiles of `partitions` and hands them to `visit` one partition at a time, in order.
 *
 * `partition` mode (MongoDB): three `{partition: p}` queries per partition, served by the
 * `{partition: 1}` indexes; memory holds one partition. `collection` mode (FerretDB, which pushes
 * down no filter but `_id`, so each of those queries would scan its whole collection): one pass
 * over each of the three collections, grouped by partition in memory — 16 partitions cost 3 scans
 * instead of 48. Memory then holds every claimed customer's documents at once (features dominate).
 */
export async function forEachProfilePartition(
  database: Database,
  opts: {
    partitions: number[];
    scan: ScanMode;
    signal?: AbortSignal | undefined;
    /** Collection mode: called once with every loaded profile before the first visit (population statistics). */
    prepare?: ((all: StoredProfile[]) => void) | undefined;
  },
  visit: (partition: number, profiles: StoredProfile[]) => Promise<void>,
): Promise<void> {
  const { customers: customerStore, features: featureStore, scores: scoreStore } = database.collections;
  if (opts.scan === 'partition') {
    for (const partition of opts.partitions) {
      if (opts.signal?.aborted) return;
      const customers = await customerStore
        .find({ partition }, { projection: customerProjection, batchSize: 5000 })
        .toArray();
      const features = await byId(featureStore.find({ partition }, { projection: { values: 1 }, batchSize: 5000 }));
      const scores = await byId(scoreStore.find({ partition }, { batchSize: 5000 }));
      await visit(partition, join(customers, features, scores, partition));
    }
    return;
  }
  const wanted = new Set(opts.partitions);
  const filter = partitionFilter(opts.partitions);
  const customers = new Map<number, Document[]>(opts.partitions.map((p) => [p, []]));
  for await (const c of customerStore.find(filter, { projection: customerProjection, batchSize: 5000 })) {
    if (typeof c.partition === 'number' && wanted.has(c.partition)) customers.get(c.partition)!.push(c);
  }
  const features = await byId(featureStore.find(filter, { projection: { values: 1 }, batchSize: 5000 }));
  const scores = await byId(scoreStore.find(filter, { batchSize: 5000 }));
  const joined = new Map(opts.partitions.map((p) => [p, join(customers.get(p)!, features, scores, p)]));
  customers.clear();
  opts.prepare?.([...joined.values()].flat());
  for (const partition of opts.partitions) {
    if (opts.signal?.aborted) return;
    const list = joined.get(partition)!;
    joined.delete(partition);
    await visit(partition, list);
  }
}

/** No filter when every partition is wanted: FerretDB then skips evaluating one per document. */
function partitionFilter(partitions: number[]): Document {
  if (partitions.length >= config().PARTITIONS) return {};
  return { partition: partitions.length === 1 ? partitions[0] : { $in: partitions } };
}

async function byId(cursor: AsyncIterable<Document>): Promise<Map<string, Document>> {
  const out = new Map<string, Document>();
  for await (const doc of cursor) out.set(String(doc._id), doc);
  return out;
}

function join(
  customers: Document[],
  features: Map<string, Document>,
  scores: Map<string, Document>,
  partition: number,
): StoredProfile[] {
  return customers.map((customer) => {
    const id = String(customer._id);
    const f = features.get(id) ?? null;
    const s = scores.get(id) ?? null;
    return { partition, customer: { ...customer, _id: id }, features: f, scores: s };
  });
}
