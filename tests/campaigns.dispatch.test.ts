import { beforeAll, describe, expect, it } from 'vitest';
import job from '../jobs/dispatch-campaigns.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { useSmtpSink } from './helpers/smtpSink.js';

const database = useTestDatabase();
const { sink } = useSmtpSink();
const D = 86_400_000;

/** An id whose hash keeps it out of every built-in flow's holdout (or in the cart one's, when asked). */
function customerId(name: string, heldOutOfCart = false): string {
  for (let i = 0; ; i++) {
    const id = `${name}-${i}`;
    const held = inHoldout('abandoned-cart', id, 0.1);
    const others = ['post-purchase', 'welcome-website', 'welcome-post-purchase', 'browse-abandonment', 'win-back'].some(
      (f) => inHoldout(f, id, 0.1),
    );
    if (held === heldOutOfCart && !others) return id;
  }
}

const ny = customerId('ny');
const tokyo = customerId('tokyo');
const noConsent = customerId('noconsent');
const unsub = customerId('unsub');
const low = customerId('low');
const busy = customerId('busy');
const held = customerId('held', true);

let n = 0;
async function send(customer: string, type: string, iso: string, properties: Record<string, unknown> = {}) {
  const event = eventSchema.parse({ eventId: `t-${++n}`, type, customerId: customer, timestamp: iso, properties });
  await storeEvents(database(), [event], 'api');
}

async function identify(
  customer: string,
  timezone: string,
  consent: boolean,
  signupSource?: string,
  at = '2026-01-01T00:00:00Z',
) {
  await send(customer, 'identify', at, {
    traits: {
      email: `${customer}@example.com`,
      timezone,
      firstName: customer,
      ...(signupSource ? { signupSource } : {}),
    },
    consent: { email: consent },
  });
}

async function dispatch(iso: string, options: Record<string, unknown> = {}) {
  const outcome = await runJob(job, { asOf: iso, ...options }, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error?.message).toBeUndefined();
  return outcome.value.counts;
}

/** Templates of the mail the SMTP server received for a customer, in order, by our message id header. */
async function received(customer: string): Promise<string[]> {
  const mails = sink()
    .received()
    .filter((m) => m.to.includes(`${customer}@example.com`));
  const ids = mails.map((m) => /^x-breadcrumb-message:\s*(\S+)/im.exec(m.raw)![1]!);
  const docs = await database()
    .models.Message.collection.find({ _id: { $in: ids as never[] } })
    .toArray();
  const template = new Map(docs.map((d) => [String(d._id), d.template as string]));
  return ids.map((id) => template.get(id) ?? '?');
}

async function enrollment(flowId: string, customer: string) {
  return database().models.Enrollment.collection.findOne({ flowId, customerId: customer });
}

beforeAll(async () => {
  expect(config().SMTP_URL).toBe(sink().url);
  await identify(ny, 'America/New_York', true);
  await identify(tokyo, 'Asia/Tokyo', true);
  await identify(noConsent, 'UTC', false);
  await identify(low, 'UTC', true);
  await identify(busy, 'UTC', true);
  await identify(held, 'UTC', true);
  const { Score, Message } = database().models;
  await Score.collection.insertOne({
    _id: ny,
    partition: partitionOf(ny, config().PARTITIONS),
    bestSendHour: 18,
    sendHourConfidence: 0.8,
  } as never);
  // A low-engaged reader (2 a month): 20 mails, none opened, in the 90 days of their features.
  // Current features are as of the wall clock, not this story's dates, so those days end now.
  const unopened = Array.from({ length: 20 }, (_, i) =>
    eventSchema.parse({
      eventId: `unopened-${i}`,
      type: 'email_sent',
      customerId: low,
      timestamp: Date.now() - (i + 1) * 3 * D,
      properties: { messageId: `unopened-${i}` },
    }),
  );
  await storeEvents(database(), unopened, 'email');
  expect((await database().models.Feature.collection.findOne({ _id: low as never }))!.values).toMatchObject({
    emailsSent90d: 20,
    emailOpenRate90d: 0,
  });
  // The low reader already got two this month, and a medium one (2 a week) one this week.
  const earlier = (customer: string, iso: string, i: number) => ({
    _id: `old-${customer}-${i}`,
    enrollmentId: `old-${i}`,
    stepId: 's',
    customerId: customer,
    kind: 'marketing',
    status: 'sent',
    scheduledFor: new Date(iso),
    sentAt: new Date(iso),
  });
  await Message.collection.insertMany([
    earlier(low, '2026-01-10T10:00:00Z', 1),
    earlier(low, '2026-01-20T10:00:00Z', 2),
    earlier(busy, '2026-01-30T10:00:00Z', 3),
  ] as never[]);
}, 120_000);

