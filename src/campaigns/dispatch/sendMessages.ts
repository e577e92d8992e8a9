import { createHash } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../ingest/identity.js';
import { canSend } from '../consent/canSend.js';
import { buildPersonalisation, type PersonalisationContext } from '../content/personalisation.js';
import type { Incentive, MessageKind, Renderer } from '../content/types.js';
import { composeMail, rfcMessageId } from '../delivery/composeMail.js';
import { recordDeliveryFailure } from '../delivery/recordFailure.js';
import type { Mailer } from '../delivery/types.js';
import { experimentId } from '../experiments/assign.js';
import type { FlowStep, IncentiveChoice } from '../flows/flowSchema.js';
import { messageIdOf, stepDueAt, type EnrollmentDoc } from './enrollmentDoc.js';
import { DocumentWrites } from './documentWrites.js';
import type { PlannedSend } from './planSteps.js';

/** What sending needs from outside: the pooled mailer and the compiled templates. */
export interface SendDeps {
  mailer: Mailer;
  renderer: Renderer;
  /** Domain of Message-IDs (`mailDomain()`). */
  domain: string;
}

/** A message as stored (raw driver document). */
export interface MessageDoc {
  _id: string;
  enrollmentId: string;
  stepId: string;
  flowId: string;
  customerId: string;
  partition: number;
  channel: 'email';
  template: string;
  kind: MessageKind;
  variant?: string;
  experimentId?: string;
  status: 'claimed' | 'sent' | 'failed' | 'suppressed' | 'deferred';
  /** When it goes out in the run's clock (the budget counts these). */
  scheduledFor: Date;
  claimedAt: Date;
  claimedBy: string;
  to?: string;
  subject?: string;
  links?: { id: string; url: string }[];
  sentAt?: Date;
  providerMessageId?: string;
  error?: string;
}

type Outcome =
  | { kind: 'sent' }
  | { kind: 'failed'; error: string }
  | { kind: 'blocked'; reason: string; transactional: boolean }
  | { kind: 'retry'; error: string }
  /** Claimed before: `settled` when that message's fate is known (sent, failed, suppressed). */
  | { kind: 'taken'; settled: boolean };

export interface SendCounts {
  sent: number;
  failed: number;
  suppressed: number;
  retried: number;
  alreadyClaimed: number;
}

/** Transient SMTP failures of one step are retried this often, 5 min × 2^attempt apart, then given up. */
export const MAX_SEND_ATTEMPTS = 5;
const RETRY_BASE_MS = 5 * 60_000;

function incentiveFor(choice: IncentiveChoice | undefined, step: FlowStep, enrollment: EnrollmentDoc): Incentive | undefined {
  const code = (prefix: string) => `${prefix}-${createHash('sha256').update(enrollment._id).digest('hex').slice(0, 8).toUpperCase()}`;
  // Whoever left the checkout at the shipping step is shipping-concerned; everyone else gets money off.
  const resolved = choice === 'by_abandonment' ? (enrollment.context.checkoutDropStep === 'shipping' ? 'free_shipping' : 'discount') : choice;
  if (resolved === 'discount') return { type: 'discount', percent: step.discountPercent, code: code(`SAVE${step.discountPercent}`) };
  if (resolved === 'free_shipping') return { type: 'free_shipping', code: code('SHIPFREE') };
  return undefined;
}

