import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import type { MergeReason } from '../../db/models/merge.js';
import { survivorsOf } from '../../ingest/identity.js';
import { normaliseEmail } from './normaliseEmail.js';

export interface DuplicatePair {
  merged: string;
  survivor: string;
  reason: Exclude<MergeReason, 'manual'>;
  email?: string;
}

/** Customers read per query (`_id $in`, well inside the patched FerretDB's pushdown bound). */
const CHUNK = 500;

/**
 * The duplicates among these (changed) customers, found by lookups only, never a scan:
 * - by email: each customer claims its normalised address in `customer_emails` (`_id` = the
 *   address; an insert, the claim that is atomic on FerretDB too). Where the address is held by
 *   another customer who still carries it, the newcomer is merged into that holder (the earlier
 *   id survives); a holder that no longer has the address (changed it, merged, erased) hands it on.
 * - by an explicit link: an event naming two customer ids (Segment `alias(previousId → userId)`,
 *   or an identify with `customerId` and another customer's id as `anonymousId`) lists the other
 *   id among the customer's anonymous ids; that id is merged into this one.
 * Pairs an admin has undone are not proposed again.
 */
export async function findDuplicates(database: Database, customerIds: readonly string[]): Promise<DuplicatePair[]> {
  const pairs: DuplicatePair[] = [];
  for (let k = 0; k < customerIds.length; k += CHUNK) {
    const docs = await database.collections.customers
      .find({ _id: { $in: customerIds.slice(k, k + CHUNK) } }, { projection: { email: 1, anonymousIds: 1 } })
      .toArray();
    pairs.push(...(await byEmail(database, docs)), ...(await byLink(database, docs)));
  }
  return withoutUndone(database, dedupe(pairs));
}

async function byEmail(database: Database, docs: { _id: string; email?: string | null }[]): Promise<DuplicatePair[]> {
  const { customerEmails, customers } = database.collections;
  const claims = docs.flatMap((d) => {
    const email = normaliseEmail(d.email);
    return email ? [{ _id: email, customerId: d._id, at: new Date() }] : [];
  });
  const taken = await insertIgnoringDuplicates(customerEmails, claims);
  const contested = claims.filter((_, i) => taken.has(i));
  if (!contested.length) return [];
  const holders = new Map(
    (await customerEmails.find({ _id: { $in: contested.map((c) => c._id) } }).toArray()).map((h) => [
      h._id,
      h.customerId,
    ]),
  );
  const survivors = await survivorsOf(database, holders.values());
  const current = (id: string) => survivors.get(id) ?? id;
  const holderDocs = new Map(
    (
      await customers
        .find({ _id: { $in: [...new Set([...holders.values()].map(current))] } }, { projection: { email: 1 } })
        .toArray()
    ).map((c) => [c._id, normaliseEmail(c.email)]),
  );
  const pairs: DuplicatePair[] = [];
  for (const claim of contested) {
    const holder = holders.get(claim._id);
    const survivor = holder === undefined ? undefined : current(holder);
    if (survivor === claim.customerId) continue;
    if (survivor !== undefined && holderDocs.get(survivor) === claim._id)
      pairs.push({ merged: claim.customerId, survivor, reason: 'email', email: claim._id });
    else await customerEmails.replaceOne({ _id: claim._id }, claim, { upsert: true });
  }
  return pairs;
}

async function byLink(database: Database, docs: { _id: string; anonymousIds?: string[] }[]): Promise<DuplicatePair[]> {
  const linked = new Map<string, string>();
  for (const d of docs) for (const a of d.anonymousIds ?? []) if (a !== d._id && !linked.has(a)) linked.set(a, d._id);
  if (!linked.size) return [];
  const found = await database.collections.customers
    .find({ _id: { $in: [...linked.keys()] } }, { projection: { _id: 1 } })
    .toArray();
  return found.map((c) => ({ merged: c._id, survivor: linked.get(c._id)!, reason: 'link' as const }));
}

function dedupe(pairs: DuplicatePair[]): DuplicatePair[] {
  const seen = new Set<string>();
  return pairs.filter((p) => {
    const key = [p.merged, p.survivor].sort().join('\0');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Drops pairs an undone merge separated (one read of the few undone merges). */
async function withoutUndone(database: Database, pairs: DuplicatePair[]): Promise<DuplicatePair[]> {
  if (!pairs.length) return pairs;
  const ids = [...new Set(pairs.flatMap((p) => [p.merged, p.survivor]))];
  const undone = await database.collections.merges
    .find({ status: 'undone', merged: { $in: ids } }, { projection: { merged: 1, survivor: 1 } })
    .toArray();
  const separated = new Set(undone.map((m) => [m.merged, m.survivor].sort().join('\0')));
  return pairs.filter((p) => !separated.has([p.merged, p.survivor].sort().join('\0')));
}