describe('dispatch-campaigns on hand-made shoppers', () => {
  it('sends the 1-hour cart reminder on time, and the 24-hour one at the best local hour', async () => {
    // 09:00 in New York (UTC−5 in February)
    await send(ny, 'cart_item_added', '2026-02-02T14:00:00Z', {
      cartId: 'cart-ny',
      productId: 'p1',
      price: 40,
      quantity: 1,
    });
    await dispatch('2026-02-02T14:30:00Z');
    expect(await received(ny)).toEqual([]);
    const counts = await dispatch('2026-02-02T15:00:00Z');
    expect(counts).toMatchObject({ sent: 1 });
    expect(await received(ny)).toEqual(['cart_1h']);

    // Due at 09:00 NY the next day; best hour 18:00 NY = 23:00 UTC.
    await dispatch('2026-02-03T15:00:00Z');
    expect((await enrollment('abandoned-cart', ny))!.nextStepAt).toEqual(new Date('2026-02-03T23:00:00Z'));
    await dispatch('2026-02-03T22:59:00Z');
    expect(await received(ny)).toEqual(['cart_1h']);
    await dispatch('2026-02-03T23:00:00Z');
    expect(await received(ny)).toEqual(['cart_1h', 'cart_24h']);
  });

  it('ends the cart series when that cart is bought, and confirms the order at once', async () => {
    await send(ny, 'checkout_started', '2026-02-04T10:00:00Z', { checkoutId: 'k-ny', cartId: 'cart-ny', value: 40 });
    await send(ny, 'order_completed', '2026-02-04T10:05:00Z', {
      orderId: 'o-ny',
      checkoutId: 'k-ny',
      revenue: 40,
      items: [{ productId: 'p1', price: 40, quantity: 1 }],
    });
    // 05:10 in New York: quiet hours, but an order confirmation is transactional.
    await dispatch('2026-02-04T10:10:00Z');
    expect(await enrollment('abandoned-cart', ny)).toMatchObject({
      status: 'exited',
      exitReason: 'recovered',
      stepIndex: 2,
    });
    expect(await received(ny)).toEqual(['cart_1h', 'cart_24h', 'post_purchase_confirmation']);
    await dispatch('2026-02-05T23:00:00Z');
    expect(await received(ny)).toEqual(['cart_1h', 'cart_24h', 'post_purchase_confirmation']);
    // Post-purchase care tips fall due 4 days after the order, at 18:00 New York time — but the
    // two cart mails of this week fill a medium reader's budget (2 a week; the confirmation is
    // transactional and does not count), so they wait until the first leaves the week, 18:00 again.
    await dispatch('2026-02-08T22:59:00Z');
    expect(await received(ny)).toHaveLength(3);
    expect(await dispatch('2026-02-08T23:00:00Z')).toMatchObject({ deferred: 1 });
    expect(await received(ny)).toHaveLength(3);
    await dispatch('2026-02-09T23:00:00Z');
    expect(await received(ny)).toEqual(['cart_1h', 'cart_24h', 'post_purchase_confirmation', 'post_purchase_care']);
  });

  it('holds an urgent reminder until quiet hours end in the customer’s timezone', async () => {
    // 21:00 in Tokyo: due 22:00 local, quiet until 08:00 local = 23:00 UTC.
    await send(tokyo, 'cart_item_added', '2026-02-02T12:00:00Z', { cartId: 'cart-tk', productId: 'p2', price: 10 });
    await dispatch('2026-02-02T13:00:00Z');
    expect(await received(tokyo)).toEqual([]);
    expect((await enrollment('abandoned-cart', tokyo))!.nextStepAt).toEqual(new Date('2026-02-02T23:00:00Z'));
    await dispatch('2026-02-02T23:00:00Z');
    expect(await received(tokyo)).toEqual(['cart_1h']);
  });

  it('never mails marketing without consent, but still confirms orders', async () => {
    await send(noConsent, 'cart_item_added', '2026-02-02T09:00:00Z', { cartId: 'cart-nc', productId: 'p1', price: 40 });
    await dispatch('2026-02-02T10:00:00Z');
    expect(await enrollment('abandoned-cart', noConsent)).toMatchObject({ status: 'exited', exitReason: 'no_consent' });
    const suppressed = await database().models.Message.collection.findOne({ customerId: noConsent });
    expect(suppressed).toMatchObject({ status: 'suppressed', error: 'no_consent' });
    await send(noConsent, 'order_completed', '2026-02-02T11:00:00Z', {
      orderId: 'o-nc',
      revenue: 40,
      items: [{ productId: 'p1', price: 40 }],
    });
    await dispatch('2026-02-02T11:01:00Z');
    expect(await received(noConsent)).toEqual(['post_purchase_confirmation']);
  });

  it('welcomes a website signup and stops the series when they unsubscribe', async () => {
    await identify(unsub, 'UTC', true, 'website', '2026-02-02T09:00:00Z');
    await dispatch('2026-02-02T09:01:00Z');
    expect(await received(unsub)).toEqual(['welcome_brand']);
    await send(unsub, 'email_unsubscribed', '2026-02-03T08:00:00Z', {});
    await dispatch('2026-02-03T08:01:00Z');
    expect(await enrollment('welcome-website', unsub)).toMatchObject({ status: 'exited', exitReason: 'unsubscribed' });
    await dispatch('2026-02-04T10:00:00Z');
    await dispatch('2026-02-09T10:00:00Z');
    expect(await received(unsub)).toEqual(['welcome_brand']);
  });

  it('defers over-budget mail by priority instead of dropping it', async () => {
    // low: already 2 in 30 days → the reminder waits until the older one leaves the window (9 Feb 10:00).
    await send(low, 'cart_item_added', '2026-02-02T09:00:00Z', { cartId: 'cart-low', productId: 'p1', price: 40 });
    // busy: one slot left this week; a browse reminder (priority 40) and a cart reminder (90) fall due together.
    await send(busy, 'product_viewed', '2026-02-02T05:00:00Z', { productId: 'p3', price: 12 });
    await send(busy, 'cart_item_added', '2026-02-02T09:00:00Z', { cartId: 'cart-busy', productId: 'p1', price: 40 });
    const counts = await dispatch('2026-02-02T10:00:00Z');
    expect(counts.deferred).toBeGreaterThanOrEqual(2);
    expect(await received(low)).toEqual([]);
    expect(await received(busy)).toEqual(['cart_1h']);
    const lowCart = await enrollment('abandoned-cart', low);
    expect(lowCart).toMatchObject({ status: 'active', stepIndex: 0, deferrals: 1 });
    expect(lowCart!.deferredUntil).toEqual(new Date(new Date('2026-01-10T10:00:00Z').getTime() + 30 * D));
    expect(await enrollment('browse-abandonment', busy)).toMatchObject({
      status: 'active',
      stepIndex: 0,
      deferrals: 1,
    });
    // Once the budget frees up, the deferred reminder goes (at 10:00 local, the default hour).
    await dispatch('2026-02-09T09:59:00Z');
    expect(await received(low)).toEqual([]);
    await dispatch('2026-02-09T10:00:00Z');
    expect(await received(low)).toEqual(['cart_1h']);
  });

  it('enrols held-out customers without mailing them', async () => {
    await send(held, 'cart_item_added', '2026-02-02T09:00:00Z', { cartId: 'cart-held', productId: 'p1', price: 40 });
    await dispatch('2026-02-02T12:00:00Z');
    expect(await enrollment('abandoned-cart', held)).toMatchObject({ status: 'holdout' });
    expect(await received(held)).toEqual([]);
  });

  it('sends each message once when two dispatchers run at the same time', async () => {
    const buyers = Array.from({ length: 8 }, (_, i) => customerId(`buyer${i}`));
    for (const b of buyers) {
      await identify(b, 'UTC', true);
      await send(b, 'order_completed', '2026-02-10T12:00:00Z', {
        orderId: `o-${b}`,
        revenue: 20,
        items: [{ productId: 'p1', price: 20 }],
      });
    }
    await Promise.all([dispatch('2026-02-10T12:01:00Z'), dispatch('2026-02-10T12:01:00Z')]);
    await dispatch('2026-02-10T12:02:00Z');
    const mails = sink()
      .received()
      .filter((m) => buyers.some((b) => m.to.includes(`${b}@example.com`)));
    expect(mails).toHaveLength(buyers.length);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(buyers.length);
    const sent = await database()
      .models.Event.collection.find({ type: 'email_sent', customerId: { $in: buyers } })
      .toArray();
    expect(sent).toHaveLength(buyers.length);
  });
});
