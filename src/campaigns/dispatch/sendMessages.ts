import { recordEvents, type StoredEvent } from '../../ingest/storeEvents.js';
import { createHash } from 'node:crypto';
import type { Filter } from 'mongodb';
import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import { canSendBatch } from '../consent/canSend.js';
import { buildPersonalisationBatch, type PersonalisationContext } from '../content/personalisation.js';
import type { Incentive, MessageKind, Renderer } from '../content/types.js';
import { composeMail, rfcMessageId } from '../delivery/composeMail.js';
import type { DeliveryLedger } from '../delivery/deliveryLedger.js';
import { recordDeliveryFailure } from '../delivery/recordFailure.js';
import type { Mailer } from '../delivery/types.js';
import { experimentId } from '../experiments/assign.js';
import type { FlowStep, IncentiveChoice } from '../flows/flowSchema.js';
import { messageIdOf, stepDueAt } from './enrollmentDoc.js';
import type { EnrollmentDoc } from '../../db/models/flow.js';
import type { MessageDoc } from '../../db/models/message.js';
import { DocumentWrites } from './documentWrites.js';
import type { PlannedSend } from './planSteps.js';

/** What sending needs from outside: the pooled mailer and the compiled templates. */
export interface SendDeps {
  mailer: Mailer;
  renderer: Renderer;
  /** Domain of Message-IDs (`mailDomain()`). */
  domain: string;
  /**
   * Where the SMTP server's accepted messages can be looked up (the local sink's outbox). With
   * one, a timed-out send is retried (the ledger is asked first whether it arrived after all);
   * without one it is given up (at most once), and crash recovery cannot tell either.
   */
  ledger?: DeliveryLedger;
}

type Outcome =
  /** `earlier`: an earlier, timed-out attempt turned out to have arrived; nothing was sent now. */
  | { kind: 'sent'; earlier?: boolean }
  | { kind: 'failed'; error: string }
  | { kind: 'blocked'; reason: string; transactional: boolean }
  | { kind: 'retry'; error: string; message: MessageDoc }
  /** Claimed before: `settled` when that message's fate is known (sent, failed, suppressed). */
  | { kind: 'taken'; settled: boolean };

export interface SendCounts {
  sent: number;
  failed: number;
  suppressed: number;
  retried: number;
  /** Retries the ledger showed had arrived the first time: recorded as sent, not sent again. */
  acceptedEarlier: number;
  alreadyClaimed: number;
}

/**
 * Transient SMTP failures of one step (and timeouts, given a ledger) are retried this often,
 * 5 min × 2^attempt apart in the dispatch clock (10, 20, 40, 80 min), then given up as failed.
 */
export const MAX_SEND_ATTEMPTS = 5;
const RETRY_BASE_MS = 5 * 60_000;
/**
 * Planned steps per chunk (one set of reads and writes each; on FerretDB each read is a full scan,
 * so the chunk amortises it): 25 × concurrency, within these bounds. A crash leaves at most one
 * chunk claimed-but-unrecorded (recoverClaims settles it).
 */
const MIN_CHUNK = 50;
const MAX_CHUNK = 500;

function incentiveFor(
  choice: IncentiveChoice | undefined,
  step: FlowStep,
  enrollment: EnrollmentDoc,
): Incentive | undefined {
  const code = (prefix: string) =>
    `${prefix}-${createHash('sha256').update(enrollment._id).digest('hex').slice(0, 8).toUpperCase()}`;
  // Whoever left the checkout at the shipping step is shipping-concerned; everyone else gets money off.
  const resolved =
    choice === 'by_abandonment'
      ? enrollment.context.checkoutDropStep === 'shipping'
        ? 'free_shipping'
        : 'discount'
      : choice;
  if (resolved === 'discount')
    return { type: 'discount', percent: step.discountPercent, code: code(`SAVE${step.discountPercent}`) };
  if (resolved === 'free_shipping') return { type: 'free_shipping', code: code('SHIPFREE') };
  return undefined;
}

function personalisationContext(p: PlannedSend, messageId: string, now: Date): PersonalisationContext {
  const c = p.enrollment.context;
  const ctx: PersonalisationContext = { messageId, now };
  if (c.productIds?.length) ctx.productIds = c.productIds;
  if (c.cartId)
    ctx.cart = { cartId: c.cartId, items: c.lines ?? (c.productIds ?? []).map((productId) => ({ productId })) };
  if (c.orderId)
    ctx.order = {
      orderId: c.orderId,
      items: c.lines ?? [],
      total: c.orderTotal ?? 0,
      ...(c.currency ? { currency: c.currency } : {}),
    };
  const incentive = incentiveFor(p.variant?.incentive ?? p.step.incentive, p.step, p.enrollment);
  if (incentive) ctx.incentive = incentive;
  return ctx;
}

