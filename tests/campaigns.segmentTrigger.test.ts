import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import assignSegmentsJob from '../jobs/assign-segments.js';
import dispatchJob from '../jobs/dispatch-campaigns.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { useSmtpSink } from './helpers/smtpSink.js';

/**
 * End to end: a custom segment (created through the segments API) → assign-segments emits
 * `segment_entered` → a custom flow triggered by that segment (created through the flows API) →
 * dispatch-campaigns enrols and sends through a real SMTP server, once per stay in the segment.
 */
const database = useTestDatabase();
const { sink } = useSmtpSink();

const SEGMENT = 'likely-leavers';
const FLOW = 'leavers-nudge';
// alice enters, leaves and comes back; bob enters and stays; carol never qualifies.
const [alice, bob, carol] = ['seg-alice', 'seg-bob', 'seg-carol'];

let n = 0;
async function identify(customer: string): Promise<void> {
  const event = eventSchema.parse({
    eventId: `st-${++n}`,
    type: 'identify',
    customerId: customer,
    timestamp: '2026-03-01T00:00:00Z',
    properties: {
      traits: { email: `${customer}@example.com`, timezone: 'UTC', firstName: customer },
      consent: { email: true },
    },
  });
  await storeEvents(database(), [event], 'api');
}

/** Churn risks below the built-in win-back flow's 0.7, so only our segment flow can mail anyone. */
async function setChurn(risks: Record<string, number>): Promise<void> {
  const P = config().PARTITIONS;
  const docs = Object.entries(risks).map(([id, churnRisk]) => ({
    _id: id,
    partition: partitionOf(id, P),
    churnRisk,
    drivers: {},
    modelVersions: { churn: 'v1' },
    scoredAt: new Date(),
  }));
  await database().replaceById(database().models.Score.collection as never, docs as never[]);
}

async function assign(iso: string) {
  const outcome = await runJob(assignSegmentsJob, { asOf: iso }, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error).toBeUndefined();
  return outcome.value.counts;
}

async function dispatch(iso: string) {
  const outcome = await runJob(dispatchJob, { asOf: iso }, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error?.message).toBeUndefined();
  return outcome.value.counts;
}

async function both(assignAt: string, dispatchAt: string) {
  await assign(assignAt);
  return dispatch(dispatchAt);
}

const mailsTo = (customer: string) =>
  sink()
    .received()
    .filter((m) => m.to.includes(`${customer}@example.com`));
const enrollments = (customer: string) =>
  database()
    .models.Enrollment.collection.find({ flowId: FLOW, customerId: customer })
    .sort({ triggeredAt: 1 })
    .toArray();
const entries = (customer: string) =>
  database()
    .models.Event.collection.find({ type: 'segment_entered', customerId: customer, 'props.segmentId': SEGMENT })
    .sort({ ts: 1 })
    .toArray();

beforeAll(async () => {
  expect(config().SMTP_URL).toBe(sink().url);
  for (const c of [alice, bob, carol]) await identify(c);
  await setChurn({ [alice]: 0.6, [bob]: 0.6, [carol]: 0.1 });

  const app = buildApp({ database: database() });
  const admin = (await createApiKey(database().models, { role: 'admin', name: 'a' })).key;
  const segment = await request(app)
    .post('/v1/segments')
    .set('Authorization', `Bearer ${admin}`)
    .send({ key: SEGMENT, name: 'Likely leavers', rule: { field: 'scores.churnRisk', op: 'gte', value: 0.5 } });
  expect(segment.status, JSON.stringify(segment.body)).toBe(201);
  const flow = await request(app)
    .post('/v1/flows')
    .set('Authorization', `Bearer ${admin}`)
    .send({
      id: FLOW,
      name: 'Nudge likely leavers',
      trigger: { type: 'segment_entered', segmentId: SEGMENT },
      steps: [{ id: 'nudge', delay: '0m', urgent: true, template: 'winback_miss_you' }],
      holdoutShare: 0,
    });
  expect(flow.status, JSON.stringify(flow.body)).toBe(201);
}, 60_000);

describe('segment_entered flows, end to end', () => {
  it('mails a customer once per entry into the segment, and again after leaving and coming back', async () => {
    // Entry on 2 March at 12:00 UTC: both at-risk customers enter, the urgent step goes at once.
    const first = await both('2026-03-02T12:00:00Z', '2026-03-02T12:01:00Z');
    expect(first).toMatchObject({ enrolled: 2, sent: 2 });
    expect((await entries(alice)).map((e) => e.eventId)).toEqual([
      `seg:${SEGMENT}:${alice}:${Date.parse('2026-03-02T12:00:00Z')}`,
    ]);
    expect(mailsTo(alice)).toHaveLength(1);
    expect(mailsTo(bob)).toHaveLength(1);
    expect(mailsTo(carol)).toHaveLength(0);
    expect(await enrollments(alice)).toMatchObject([
      { status: 'completed', key: '2026-03-02T12:00:00.000Z', context: { segmentId: SEGMENT } },
    ]);
    // the mail the SMTP server got is our flow's step, recorded under the id in its header
    const id = /^x-breadcrumb-message:\s*(\S+)/im.exec(mailsTo(alice)[0]!.raw)![1]!;
    expect(await database().models.Message.collection.findOne({ _id: id as never })).toMatchObject({
      customerId: alice,
      template: 'winback_miss_you',
      status: 'sent',
    });

    // Both jobs again (same data, and an hour later): no new entry, no new enrolment, no mail.
    const again = await both('2026-03-02T12:00:00Z', '2026-03-02T12:02:00Z');
    expect(again.sent ?? 0).toBe(0);
    const later = await both('2026-03-02T13:00:00Z', '2026-03-02T13:01:00Z');
    expect(later.sent ?? 0).toBe(0);
    expect(await entries(alice)).toHaveLength(1);
    expect(mailsTo(alice)).toHaveLength(1);
    expect(mailsTo(bob)).toHaveLength(1);

    // alice leaves on 5 March and comes back on 9 March: a new stay, a new enrolment, a second mail.
    await setChurn({ [alice]: 0.1, [bob]: 0.6, [carol]: 0.1 });
    await both('2026-03-05T12:00:00Z', '2026-03-05T12:01:00Z');
    expect(mailsTo(alice)).toHaveLength(1);
    await setChurn({ [alice]: 0.6, [bob]: 0.6, [carol]: 0.1 });
    const back = await both('2026-03-09T12:00:00Z', '2026-03-09T12:01:00Z');
    expect(back).toMatchObject({ enrolled: 1, sent: 1 });
    expect((await entries(alice)).map((e) => e.ts)).toEqual([
      new Date('2026-03-02T12:00:00Z'),
      new Date('2026-03-09T12:00:00Z'),
    ]);
    expect((await enrollments(alice)).map((e) => e.key)).toEqual([
      '2026-03-02T12:00:00.000Z',
      '2026-03-09T12:00:00.000Z',
    ]);
    const aliceMails = mailsTo(alice);
    expect(aliceMails).toHaveLength(2);
    expect(new Set(aliceMails.map((m) => m.messageId)).size).toBe(2);

    // And once more after the re-entry: nothing new for anyone.
    await both('2026-03-09T13:00:00Z', '2026-03-09T13:01:00Z');
    expect(mailsTo(alice)).toHaveLength(2);
    expect(mailsTo(bob)).toHaveLength(1);
    expect(mailsTo(carol)).toHaveLength(0);
    const sent = await database().models.Event.collection.countDocuments({
      type: 'email_sent',
      customerId: { $in: [alice, bob, carol] },
    });
    expect(sent).toBe(3);
  });
});
