import type { Database } from '../../src/db/database.js';
import { eventSchema } from '../../src/ingest/eventSchemas.js';
import { storeEvents, type EventSource } from '../../src/ingest/storeEvents.js';

export interface CustomerFixture {
  id: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  timezone?: string;
  country?: string;
  signupSource?: string;
  consent?: { email?: boolean; sms?: boolean };
  /** Traits kept under `traits` (any key but the top-level ones above). */
  traits?: Record<string, unknown>;
  /** When the customer said so: the identify's timestamp (default: now). */
  at?: Date;
}

/**
 * Customers as production makes them: one `identify` per customer through storeEvents, so the
 * `customers` document (profile, traits, consent) is derived by the fold, never written by a
 * test (a written one would be replaced by the derived one at the customer's next event).
 * Returns once folded. `source` is the ingest path, which consent records as its source.
 */
export async function addCustomers(
  database: Database,
  customers: CustomerFixture[],
  source: EventSource = 'api',
): Promise<void> {
  const events = customers.map(({ id, consent, traits, at, ...top }) =>
    eventSchema.parse({
      type: 'identify',
      customerId: id,
      ...(at ? { timestamp: at.toISOString() } : {}),
      properties: { traits: { ...traits, ...top }, ...(consent ? { consent } : {}) },
    }),
  );
  await storeEvents(database, events, source);
}
