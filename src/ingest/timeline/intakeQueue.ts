import { randomUUID } from 'node:crypto';
import { Binary, BSON } from 'mongodb';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { EventInboxDoc } from '../../db/models/timeline.js';
import { insertInChunks } from '../../db/insertIgnoringDuplicates.js';
import type { StoredEvent } from '../storedEvent.js';
import { countRecorded } from '../tracking/countEvents.js';
import { stageEvents } from './stageEvents.js';

/**
 * The intake queue: while every ingest slot is busy, a queueable request (events, Segment) is
 * validated and its events written as one inbox document under this pseudo-partition, and answered
 * 202. One small write costs a fraction of storing a batch's events (each under the events
 * collection's indexes) and staging them per partition, so a busy server takes a backfill as fast
 * as the client sends it and stores it behind: analytics-node gives up on a batch after 30 refused
 * attempts, and a server that can only refuse runs a large backfill out of them (issue #17).
 * The fold settles queued documents first: events stored (idempotent by eventId), staged per
 * partition, the queued document deleted — a settle killed midway is redone whole.
 */
export const QUEUED_PARTITION = -1;

/** Events written in one inbox document at most (about 0.3 KB each in BSON, far below its 16 MB). */
const GROUP_EVENTS = 5000;

interface QueueWaiter {
  docs: StoredEvent[];
  done: (err?: unknown) => void;
}

/** Requests waiting for their group's write, and whether a write runs, per database handle. */
const writers = new WeakMap<Database, { waiting: QueueWaiter[]; writing: boolean }>();

/**
 * Queues validated events durably (BSON keeps their dates and types exactly); resolves once they
 * are written. Requests that arrive while a write runs are written together by the next one (a
 * group commit): one small insert for many requests instead of one each, which the database's
 * single writer would otherwise take one at a time while a backfill's requests time out.
 */
export function queueEvents(database: Database, docs: StoredEvent[]): Promise<void> {
  let state = writers.get(database);
  if (!state) writers.set(database, (state = { waiting: [], writing: false }));
  const written = new Promise<void>((resolve, reject) =>
    state.waiting.push({ docs, done: (err) => (err === undefined ? resolve() : reject(err)) }),
  );
  if (!state.writing) void writeGroups(database, state);
  return written;
}

async function writeGroups(database: Database, state: { waiting: QueueWaiter[]; writing: boolean }): Promise<void> {
  state.writing = true;
  try {
    while (state.waiting.length) {
      let events = 0;
      let take = 0;
      while (take < state.waiting.length && (take === 0 || events + state.waiting[take]!.docs.length <= GROUP_EVENTS))
        events += state.waiting[take++]!.docs.length;
      const group = state.waiting.splice(0, take);
      const docs = group.flatMap((w) => w.docs);
      try {
        await database.collections.eventInbox.insertOne({
          _id: randomUUID(),
          partition: QUEUED_PARTITION,
          n: docs.length,
          events: new Binary(BSON.serialize({ docs })),
          createdAt: new Date(),
        });
        queueSize.docs++;
        for (const w of group) w.done();
      } catch (err) {
        for (const w of group) w.done(err);
      }
    }
  } finally {
    state.writing = false;
  }
}

/** Stores and stages the events of queued inbox documents, then deletes them (the caller holds the queue's lease). */
export async function settleQueued(database: Database, queued: EventInboxDoc[]): Promise<number> {
  const docs = queued.flatMap((q) => (BSON.deserialize((q.events as Binary).buffer) as { docs: StoredEvent[] }).docs);
  // In thousands: one long insert would hold the database's only writer while requests wait to queue.
  const duplicates = await insertInChunks(database.collections.events, docs, 1000);
  await stageEvents(database, docs);
  await database.collections.eventInbox.deleteMany({ _id: { $in: queued.map((q) => q._id) } });
  // Tracking-quality counters, here where a queued event's duplicate is known; once settled, so a
  // settle redone after a failure does not count its events again as duplicates.
  countRecorded(database, docs, duplicates);
  return docs.length;
}

/** Inbox documents as last counted (the count is refreshed at most once a second, never awaited by a request). */
const queueSize = { docs: 0, countedAt: 0, counting: false };

/**
 * Whether the queue may take another request: the inbox (queued and staged documents) is under
 * INGEST_QUEUE_LIMIT. Past it the fold is far behind, and requests are refused with Retry-After.
 */
export function queueHasRoom(database: Database): boolean {
  if (!queueSize.counting && Date.now() - queueSize.countedAt > 1000) {
    queueSize.counting = true;
    database.collections.eventInbox
      .estimatedDocumentCount()
      .then((n) => Object.assign(queueSize, { docs: n, countedAt: Date.now() }))
      .catch(() => undefined)
      .finally(() => (queueSize.counting = false));
  }
  return queueSize.docs < config().INGEST_QUEUE_LIMIT;
}
