import type { Database } from '../db/database.js';
import { hasProfileChange, type ConsentStatement, type CustomerChange } from './customerUpdates.js';
import { insertIgnoringDuplicates } from './identity.js';

/**
 * Customer ids this process has seen stored, per database: most events come from customers who
 * already exist, and skipping their (failing) inserts is a large share of ingest time. Bounded;
 * a customer erased elsewhere is only recreated by an identify, never by a plain event.
 */
const KNOWN_LIMIT = 500_000;
const known = new WeakMap<Database, Set<string>>();

function knownCustomers(database: Database): Set<string> {
  let set = known.get(database);
  if (!set) known.set(database, (set = new Set()));
  return set;
}

function remember(database: Database, ids: string[]): void {
  const set = knownCustomers(database);
  if (set.size + ids.length > KNOWN_LIMIT) set.clear();
  for (const id of ids) set.add(id);
}

const consentDoc = (s: ConsentStatement | undefined) => (s ? { status: s.granted ? 'granted' : 'denied', updatedAt: s.at, source: s.source } : { status: 'unknown' });

function newCustomer(c: CustomerChange, now: Date): Record<string, unknown> {
  const traits: Record<string, unknown> = {};
  const doc: Record<string, unknown> = { _id: c.customerId, partition: c.partition, timezone: 'UTC', anonymousIds: c.anonymousIds, createdAt: now, updatedAt: now };
  for (const [k, v] of Object.entries(c.set)) {
    if (k.startsWith('traits.')) traits[k.slice(7)] = v;
    else doc[k] = v;
  }
  doc.traits = traits;
  doc.consent = { email: consentDoc(c.consent.email), sms: consentDoc(c.consent.sms) };
  if (c.signedUpAt) doc.signedUpAt = c.signedUpAt;
  return doc;
}

/**
 * Keeps customer documents in step with a batch. New customers are inserted whole (an insert is
 * cheap everywhere); only existing customers whose profile changed are read and updated, since
 * on FerretDB each update by `_id` scans the collection. A consent statement replaces the
 * stored one only if it is newer, so a retried or late old opt-in cannot re-subscribe anyone.
 * Suppressions are insert-only and unique per address, so concurrent batches cannot undo one.
 */
export async function applyCustomerChanges(database: Database, changes: CustomerChange[]): Promise<void> {
  const { Customer, Suppression } = database.models;
  const now = new Date();
  const unknown = changes.filter((c) => !knownCustomers(database).has(c.customerId));
  const duplicates = await insertIgnoringDuplicates(Customer.collection, unknown.map((c) => newCustomer(c, now)));
  const inserted = new Set(unknown.filter((_, i) => !duplicates.has(i)).map((c) => c.customerId));
  remember(database, changes.map((c) => c.customerId));
  const suppressions: Record<string, unknown>[] = [];
  for (const c of changes) {
    let email = c.set.email as string | undefined;
    if (!inserted.has(c.customerId) && (hasProfileChange(c) || c.suppress.length)) {
      const current = await Customer.collection.findOne({ _id: c.customerId as never }, { projection: { email: 1, consent: 1, signedUpAt: 1 } });
      email ??= current?.email as string | undefined;
      const set: Record<string, unknown> = { ...c.set, updatedAt: now };
      for (const channel of ['email', 'sms'] as const) {
        const statement = c.consent[channel];
        const storedAt = (current?.consent as Record<string, { updatedAt?: Date }> | undefined)?.[channel]?.updatedAt;
        if (statement && (!storedAt || storedAt < statement.at)) set[`consent.${channel}`] = consentDoc(statement);
      }
      if (c.signedUpAt && !current?.signedUpAt) set.signedUpAt = c.signedUpAt;
      // Upsert: the customer may have been erased since this process last saw it.
      const conflicts = (k: string) => k === '_id' || k === 'anonymousIds' || Object.keys(set).some((p) => p === k || p.startsWith(`${k}.`));
      const onInsert = Object.fromEntries(Object.entries(newCustomer(c, now)).filter(([k]) => !conflicts(k)));
      const update: Record<string, unknown> = { $set: set, $setOnInsert: onInsert };
      if (c.anonymousIds.length) update.$addToSet = { anonymousIds: { $each: c.anonymousIds } };
      await Customer.collection.updateOne({ _id: c.customerId as never }, update, { upsert: true });
    }
    if (email) for (const s of c.suppress) suppressions.push({ address: email, channel: 'email', customerId: c.customerId, reason: s.reason, createdAt: s.at, updatedAt: now });
  }
  await insertIgnoringDuplicates(Suppression.collection, suppressions);
}
