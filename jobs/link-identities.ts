import { recordEvents, type StoredEvent } from '../src/ingest/storeEvents.js';
import { z } from 'zod';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runIfMain } from '../src/jobs/runFromCommandLine.js';

/**
 * Makes events sent before login count for the customer. Events stored while their anonymous id
 * was still unknown are copied with the customer id (eventId `<original>@<customer>`, so a rerun
 * copies nothing twice); the anonymous original stays as it was received. Copying rather than
 * updating keeps source data insert-only, which is also what FerretDB does fast and crash-safe.
 */
const linkIdentities = defineJob({
  name: 'link-identities',
  description: 'attribute anonymous events sent before login to the customer they turned out to be',
  schedule: '5 minutes',
  stage: 5,
  options: z.object({
    chunk: z.coerce.number().int().min(1).max(10_000).default(2000).describe('anonymous ids handled per query'),
  }),
  async run({ database, progress }, { chunk }) {
    const { Identity, Event } = database.models;
    const pending = await Identity.collection.find({ backfilled: false }, { projection: { customerId: 1 } }).toArray();
    let copied = 0;
    for (let i = 0; i < pending.length; i += chunk) {
      const part = pending.slice(i, i + chunk);
      const customerOf = new Map(part.map((p) => [p._id as unknown as string, p.customerId as string]));
      const anonymous = await Event.collection.find({ anonymousId: { $in: [...customerOf.keys()] }, customerId: null }).toArray();
      const copies = anonymous.map(({ _id, ...e }) => {
        const customerId = customerOf.get(e.anonymousId as string)!;
        return { ...e, eventId: `${e.eventId}@${customerId}`, customerId, partition: partitionOf(customerId, config().PARTITIONS), linkedFrom: e.eventId };
      });
      copied += (await recordEvents(database, copies as unknown as StoredEvent[])).stored;
      await Identity.collection.updateMany({ _id: { $in: [...customerOf.keys()] as never[] } }, { $set: { backfilled: true } });
      progress(Math.min(i + chunk, pending.length), pending.length);
    }
    return { identities: pending.length, eventsCopied: copied };
  },
});

export default linkIdentities;
await runIfMain(import.meta.url, linkIdentities);
