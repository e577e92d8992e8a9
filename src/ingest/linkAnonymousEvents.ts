import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { partitionOf } from '../db/partition.js';
import { recordEvents } from './storeEvents.js';

/**
 * Makes events sent before login count for the customer. Events stored while their anonymous id
 * was still unknown are copied with the customer id (eventId `<original>@<customer>`, so a rerun
 * copies nothing twice); the anonymous original stays as it was received. Copying rather than
 * updating keeps source data insert-only, which is also what FerretDB does fast and crash-safe.
 * `chunk` anonymous ids are handled per query.
 */
export async function linkAnonymousEvents(
  database: Database,
  { chunk, progress }: { chunk: number; progress(done: number, total: number): void },
): Promise<{ identities: number; eventsCopied: number }> {
  const { identities, events } = database.collections;
  const pending = await identities.find({ backfilled: false }, { projection: { customerId: 1 } }).toArray();
  let copied = 0;
  for (let i = 0; i < pending.length; i += chunk) {
    const part = pending.slice(i, i + chunk);
    const customerOf = new Map(part.map((p) => [p._id, p.customerId]));
    // Events stored without a customer carry no customerId field (storeEvents sets it only when known).
    const anonymous = await events
      .find({ anonymousId: { $in: [...customerOf.keys()] }, customerId: { $exists: false } })
      .toArray();
    const copies = anonymous.map(({ _id, ...e }) => {
      const customerId = customerOf.get(e.anonymousId as string)!;
      return {
        ...e,
        eventId: `${e.eventId}@${customerId}`,
        customerId,
        partition: partitionOf(customerId, config().PARTITIONS),
        linkedFrom: e.eventId,
      };
    });
    copied += (await recordEvents(database, copies)).stored;
    await identities.updateMany({ _id: { $in: [...customerOf.keys()] } }, { $set: { backfilled: true } });
    progress(Math.min(i + chunk, pending.length), pending.length);
  }
  return { identities: pending.length, eventsCopied: copied };
}
