import type { Database } from '../db/database.js';
import type { IncomingEvent } from './eventSchemas.js';
import { insertIgnoringDuplicates } from '../db/insertIgnoringDuplicates.js';

/**
 * Finds the customer behind each anonymous id of a batch. Links come from events carrying both
 * ids (identify, or anything sent after login) and are recorded in `identities`; ids seen
 * before are looked up there. Earlier anonymous events are backfilled by the link-identities job.
 */
export async function resolveIdentities(database: Database, events: IncomingEvent[]): Promise<Map<string, string>> {
  const customerOf = new Map<string, string>();
  const links: { _id: string; customerId: string; linkedAt: Date; backfilled: boolean }[] = [];
  for (const e of events) {
    if (e.customerId && e.anonymousId && !customerOf.has(e.anonymousId)) {
      customerOf.set(e.anonymousId, e.customerId);
      links.push({ _id: e.anonymousId, customerId: e.customerId, linkedAt: new Date(), backfilled: false });
    }
  }
  const lookups = [
    ...new Set(
      events.filter((e) => !e.customerId && e.anonymousId && !customerOf.has(e.anonymousId)).map((e) => e.anonymousId!),
    ),
  ];
  const identities = database.collections.identities;
  const found = await Promise.all(
    lookups.map((id) => identities.findOne({ _id: id }, { projection: { customerId: 1 } })),
  );
  found.forEach((doc, i) => doc && customerOf.set(lookups[i]!, doc.customerId as string));
  await insertIgnoringDuplicates(identities, links);
  return customerOf;
}

/** Far more hops than merges ever chain; a longer walk means a cycle, which the merge refuses to create. */
const MAX_HOPS = 32;
/** Ids per `$in`: well below the patched FerretDB's pushdown bound (10,000) and SQLite's bound variables. */
const IDS_PER_QUERY = 1000;

/**
 * The customer each id stands for now (src/customers/merge): an id merged into another (and that
 * one perhaps into a third) resolves to the end of the chain; other ids are left out of the map.
 * One `_id $in` read of `merge_aliases` per hop and thousand ids, so a batch with no merged id
 * costs intake one small read.
 */
export async function survivorsOf(database: Database, ids: Iterable<string | undefined>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // origin id → the id its chain has reached so far
  let frontier = new Map([...ids].filter((id): id is string => Boolean(id)).map((id) => [id, id]));
  for (let hop = 0; frontier.size && hop < MAX_HOPS; hop++) {
    const reached = [...new Set(frontier.values())];
    const next = new Map<string, string>();
    for (let k = 0; k < reached.length; k += IDS_PER_QUERY)
      for (const a of await database.collections.mergeAliases
        .find({ _id: { $in: reached.slice(k, k + IDS_PER_QUERY) } }, { projection: { survivor: 1 } })
        .toArray())
        next.set(a._id, a.survivor);
    const moved = new Map<string, string>();
    for (const [origin, current] of frontier) {
      const survivor = next.get(current);
      if (survivor === undefined) continue;
      out.set(origin, survivor);
      moved.set(origin, survivor);
    }
    frontier = moved;
  }
  return out;
}

/** The survivor of one id (itself when it was never merged). */
export async function survivorOf(database: Database, id: string): Promise<string> {
  return (await survivorsOf(database, [id])).get(id) ?? id;
}
