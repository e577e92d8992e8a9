import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { partitionOf } from '../db/partition.js';
import { recordEvents, type StoredEvent } from './storeEvents.js';

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
  const { Identity, Event } = database.models;
  const pending = await Identity.collection.find({ backfilled: false }, { projection: { customerId: 1 } }).toArray();
  let copied = 0;
  for (let i = 0; i < pending.length; i += chunk) {
    const part = pending.slice(i, i + chunk);
    const customerOf = new Map(part.map((p) => [p._id as unknown as string, p.customerId as string]));
    const anonymous = await Event.collection
      .find({ anonymousId: { $in: [...customerOf.keys()] }, customerId: null })
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
    copied += (await recordEvents(database, copies as unknown as StoredEvent[])).stored;
    await Identity.collection.updateMany(
      { _id: { $in: [...customerOf.keys()] as never[] } },
      { $set: { backfilled: true } },
    );
    progress(Math.min(i + chunk, pending.length), pending.length);
  }
  return { identities: pending.length, eventsCopied: copied };
}
