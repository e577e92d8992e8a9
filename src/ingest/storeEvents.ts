import { randomUUID } from 'node:crypto';
import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { partitionOf } from '../db/partition.js';
import type { IncomingEvent } from './eventSchemas.js';
import { applyCustomerChanges } from './applyCustomerChanges.js';
import { customerChanges } from './customerUpdates.js';
import { insertIgnoringDuplicates, resolveIdentities } from './identity.js';

/** `email`: opens, clicks, unsubscribes, bounces and confirmations from our own mail (src/campaigns). */
export type EventSource = 'api' | 'segment' | 'shopify' | 'import' | 'sim' | 'email';

export interface StoreSummary {
  stored: number;
  duplicates: number;
  /** The eventId of each input event, in input order (generated where the client sent none). */
  eventIds: string[];
}

export interface StoredEvent {
  eventId: string;
  type: string;
  customerId?: string;
  anonymousId?: string;
  partition?: number;
  ts: Date;
  receivedAt: Date;
  source: EventSource;
  channel?: string;
  device?: string;
  sessionId?: string;
  props: Record<string, unknown>;
}

/** Inserts documents that carry unique eventIds; a repeated eventId is counted, not an error. */
export async function insertIdempotent(database: Database, docs: StoredEvent[]): Promise<{ stored: number; duplicates: number }> {
  const duplicates = (await insertIgnoringDuplicates(database.models.Event.collection, docs)).size;
  return { stored: docs.length - duplicates, duplicates };
}

/**
 * Stores validated events: resolves anonymous ids to customers, inserts idempotently by eventId
 * and keeps customer documents (traits, consent, suppressions) in step. Every step is
 * idempotent, so a retried batch converges to the same state.
 */
export async function storeEvents(database: Database, events: IncomingEvent[], source: EventSource, receivedAt = new Date()): Promise<StoreSummary> {
  const partitions = config().PARTITIONS;
  const customerOf = await resolveIdentities(database, events);
  const docs: StoredEvent[] = events.map((e) => {
    const customerId = e.customerId ?? (e.anonymousId ? customerOf.get(e.anonymousId) : undefined);
    const doc: StoredEvent = {
      eventId: e.eventId ?? randomUUID(),
      type: e.type,
      ts: e.timestamp ?? receivedAt,
      receivedAt,
      source,
      props: e.properties as Record<string, unknown>,
    };
    if (customerId) {
      doc.customerId = customerId;
      doc.partition = partitionOf(customerId, partitions);
    }
    if (e.anonymousId) doc.anonymousId = e.anonymousId;
    if (e.channel) doc.channel = e.channel;
    if (e.device) doc.device = e.device;
    if (e.sessionId) doc.sessionId = e.sessionId;
    return doc;
  });
  const { stored, duplicates } = await insertIdempotent(database, docs);
  // Applied for duplicates too: every change is idempotent, and a batch retried after a crash
  // between the insert and this step still brings the customer documents up to date.
  await applyCustomerChanges(database, customerChanges(docs));
  return { stored, duplicates, eventIds: docs.map((d) => d.eventId) };
}