/**
 * Stores messages' outcomes: the message documents (insert-only; one already stored wins), and
 * for sends the `email_sent` events (features and attribution count them). The claims are
 * deleted afterwards (see sendPlanned): until then, claim or message, one always holds the key.
 */
export async function recordOutcomes(database: Database, messages: readonly MessageDoc[]): Promise<void> {
  if (!messages.length) return;
  await insertIgnoringDuplicates(database.collections.messages, [...messages]);
  const sent = messages.filter((m) => m.status === 'sent');
  await recordEvents(database, sent.map((m) => sentEvent(m, m.subject, m.scheduledFor)) as StoredEvent[], {
    fold: 'background',
  });
}

export async function recordOutcome(database: Database, message: MessageDoc): Promise<void> {
  await recordOutcomes(database, [message]);
}

/** The stored messages among `ids`, in one read per 500 (`{_id: v}` for one, `$in` for many). */
export async function storedMessages(database: Database, ids: readonly string[]): Promise<Map<string, MessageDoc>> {
  const out = new Map<string, MessageDoc>();
  if (!ids.length) return out;
  // At most MAX_CHUNK ids per `$in` (SQLite binds one variable per id).
  for (let i = 0; i < ids.length; i += MAX_CHUNK) {
    const part = ids.slice(i, i + MAX_CHUNK);
    const filter: Filter<MessageDoc> = part.length === 1 ? { _id: part[0] } : { _id: { $in: part } };
    for await (const m of database.collections.messages.find(filter)) out.set(m._id, m);
  }
  return out;
}

interface Prepared {
  p: PlannedSend;
  id: string;
  kind: MessageKind;
  message: MessageDoc;
  blocked?: string;
  mail?: ReturnType<typeof composeMail>;
  to?: string;
}

/**
 * Sends a chunk of planned steps, exactly once across workers and crashes, with a handful of
 * database round trips for the whole chunk instead of several per message:
 *  1. consent is checked on the customers' current documents (canSendBatch; transactional mail
 *     only needs a deliverable address), and each message rendered under its derived id;
 *  2. claims are INSERTED under the message ids (unique `_id` of `message_claims`, one unordered
 *     insertMany): an id whose insert is refused as a duplicate was claimed by someone else and
 *     is not sent. A claim that succeeds right after another worker finished (its message
 *     stored, its claim deleted) finds that message (one read for the chunk) and backs off;
 *  3. the mails are handed to SMTP right after the claims, so a crash can only leave messages
 *     claimed-but-unrecorded (see recoverClaims.ts, which asks the ledger what was accepted);
 *  4. the message documents are inserted with their outcomes (`messages` is insert-only: a
 *     status update would scan the whole collection on FerretDB), with `email_sent` events.
 * A transient failure (refused before the server took the mail) releases the claim so a later
 * run tries again with backoff; a timeout may have delivered, so it is retried only with a ledger,
 * which is asked first whether the earlier attempt arrived; without one it fails: at most once.
 */
