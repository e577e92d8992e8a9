import type { Database } from '../../db/database.js';

/**
 * Every id merged into this customer, directly or along a chain (A into B, B into this one),
 * whatever the merges' status: one read of `merges` per link of the chain.
 */
export async function mergedIdsOf(database: Database, survivor: string): Promise<string[]> {
  const out = new Set<string>();
  let frontier = [survivor];
  while (frontier.length) {
    const found = await database.collections.merges
      .find({ survivor: { $in: frontier } }, { projection: { merged: 1 } })
      .toArray();
    frontier = found.map((m) => m.merged).filter((id) => id !== survivor && !out.has(id));
    for (const id of frontier) out.add(id);
  }
  return [...out];
}

/**
 * Forgets the merges of an erased person: their records and aliases name the ids, and the email
 * index names the address, all of which must go with the person.
 */
export async function forgetMerges(
  database: Database,
  ids: readonly string[],
  emails: readonly string[],
): Promise<{ merges: number; mergeAliases: number; customerEmails: number }> {
  const c = database.collections;
  return {
    merges: (await c.merges.deleteMany({ $or: [{ survivor: { $in: [...ids] } }, { merged: { $in: [...ids] } }] }))
      .deletedCount,
    mergeAliases: (await c.mergeAliases.deleteMany({ _id: { $in: [...ids] } })).deletedCount,
    customerEmails: (await c.customerEmails.deleteMany({ _id: { $in: [...emails] } })).deletedCount,
  };
}
