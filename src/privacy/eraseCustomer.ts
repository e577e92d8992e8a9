import { config } from '../config.js';
import { partitionOf } from '../db/partition.js';
import { eraseTimeline } from '../ingest/timeline/foldInbox.js';
import type { Document } from 'mongodb';
import type { Database } from '../db/database.js';
import { insertIgnoringDuplicates } from '../db/insertIgnoringDuplicates.js';
import { recordAudit, type Actor } from './audit.js';
import { survivorOf } from '../ingest/identity.js';
import { forgetMerges, mergedIdsOf } from '../customers/merge/mergedIds.js';
import { normaliseEmail } from '../customers/merge/normaliseEmail.js';
import { eraseMemberships } from './memberships.js';
import { eraseTrackingExamples } from '../ingest/tracking/trackingBuffer.js';
import { eventsFilter, findSubject, suppressionsFilter, type Subject } from './subject.js';

/** Stands in for the customer id on the messages of an erased person. */
export const ERASED = 'erased';

/** Message fields that say nothing about the person: what reports add up (flow, step, time, outcome). */
const KEPT_MESSAGE_FIELDS = [
  '_id',
  'flowId',
  'stepId',
  'channel',
  'template',
  'kind',
  'variant',
  'experimentId',
  'status',
  'scheduledFor',
  'claimedAt',
  'claimedBy',
  'sentAt',
  'providerMessageId',
  'opens',
  'clicks',
  'machineOpens',
  'createdAt',
] as const;

export type ErasureCounts = Record<string, number>;

export type EraseResult =
  | { ok: true; value: { customerId: string; counts: ErasureCounts } }
  | { ok: false; error: { type: 'not_found'; message: string } };

/**
 * A message without its person: the address, subject, tracked links and error text go (the
 * subject and links are rendered from their name, views and cart), and the enrolment id, which
 * spells out the customer id, is replaced by one derived from the message's own id, which stays
 * unique. A step named after the address (the double opt-in's) loses its name too.
 */
export function anonymiseMessage(message: Document, emails: ReadonlySet<string>, at: Date): Document {
  const out: Document = {};
  for (const field of KEPT_MESSAGE_FIELDS) if (message[field] !== undefined) out[field] = message[field];
  if (typeof out.stepId === 'string' && emails.has(out.stepId.toLowerCase())) out.stepId = ERASED;
  return { ...out, enrollmentId: `${ERASED}:${String(message._id)}`, customerId: ERASED, erasedAt: at, updatedAt: at };
}

/**
 * Erases a person (the right to erasure): their events (and those of anonymous ids linked to
 * them), identities, features and snapshots, scores, segment memberships, enrolments,
 * in-flight send claims, recommendations, simulator truth and customer record go; their messages
 * stay, anonymised, so campaign reports still count them; their addresses stay only as hashes on
 * the suppression list, so they are never mailed again.
 *
 * Order matters for a retry after a crash: the hashed suppressions go in first (nothing can be
 * mailed to them while the rest is erased) and the customer record goes last (until then a retry
 * finds them and does the rest). Every step is a no-op the second time; a second call finds
 * nothing and answers not_found. The audit entry records who and when, never whom.
 */
export async function eraseCustomer(
  database: Database,
  customerId: string,
  actor: Actor,
  at = new Date(),
): Promise<EraseResult> {
  // An id merged into another is that person: the survivor is erased, and with it every id merged into it.
  const person = await survivorOf(database, customerId);
  const subject = await findSubject(database, person);
  if (!subject.found)
    return { ok: false, error: { type: 'not_found', message: `nothing is held about customer ${customerId}` } };
  // The merged ids go first and the merge records next, the survivor's record last: a retry after a
  // crash still finds the survivor, and through its merges the ids not yet erased.
  const merged = await mergedIdsOf(database, person);
  const counts: ErasureCounts = {};
  const emails = new Set(subject.emails);
  for (const id of merged) {
    const other = await findSubject(database, id);
    other.emails.forEach((e) => emails.add(e));
    if (other.found) addCounts(counts, await eraseSubject(database, other, at));
  }
  addCounts(
    counts,
    await forgetMerges(
      database,
      [person, ...merged],
      [...emails].flatMap((e) => normaliseEmail(e) ?? []),
    ),
  );
  addCounts(counts, await eraseSubject(database, subject, at));
  await recordAudit(database, 'privacy.erase', actor, at, counts);
  return { ok: true, value: { customerId, counts } };
}

function addCounts(into: ErasureCounts, more: Record<string, number>): void {
  for (const [k, n] of Object.entries(more)) into[k] = (into[k] ?? 0) + n;
}

async function eraseSubject(database: Database, subject: Subject, at: Date): Promise<ErasureCounts> {
  const c = database.collections;
  const { customerId } = subject;
  const byId = { _id: customerId };
  const counts: ErasureCounts = {};

  await insertIgnoringDuplicates(
    c.suppressions,
    subject.addressHashes.map((address) => ({
      address,
      channel: 'email',
      reason: 'erasure',
      createdAt: at,
      updatedAt: at,
    })),
  );
  counts.suppressionHashes = subject.addressHashes.length;
  // The hashed entries carry no customer id, so this leaves them and takes the plain ones.
  counts.suppressions = (
    await c.suppressions.deleteMany({
      ...suppressionsFilter(subject),
      address: { $nin: subject.addressHashes },
    })
  ).deletedCount;

  // Events are insert-only everywhere else; this is the one sanctioned delete of them.
  counts.events = (await c.events.deleteMany(eventsFilter(subject))).deletedCount;
  counts.timelines = (
    await eraseTimeline(database, customerId, partitionOf(customerId, config().PARTITIONS))
  ).timelines;
  // The tracking report keeps a few example events per finding (one document per day, a small collection).
  counts.trackingExamples = await eraseTrackingExamples(database, [
    customerId,
    ...subject.anonymousIds,
    ...subject.emails,
  ]);
  counts.identities = (await c.identities.deleteMany({ customerId })).deletedCount;
  counts.features = (await c.features.deleteOne(byId)).deletedCount;
  counts.featureSnapshots = (await c.featureSnapshots.deleteMany({ customerId })).deletedCount;
  counts.scores = (await c.scores.deleteOne(byId)).deletedCount;
  Object.assign(counts, await eraseMemberships(database, subject));
  counts.enrollments = (await c.enrollments.deleteMany({ customerId })).deletedCount;
  counts.messageClaims = (await c.messageClaims.deleteMany({ 'message.customerId': customerId })).deletedCount;

  const emails = new Set(subject.emails);
  const messages = await c.messages.find({ customerId }).toArray();
  // An anonymised message keeps a few fields (a confirmation mail has an ObjectId): not a MessageDoc.
  await database.replaceById(
    database.models.Message.collection as never,
    messages.map((msg) => anonymiseMessage(msg, emails, at)) as never[],
  );
  counts.messagesAnonymised = messages.length;

  counts.recommendations = (await c.customerRecos.deleteOne(byId)).deletedCount;
  counts.simTruth = (await c.simTruth.deleteOne(byId)).deletedCount;
  counts.customers = (await c.customers.deleteOne(byId)).deletedCount;
  return counts;
}
