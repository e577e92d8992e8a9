import type { Database } from '../db/database.js';
import { insertIgnoringDuplicates } from '../db/insertIgnoringDuplicates.js';
import type { WebhookDeliveryDoc } from '../db/models/webhookDelivery.js';

/**
 * The webhook deliveries already taken in (`webhook_deliveries`): by the sender's delivery id, so
 * a redelivery stores nothing again, and by a hash of a signed body, so the body is not accepted
 * again under a topic that reads it differently.
 */

/** A delivery taken in before under this id (or any of these ids), with its topic; or null. */
export function findDelivery(database: Database, id: string | string[]) {
  const filter = typeof id === 'string' ? { _id: id } : { _id: { $in: id } };
  return database.collections.webhookDeliveries.findOne(filter, { projection: { topic: 1 } });
}

/** Records deliveries once taken in; a record already there (a concurrent redelivery) is kept. */
export async function recordDeliveries(database: Database, records: WebhookDeliveryDoc[]): Promise<void> {
  await insertIgnoringDuplicates(database.collections.webhookDeliveries, records);
}
