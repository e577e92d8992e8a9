import type { Database } from '../db/database.js';

/**
 * When the shop's data ends: the latest event time stored, or null when there are no events.
 * Labels after this moment are unknown, so a training as-of T with horizon H needs
 * T + H ≤ dataEndsAt (see trainingSet.ts `checkLabelWindow`).
 *
 * Contract: reads only, never throws for an empty database, and may be called once per job run
 * (not per customer). The body is the simple version: one sort on `ts`, which MongoDB answers from
 * the `{type, ts}`/`{customerId, ts}` indexes poorly and FerretDB by decoding every event; a kept
 * per-partition counter is meant to replace it without changing the signature.
 */
export async function dataEndsAt(database: Database): Promise<Date | null> {
  const [last] = await database.models.Event.collection.find({}, { projection: { _id: 0, ts: 1 } }).sort({ ts: -1 }).limit(1).toArray();
  return last?.ts instanceof Date ? last.ts : null;
}
