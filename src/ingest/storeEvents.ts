import { randomUUID } from 'node:crypto';
import { config } from '../config.js';
import { log } from '../log.js';
import type { Database } from '../db/database.js';
import { partitionOf } from '../db/partition.js';
import type { IncomingEvent } from './eventSchemas.js';
import { insertInChunks } from '../db/insertIgnoringDuplicates.js';
import { resolveIdentities, survivorsOf } from './identity.js';
import { foldNow, foldSoon, isFolding } from './timeline/folder.js';
import { queueEvents } from './timeline/intakeQueue.js';
import { stageEvents } from './timeline/stageEvents.js';
import { countRecorded } from './tracking/countEvents.js';
import type { EventSource, StoredEvent } from './storedEvent.js';

export type { EventSource, StoredEvent } from './storedEvent.js';

export interface StoreSummary {
  stored: number;
  duplicates: number;
  /** Events queued to be stored in the background: how many are new is known only then. */
  queued: number;
  /** The eventId of each input event, in input order (generated where the client sent none). */
  eventIds: string[];
}

export interface RecordOptions {
  /** 'wait' (default): return once the batch is folded into timelines, profiles and features; 'background': once it is durable. */
  fold?: 'wait' | 'background' | 'none';
  /** With 'wait': return after this long even if the fold goes on (it then finishes in the background), and at once while another fold runs. */
  maxWaitMs?: number;
  /** Queue the events durably in one write and store them in the background (a busy intake, see intakeQueue.ts). */
  queue?: boolean;
}

/**
 * The one way events enter the store: inserted idempotently by eventId into `events` (the system
 * of record), then staged for the fold — all of them, duplicates too: a batch retried after a
 * crash between the two steps is staged by the retry, and timelines skip eventIds they hold.
 * A repeated eventId is counted, not an error.
 */
export async function recordEvents(
  database: Database,
  docs: (StoredEvent & { linkedFrom?: string })[],
  opts: RecordOptions = {},
): Promise<{ stored: number; duplicates: number; queued: number }> {
  if (opts.queue) {
    await queueEvents(database, docs);
    foldSoon(database);
    return { stored: 0, duplicates: 0, queued: docs.length };
  }
  const duplicates = await insertInChunks(database.collections.events, docs, 5000);
  countRecorded(database, docs, duplicates);
  await stageEvents(database, docs);
  const fold = opts.fold ?? 'wait';
  if (fold === 'wait' && opts.maxWaitMs === undefined) await foldNow(database);
  // Bounded: a fold already running takes this batch in its next round; waiting for it would only
  // hold the request (and its intake slot) while a backfill keeps the folder busy.
  else if (fold === 'wait' && isFolding(database)) foldSoon(database);
  else if (fold === 'wait') await boundedWait(foldNow(database), opts.maxWaitMs!);
  else if (fold === 'background') foldSoon(database);
  return { stored: docs.length - duplicates.size, duplicates: duplicates.size, queued: 0 };
}

/**
 * Stores validated events: resolves anonymous ids to customers and records them (see
 * recordEvents); customer documents (traits, consent), suppressions and features follow from the
 * fold. Every step is idempotent, so a retried batch converges to the same state.
 */
export async function storeEvents(
  database: Database,
  events: IncomingEvent[],
  source: EventSource,
  receivedAt = new Date(),
  opts: RecordOptions = {},
): Promise<StoreSummary> {
  const partitions = config().PARTITIONS;
  const customerOf = await resolveIdentities(database, events);
  // A merged id's events are the survivor's (src/customers/merge): one small `_id $in` read per batch.
  const survivors = await survivorsOf(database, [...events.map((e) => e.customerId), ...customerOf.values()]);
  const docs: StoredEvent[] = events.map((e) => {
    const named = e.customerId ?? (e.anonymousId ? customerOf.get(e.anonymousId) : undefined);
    const customerId = named && (survivors.get(named) ?? named);
    const doc: StoredEvent = {
      eventId: e.eventId ?? randomUUID(),
      type: e.type,
      ts: e.timestamp ?? receivedAt,
      receivedAt,
      source,
      props: e.context ? { ...e.properties, context: e.context } : (e.properties as Record<string, unknown>),
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
  const { stored, duplicates, queued } = await recordEvents(database, docs, opts);
  return { stored, duplicates, queued, eventIds: docs.map((d) => d.eventId) };
}

/** Waits for `work` at most `ms`; a failure after that is logged (the staged events stay for the next fold). */
async function boundedWait(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  work.catch((err: unknown) => log.warn({ err }, 'fold failed; the next batch or fold-events retries it'));
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
