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
