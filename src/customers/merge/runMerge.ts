import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import type { MergeDoc, MergeMoved } from '../../db/models/merge.js';
import { partitionOf } from '../../db/partition.js';
import { recordEvents, type StoredEvent } from '../../ingest/storeEvents.js';
import { toStoredEvent } from '../../ingest/timeline/compact.js';
import { eraseTimeline } from '../../ingest/timeline/foldInbox.js';
import { readTimeline } from '../../ingest/timeline/timelineStore.js';
import { eraseMemberships } from '../../privacy/memberships.js';
import { mergeEnrollments } from './mergeEnrollments.js';

/** A stored event a merge wrote: a copy of the merged id's event, or the consent statement; its undo deletes them. */
export type MergeEvent = StoredEvent & { linkedFrom?: string; mergeId: string };

const consentChannels = ['email', 'sms'] as const;

/**
 * Brings a started merge to done. Each step is idempotent and keyed by the merge id, so this is
 * also how a merge stopped by a crash is finished (`merge-duplicates` resumes `started` merges),
 * and how a merged id that got a timeline again (a rebuild, an event that raced the alias) is
 * folded into its survivor once more:
 *
 * 1. the alias (merged id → survivor, unique `_id`): the claim, and from then on intake files the
 *    merged id's events under the survivor. Another merge holding it abandons this one.
 * 2. enrolments move (mergeEnrollments.ts), before the events that could trigger them again;
 * 3. the consent the two ids had is compared: any channel denied on either is denied again, by a
 *    statement at the merge's time (eventId `merge:<id>:consent`), so the strictest holds for the
 *    merged person until they say otherwise;
 * 4. the merged id's timeline is copied through the ordinary intake (`recordEvents`, eventId
 *    `<original>@<survivor>` as identity links do, so a rerun stores nothing twice) and folded:
 *    the survivor's profile, consent and features are computed over both histories;
 * 5. what derived from the merged id alone goes: its timeline (counters corrected), customer
 *    document, features, scores, recommendations and segment memberships;
 * 6. its messages are filed under the survivor (so the frequency budget counts them).
 */
export async function runMerge(database: Database, merge: MergeDoc): Promise<{ ok: boolean; merge: MergeDoc }> {
  const { merges, mergeAliases } = database.collections;
  const note = async (fields: Partial<MergeDoc> & Record<string, unknown>) => {
    await merges.updateOne({ _id: merge._id }, { $set: fields });
  };
  await insertIgnoringDuplicates(mergeAliases, [{ _id: merge.merged, survivor: merge.survivor, mergeId: merge._id }]);
  const alias = await mergeAliases.findOne({ _id: merge.merged });
  if (alias?.mergeId !== merge._id) {
    await note({ status: 'abandoned' });
    return { ok: false, merge: { ...merge, status: 'abandoned' } };
  }
  const partitions = config().PARTITIONS;
  const survivorPartition = partitionOf(merge.survivor, partitions);
  const moved: MergeMoved = { ...merge.moved };

  if (!moved.enrollments) {
    moved.enrollments = await mergeEnrollments(database, merge, survivorPartition);
    await note({ 'moved.enrollments': moved.enrollments });
  }
  if (!moved.consent) {
    moved.consent = await strictestConsent(database, merge);
    await note({ 'moved.consent': moved.consent });
  }
  const copied = await copyEvents(database, merge, survivorPartition, moved.consent);
  moved.events = Math.max(moved.events ?? 0, copied);
  await note({ 'moved.events': moved.events });
  moved.derived = await dropMergedState(database, merge.merged, partitionOf(merge.merged, partitions));
  await note({ 'moved.derived': moved.derived });
  const messages = await database.collections.messages.updateMany(
    { customerId: merge.merged },
    { $set: { customerId: merge.survivor, mergedFrom: merge.merged, mergeId: merge._id } },
  );
  moved.messages = (moved.messages ?? 0) + messages.modifiedCount;
  await note({ 'moved.messages': moved.messages, status: 'done' });
  return { ok: true, merge: { ...merge, moved, status: 'done' } };
}

/** Channels either id had denied (read before the merged id's customer document goes). */
async function strictestConsent(database: Database, merge: MergeDoc): Promise<string[]> {
  const docs = await database.collections.customers
    .find({ _id: { $in: [merge.survivor, merge.merged] } }, { projection: { consent: 1 } })
    .toArray();
  return consentChannels.filter((channel) => docs.some((d) => d.consent?.[channel]?.status === 'denied'));
}

/**
 * Copies the merged id's timeline to the survivor and folds it. Read twice: events folded for
 * the merged id while the first copy was folding (sent before the alias existed) are taken by the
 * second. Returns how many copies were new.
 */
async function copyEvents(
  database: Database,
  merge: MergeDoc,
  survivorPartition: number,
  deniedChannels: string[],
): Promise<number> {
  const mergedPartition = partitionOf(merge.merged, config().PARTITIONS);
  let stored = 0;
  for (let pass = 0; pass < 2; pass++) {
    const timeline = await readTimeline(database, merge.merged, mergedPartition);
    const copies: MergeEvent[] = timeline.events.map((e) => {
      const original = e.l ?? e.i;
      return {
        ...toStoredEvent(e, merge.survivor, survivorPartition),
        eventId: `${original}@${merge.survivor}`,
        linkedFrom: original,
        mergeId: merge._id,
      };
    });
    if (pass === 0 && deniedChannels.length) copies.push(consentStatement(merge, survivorPartition, deniedChannels));
    stored += (await recordEvents(database, copies)).stored;
  }
  return stored;
}

function consentStatement(merge: MergeDoc, partition: number, channels: string[]): MergeEvent {
  return {
    eventId: `merge:${merge._id}:consent`,
    type: 'identify',
    customerId: merge.survivor,
    partition,
    ts: merge.at,
    receivedAt: merge.at,
    source: 'system',
    props: { traits: {}, consent: Object.fromEntries(channels.map((c) => [c, false])), consentSource: 'merge' },
    mergeId: merge._id,
  };
}

/**
 * Removes what derived from the merged id alone; the survivor's come from its own timeline. The
 * merged id's events stay in `events` as received (the system of record), for an undo.
 */
export async function dropMergedState(
  database: Database,
  customerId: string,
  partition: number,
): Promise<Record<string, number>> {
  const c = database.collections;
  const byId = { _id: customerId };
  const counts: Record<string, number> = {};
  counts.timelines = (await eraseTimeline(database, customerId, partition)).timelines;
  counts.customers = (await c.customers.deleteOne(byId)).deletedCount;
  counts.features = (await c.features.deleteOne(byId)).deletedCount;
  counts.scores = (await c.scores.deleteOne(byId)).deletedCount;
  counts.recommendations = (await c.customerRecos.deleteOne(byId)).deletedCount;
  Object.assign(counts, await eraseMemberships(database, { customerId, partition }));
  return counts;
}