function personalisationContext(p: PlannedSend, messageId: string, now: Date): PersonalisationContext {
  const c = p.enrollment.context;
  const ctx: PersonalisationContext = { messageId, now };
  if (c.productIds?.length) ctx.productIds = c.productIds;
  if (c.cartId) ctx.cart = { cartId: c.cartId, items: c.lines ?? (c.productIds ?? []).map((productId) => ({ productId })) };
  if (c.orderId) ctx.order = { orderId: c.orderId, items: c.lines ?? [], total: c.orderTotal ?? 0, ...(c.currency ? { currency: c.currency } : {}) };
  const incentive = incentiveFor(p.variant?.incentive ?? p.step.incentive, p.step, p.enrollment);
  if (incentive) ctx.incentive = incentive;
  return ctx;
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

export interface ClaimDoc {
  _id: string;
  enrollmentId: string;
  stepId: string;
  claimedAt: Date;
  claimedBy: string;
  message: MessageDoc;
}

export const claimsOf = (database: Database) => database.models.MessageClaim.collection as unknown as Collection<ClaimDoc>;
export const messagesOf = (database: Database) => database.models.Message.collection as unknown as Collection<MessageDoc>;

/**
 * Stores a message's outcome: the message document (insert-only), and for a send the
 * `email_sent` event (features and attribution count it). The claim is deleted afterwards in
 * bulk (see sendPlanned): until then, claim or message, one of them always holds the key.
 */
export async function recordOutcome(database: Database, message: MessageDoc): Promise<void> {
  try {
    await messagesOf(database).insertOne(message);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  if (message.status === 'sent') await insertIgnoringDuplicates(database.models.Event.collection, [sentEvent(message, message.subject, message.scheduledFor)]);
}

/**
 * Sends one planned step, exactly once across workers and crashes:
 *  1. consent is checked on the customer's current document (canSend; transactional mail only
 *     needs a deliverable address), and the message rendered under its derived id;
 *  2. a claim is INSERTED under the message id (unique `_id` of `message_claims`): whoever's
 *     insert fails did not claim and sends nothing. A claim that succeeds right after another
 *     worker finished (its message stored, its claim deleted) finds that message and backs off;
 *  3. the mail is handed to SMTP immediately after the claim, so a crash can only leave the
 *     messages that were in flight claimed-but-unrecorded (see recoverClaims.ts);
 *  4. the message document is inserted with its outcome (`messages` is insert-only: a status
 *     update would scan the whole collection on FerretDB), with an `email_sent` event.
 * A transient failure (refused before the server took the mail) releases the claim so a later
 * run tries again; a timeout may have delivered, so it is never retried: at most once.
 */
async function sendOne(database: Database, deps: SendDeps, p: PlannedSend, now: Date, worker: string): Promise<Outcome> {
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
  if (p.variant) Object.assign(message, { variant: p.variant.name, experimentId: experimentId(p.flow.id, p.step.id) });
  const settled = async () => Boolean(await messagesOf(database).findOne({ _id: id }, { projection: { _id: 1 } }));
  const claim = async (): Promise<Outcome | null> => {
    try {
      await claimsOf(database).insertOne({ _id: id, enrollmentId: message.enrollmentId, stepId: message.stepId, claimedAt: message.claimedAt, claimedBy: worker, message });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return { kind: 'taken', settled: await settled() };
    }
    if (!(await settled())) return null;
    await claimsOf(database).deleteOne({ _id: id });
    return { kind: 'taken', settled: true };
  };

  // Independent reads, so in parallel; the personalisation of a blocked message is simply dropped.
  const [decision, data] = await Promise.all([canSend(database, p.customer as never, kind), buildPersonalisation(database, p.customer._id, personalisationContext(p, id, now))]);
  if (!decision.ok || !data.ok) {
    const reason = !decision.ok ? decision.reason : data.ok ? 'unknown' : data.error.type;
    const taken = await claim();
    if (taken) return taken;
    await recordOutcome(database, { ...message, status: 'suppressed', error: reason });
    return { kind: 'blocked', reason, transactional: kind === 'transactional' };
  }
  const rendered = deps.renderer.render(p.step.template, { ...(p.variant?.subject !== undefined ? { subject: p.variant.subject } : {}), ...(p.variant?.length ? { length: p.variant.length } : {}) }, data.value);
  Object.assign(message, { to: data.value.to, subject: rendered.subject, links: rendered.links });
  const taken = await claim();
  if (taken) return taken;

  const result = await deps.mailer.send(composeMail(rendered, { to: data.value.to, messageId: id, domain: deps.domain }));
  if (result.ok) {
    await recordOutcome(database, { ...message, status: 'sent', sentAt: now });
    return { kind: 'sent' };
  }
  const error = result.error;
  const text = `${error.type}: ${error.response ?? error.message}`.slice(0, 500);
  if (error.type === 'transient') return { kind: 'retry', error: text };
  await recordDeliveryFailure(database, { messageId: id, customerId: message.customerId, to: data.value.to, flowId: message.flowId }, error, now);
  await recordOutcome(database, { ...message, status: 'failed', error: text });
  return { kind: 'failed', error: text };
}

/** The insert-only proof of a send; features count it, and crash recovery looks for it. */
export function sentEvent(message: Pick<MessageDoc, '_id' | 'customerId' | 'partition' | 'flowId' | 'stepId' | 'variant'>, subject: string | undefined, at: Date) {
  return {
    eventId: `email_sent:${message._id}`,
    type: 'email_sent',
    customerId: message.customerId,
    partition: message.partition,
    ts: at,
    receivedAt: new Date(),
    source: 'system',
    channel: 'email',
    props: { messageId: message._id, flowId: message.flowId, campaignId: message.flowId, stepId: message.stepId, subject, variant: message.variant },
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
export async function sendPlanned(database: Database, deps: SendDeps, planned: readonly PlannedSend[], opts: { asOf: Date; concurrency: number; worker: string; signal?: AbortSignal }): Promise<SendCounts> {
  const counts: SendCounts = { sent: 0, failed: 0, suppressed: 0, retried: 0, alreadyClaimed: 0 };
  const finished: string[] = [];
  const enrollmentUpdates = new DocumentWrites<EnrollmentDoc>();
  const now = opts.asOf;
  let next = 0;
  const worker = async () => {
    while (next < planned.length && !opts.signal?.aborted) {
      const p = planned[next++]!;
      const outcome = await sendOne(database, deps, p, now, opts.worker);
      const id = messageIdOf(p.enrollment._id, p.step.id);
      if (outcome.kind !== 'taken') finished.push(id);
      switch (outcome.kind) {
        case 'sent':
          counts.sent++;
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
          else enrollmentUpdates.add(p.enrollment, { status: 'exited', exitReason: outcome.reason, endedAt: now, nextStepAt: null });
          break;
        case 'retry': {
          counts.retried++;
          const attempts = p.enrollment.sendAttempts + 1;
          if (attempts >= MAX_SEND_ATTEMPTS) {
            const claim = await claimsOf(database).findOne({ _id: id });
            if (claim) await recordOutcome(database, { ...claim.message, status: 'failed', error: outcome.error });
            enrollmentUpdates.add(p.enrollment, advance(p, now));
          } else enrollmentUpdates.add(p.enrollment, { sendAttempts: attempts, nextStepAt: new Date(now.getTime() + RETRY_BASE_MS * 2 ** attempts) });
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
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  // Every finished message is stored by now, so its claim can go (a released one is retried).
  for (let i = 0; i < finished.length; i += 500) await claimsOf(database).deleteMany({ _id: { $in: finished.slice(i, i + 500) } });
  await enrollmentUpdates.apply(database, database.models.Enrollment.collection as unknown as Collection<EnrollmentDoc>);
  return counts;
}