async function sendChunk(
  database: Database,
  deps: SendDeps,
  chunk: readonly PlannedSend[],
  now: Date,
  worker: string,
  concurrency: number,
): Promise<Outcome[]> {
  const items: Prepared[] = chunk.map((p) => {
    const kind: MessageKind = p.step.transactional ? 'transactional' : 'marketing';
    const id = messageIdOf(p.enrollment._id, p.step.id);
    const message: MessageDoc = {
      _id: id,
      enrollmentId: p.enrollment._id,
      stepId: p.step.id,
      flowId: p.flow.id,
      customerId: p.customer._id,
      partition: p.enrollment.partition,
      channel: 'email',
      template: p.step.template,
      kind,
      status: 'claimed',
      scheduledFor: now,
      claimedAt: new Date(),
      claimedBy: worker,
      providerMessageId: rfcMessageId(id, deps.domain),
    };
    if (p.variant)
      Object.assign(message, { variant: p.variant.name, experimentId: experimentId(p.flow.id, p.step.id) });
    return { p, id, kind, message };
  });

  // Independent reads, so in parallel; the personalisation of a blocked message is simply dropped.
  const [decisions, datas] = await Promise.all([
    canSendBatch(
      database,
      items.map((it) => ({ customer: it.p.customer, kind: it.kind })),
    ),
    buildPersonalisationBatch(
      database,
      items.map((it) => ({ customerId: it.p.customer._id, context: personalisationContext(it.p, it.id, now) })),
    ),
  ]);
  for (const [i, it] of items.entries()) {
    const decision = decisions[i]!;
    const data = datas[i]!;
    if (!decision.ok || !data.ok) {
      it.blocked = !decision.ok ? decision.reason : data.ok ? 'unknown' : data.error.type;
      continue;
    }
    const { p } = it;
    const rendered = deps.renderer.render(
      p.step.template,
      {
        ...(p.variant?.subject !== undefined ? { subject: p.variant.subject } : {}),
        ...(p.variant?.length ? { length: p.variant.length } : {}),
      },
      data.value,
    );
    Object.assign(it.message, { to: data.value.to, subject: rendered.subject, links: rendered.links });
    it.to = data.value.to;
    it.mail = composeMail(rendered, { to: data.value.to, messageId: it.id, domain: deps.domain });
  }

  // Claim the whole chunk; an id refused as a duplicate belongs to someone else.
  const refused = await insertIgnoringDuplicates(
    database.collections.messageClaims,
    items.map((it) => ({
      _id: it.id,
      enrollmentId: it.message.enrollmentId,
      stepId: it.message.stepId,
      claimedAt: it.message.claimedAt,
      claimedBy: worker,
      message: it.message,
    })),
  );
  const stored = await storedMessages(
    database,
    items.map((it) => it.id),
  );
  const outcomes = new Array<Outcome>(items.length);
  const backedOff: string[] = [];
  const mine: number[] = [];
  for (const [i, it] of items.entries()) {
    if (refused.has(i)) outcomes[i] = { kind: 'taken', settled: stored.has(it.id) };
    else if (stored.has(it.id)) {
      backedOff.push(it.id);
      outcomes[i] = { kind: 'taken', settled: true };
    } else mine.push(i);
  }
  if (backedOff.length) await database.collections.messageClaims.deleteMany({ _id: { $in: backedOff } });

  // A step that failed before may have timed out on a mail the server kept: ask before resending.
  const retrying = mine.filter((i) => items[i]!.p.enrollment.sendAttempts > 0).map((i) => items[i]!.id);
  const arrived = deps.ledger && retrying.length ? await deps.ledger.accepted(retrying) : new Set<string>();
  const records: MessageDoc[] = [];
  const toSend: number[] = [];
  for (const i of mine) {
    const it = items[i]!;
    if (arrived.has(it.id)) {
      records.push({ ...it.message, status: 'sent', sentAt: now });
      outcomes[i] = { kind: 'sent', earlier: true };
    } else if (it.blocked !== undefined) {
      records.push({ ...it.message, status: 'suppressed', error: it.blocked });
      outcomes[i] = { kind: 'blocked', reason: it.blocked, transactional: it.kind === 'transactional' };
    } else toSend.push(i);
  }

  let next = 0;
  const sender = async () => {
    while (next < toSend.length) {
      const i = toSend[next++]!;
      const it = items[i]!;
      const result = await deps.mailer.send(it.mail!);
      if (result.ok) {
        records.push({ ...it.message, status: 'sent', sentAt: now });
        outcomes[i] = { kind: 'sent' };
        continue;
      }
      const error = result.error;
      const text = `${error.type}: ${error.response ?? error.message}`.slice(0, 500);
      // A timeout may have delivered: retried only where the ledger can tell before the resend.
      if (error.type === 'transient' || (error.type === 'timeout' && deps.ledger)) {
        outcomes[i] = { kind: 'retry', error: text, message: it.message };
        continue;
      }
      await recordDeliveryFailure(
        database,
        { messageId: it.id, customerId: it.message.customerId, to: it.to!, flowId: it.message.flowId },
        error,
        now,
      );
      records.push({ ...it.message, status: 'failed', error: text });
      outcomes[i] = { kind: 'failed', error: text };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, toSend.length)) }, sender));
  await recordOutcomes(database, records);
  return outcomes;
}

