// A month of a tiny shop with hand-checkable attribution and KPIs, shared by the job, API,
// CLI and dashboard tests. The expected figures are worked out in tests/attribution.job.test.ts.
import { config } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents } from '../src/ingest/storeEvents.js';

export const period = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z' };

let n = 0;
function event(customerId: string, type: string, iso: string, props: Record<string, unknown> = {}) {
  return {
    eventId: `attr-${++n}`,
    type,
    customerId,
    partition: partitionOf(customerId, config().PARTITIONS),
    ts: new Date(iso),
    receivedAt: new Date(iso),
    source: 'sim' as const,
    props,
  };
}

const day = (d: number, h = 10) => `2026-03-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;

export async function seedAttributionShop(database: Database): Promise<void> {
  const { Message, Enrollment, CustomerSegments } = database.models;
  const welcome = { flowId: 'welcome' };
  const spring = { campaignId: 'spring' };
  await recordEvents(database, [
    // c1: a machine open (never a touch), a click on the welcome flow, a paid visit, an order of 100.
    event('c1', 'email_delivered', day(1), { messageId: 'm1', ...welcome }),
    event('c1', 'email_opened', day(2), { messageId: 'm1', ...welcome, machineOpen: true }),
    event('c1', 'email_clicked', day(3), { messageId: 'm1', ...welcome }),
    event('c1', 'page_viewed', day(4), { path: '/', utmSource: 'google', utmMedium: 'cpc' }),
    event('c1', 'order_completed', day(5), { orderId: 'o1', revenue: 100 }),
    // c2: opened the spring campaign ten days before an order of 50: outside every window.
    event('c2', 'email_delivered', day(9), { messageId: 'm2', ...spring }),
    event('c2', 'email_opened', day(10), { messageId: 'm2', ...spring, readingTimeSec: 30 }),
    event('c2', 'order_completed', day(20), { orderId: 'o2', revenue: 50 }),
    // c3: social, then a spring click and an unsubscribe, and no order: the non-converting path.
    event('c3', 'email_delivered', day(12), { messageId: 'm3', ...spring }),
    event('c3', 'social_engaged', day(12, 8), { network: 'instagram' }),
    event('c3', 'email_clicked', day(13), { messageId: 'm3', ...spring }),
    event('c3', 'email_unsubscribed', day(13, 11), { messageId: 'm3', ...spring }),
    // c4: a welcome click and the next day an order of 40.
    event('c4', 'email_delivered', day(14, 9), { messageId: 'm4', ...welcome }),
    event('c4', 'email_clicked', day(14), { messageId: 'm4', ...welcome }),
    event('c4', 'order_completed', day(15), { orderId: 'o4', revenue: 40 }),
    // c5 (held out of the welcome flow) buys for 20 without any touch.
    event('c5', 'order_completed', day(5), { orderId: 'o5', revenue: 20 }),
    // Outside the period: ignored.
    event('c1', 'order_completed', '2026-04-02T10:00:00Z', { orderId: 'o6', revenue: 999 }),
  ]);
  const message = (id: string, customerId: string, sentAt: string, extra: Record<string, unknown>) => ({
    _id: id,
    enrollmentId: `e-${id}`,
    stepId: 's1',
    customerId,
    status: 'sent',
    sentAt: new Date(sentAt),
    channel: 'email',
    ...extra,
  });
  await Message.collection.insertMany([
    message('m1', 'c1', day(1), { flowId: 'welcome', variant: 'A' }),
    message('m4', 'c4', day(14, 9), { flowId: 'welcome', variant: 'B' }),
    message('m2', 'c2', day(9), { campaignId: 'spring' }),
    message('m3', 'c3', day(12), { campaignId: 'spring' }),
  ] as never[]);
  const enrollment = (customerId: string, status: string, d: number) => ({
    flowId: 'welcome',
    customerId,
    partition: 0,
    key: '',
    status,
    enrolledAt: new Date(day(d, 0)),
  });
  await Enrollment.collection.insertMany([
    enrollment('c1', 'active', 1),
    enrollment('c4', 'active', 14),
    enrollment('c5', 'holdout', 2),
    enrollment('c6', 'holdout', 3),
  ]);
  await CustomerSegments.collection.insertMany([
    { _id: 'c1', partition: 0, current: [{ segmentId: 'vip', enteredAt: new Date('2026-02-01') }], past: [] },
    {
      _id: 'c4',
      partition: 0,
      current: [],
      past: [{ segmentId: 'vip', enteredAt: new Date('2026-01-01'), exitedAt: new Date('2026-03-10') }],
    },
    {
      _id: 'c2',
      partition: 0,
      current: [],
      past: [{ segmentId: 'vip', enteredAt: new Date('2026-01-01'), exitedAt: new Date('2026-02-15') }],
    },
  ] as never[]);
}