/** The insert-only proof of a send; features count it, and crash recovery looks for it. */
export function sentEvent(
  message: Pick<MessageDoc, '_id' | 'customerId' | 'partition' | 'flowId' | 'stepId' | 'variant'>,
  subject: string | undefined,
  at: Date,
) {
  return {
    eventId: `email_sent:${message._id}`,
    type: 'email_sent',
    customerId: message.customerId,
    partition: message.partition,
    ts: at,
    receivedAt: new Date(),
    source: 'system',
    channel: 'email',
    props: {
      messageId: message._id,
      flowId: message.flowId,
      campaignId: message.flowId,
      stepId: message.stepId,
      subject,
      variant: message.variant,
    },
  };
}

/** Where the enrolment goes after its current step was dealt with. */
function advance(p: PlannedSend, now: Date): Partial<EnrollmentDoc> {
  const next = p.flow.steps[p.enrollment.stepIndex + 1];
  const base = { stepIndex: p.enrollment.stepIndex + 1, deferredUntil: null, sendAttempts: 0 };
  if (!next) return { ...base, status: 'completed', endedAt: now, nextStepAt: null };
  return { ...base, nextStepAt: new Date(stepDueAt(p.enrollment, next)) };
}

/** Sends planned steps `concurrency` at a time, then records statuses and advances enrolments in bulk. */
export async function sendPlanned(
  database: Database,
  deps: SendDeps,
  planned: readonly PlannedSend[],
  opts: { asOf: Date; concurrency: number; worker: string; signal?: AbortSignal },
): Promise<SendCounts> {
  const counts: SendCounts = { sent: 0, failed: 0, suppressed: 0, retried: 0, acceptedEarlier: 0, alreadyClaimed: 0 };
  const enrollmentUpdates = new DocumentWrites<EnrollmentDoc>();
  const now = opts.asOf;
  const concurrency = Math.max(1, opts.concurrency);
  // Big enough to amortise the chunk's reads and writes, small enough to keep few claims in flight.
  const size = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, 25 * concurrency));
  for (let start = 0; start < planned.length && !opts.signal?.aborted; start += size) {
    const chunk = planned.slice(start, start + size);
    const outcomes = await sendChunk(database, deps, chunk, now, opts.worker, concurrency);
    const finished: string[] = [];
    const exhausted: MessageDoc[] = [];
    for (const [i, p] of chunk.entries()) {
      const outcome = outcomes[i]!;
      const id = messageIdOf(p.enrollment._id, p.step.id);
      if (outcome.kind !== 'taken') finished.push(id);
      switch (outcome.kind) {
        case 'sent':
          if (outcome.earlier) counts.acceptedEarlier++;
          else counts.sent++;
          enrollmentUpdates.add(p.enrollment, advance(p, now));
          break;
        case 'failed':
          counts.failed++;
          enrollmentUpdates.add(p.enrollment, advance(p, now));
          break;
        case 'blocked':
          counts.suppressed++;
          // No consent or no address: the rest of a marketing series would be blocked too.
          if (outcome.transactional) enrollmentUpdates.add(p.enrollment, advance(p, now));
          else
            enrollmentUpdates.add(p.enrollment, {
              status: 'exited',
              exitReason: outcome.reason,
              endedAt: now,
              nextStepAt: null,
            });
          break;
        case 'retry': {
          counts.retried++;
          const attempts = p.enrollment.sendAttempts + 1;
          if (attempts >= MAX_SEND_ATTEMPTS) {
            exhausted.push({ ...outcome.message, status: 'failed', error: outcome.error });
            enrollmentUpdates.add(p.enrollment, advance(p, now));
          } else
            enrollmentUpdates.add(p.enrollment, {
              sendAttempts: attempts,
              nextStepAt: new Date(now.getTime() + RETRY_BASE_MS * 2 ** attempts),
            });
          break;
        }
        case 'taken':
          // Claimed by another worker, or by a run that crashed: advance only once its fate is
          // known (advancing twice is harmless). An unsettled claim keeps the enrolment on this
          // step until recovery settles it, so a claim it releases is sent again, not skipped.
          counts.alreadyClaimed++;
          if (outcome.settled) enrollmentUpdates.add(p.enrollment, advance(p, now));
          break;
      }
    }
    await recordOutcomes(database, exhausted);
    // Every finished message of the chunk is stored by now, so its claim can go (a released one is retried).
    if (finished.length) await database.collections.messageClaims.deleteMany({ _id: { $in: finished } });
  }
  await enrollmentUpdates.apply(database, database.collections.enrollments);
  return counts;
}
