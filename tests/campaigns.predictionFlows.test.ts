import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import dispatchJob from '../jobs/dispatch-campaigns.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { scoreWatchOf } from '../src/campaigns/flows/scoreWatch.js';
import { config } from '../src/config.js';
import type { ScoreDoc } from '../src/db/models/score.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { previousScores, writeScores } from '../src/ml/scoring/scoreCustomers.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { useSmtpSink } from './helpers/smtpSink.js';

/**
 * Flows started by predictions, end to end: scores written the way score-customers writes them
 * (writeScores: tiers, prediction events, then the documents; the models' numbers are given here
 * instead of inferred), dispatch-campaigns enrolling and sending through a real SMTP server.
 */
const database = useTestDatabase();
const { sink } = useSmtpSink();

const API_FLOW = 'api-save';
const predictionFlows = ['replenishment', 'churn-save-offer', 'vip-welcome', 'win-back', API_FLOW];
const builtInHoldouts = [
  ['replenishment', 0.1],
  ['churn-save-offer', 0.1],
  ['vip-welcome', 0.1],
  ['win-back', 0.1],
  ['post-purchase', 0.05],
] as const;

/** An id out of every built-in flow's holdout, and in or out of the API flow's (share 0.5) as asked. */
function customerId(name: string, inApiHoldout = false): string {
  for (let i = 0; ; i++) {
    const id = `${name}-${i}`;
    if (builtInHoldouts.some(([f, share]) => inHoldout(f, id, share))) continue;
    if (inHoldout(API_FLOW, id, 0.5) === inApiHoldout) return id;
  }
}

const repA = customerId('rep-a');
const repB = customerId('rep-b');
// In the API flow's holdout, so its first scoring (crossing every threshold) mails only the save offer.
const risky = customerId('risky', true);
const saveA = customerId('save-a');
const saveB = customerId('save-b');
const vipA = customerId('vip-a');
const busy = customerId('busy');
const unsub = customerId('unsub');
const top1 = customerId('top-1');
const top2 = customerId('top-2');
const apiOut = customerId('api-out');
const apiIn = customerId('api-in', true);
const everyone = [repA, repB, risky, saveA, saveB, vipA, busy, unsub, top1, top2, apiOut, apiIn];

type Scores = Partial<Pick<ScoreDoc, 'churnRisk' | 'predictedLtv' | 'lastOrderAt' | 'expectedNextOrderAt'>>;
const at = (iso: string) => new Date(iso);

/** The first scoring: churn risk low except `risky`; top-1 and top-2 lead on predicted LTV. */
const firstScores: Record<string, Scores> = {
  [repA]: { churnRisk: 0.2, lastOrderAt: at('2026-03-20T12:00:00Z'), expectedNextOrderAt: at('2026-04-21T12:00:00Z') },
  [repB]: { churnRisk: 0.2, lastOrderAt: at('2026-03-22T12:00:00Z'), expectedNextOrderAt: at('2026-04-23T12:00:00Z') },
  [risky]: {
    churnRisk: 0.85,
    lastOrderAt: at('2026-01-01T12:00:00Z'),
    expectedNextOrderAt: at('2026-04-20T12:00:00Z'),
  },
  [saveA]: { churnRisk: 0.3 },
  [saveB]: { churnRisk: 0.3 },
  [vipA]: { churnRisk: 0.1, predictedLtv: 400 },
  [busy]: {
    churnRisk: 0.3,
    predictedLtv: 300,
    lastOrderAt: at('2026-03-29T12:00:00Z'),
    expectedNextOrderAt: at('2026-04-16T00:00:00Z'),
  },
  [unsub]: { churnRisk: 0.3 },
  [top1]: { churnRisk: 0.1, predictedLtv: 1000 },
  [top2]: { churnRisk: 0.1, predictedLtv: 900 },
  [apiOut]: { churnRisk: 0.3 },
  [apiIn]: { churnRisk: 0.3 },
};

/** The second scoring: six cross 0.5 (two of them 0.55 too), vip-a and busy move to the top tier. */
const secondScores: Record<string, Scores> = {
  ...firstScores,
  [saveA]: { churnRisk: 0.52 },
  [saveB]: { churnRisk: 0.52 },
  [unsub]: { churnRisk: 0.52 },
  [apiOut]: { churnRisk: 0.6 },
  [apiIn]: { churnRisk: 0.6 },
  [vipA]: { churnRisk: 0.1, predictedLtv: 2000 },
  [busy]: { ...firstScores[busy]!, churnRisk: 0.52, predictedLtv: 1900 },
};

/** Writes a scoring run's documents as score-customers does; returns how many prediction events it stored. */
async function score(iso: string, rows: Record<string, Scores>): Promise<number> {
  const P = config().PARTITIONS;
  const when = at(iso);
  const scored: ScoreDoc[] = Object.entries(rows).map(([id, s]) => ({
    _id: id,
    partition: partitionOf(id, P),
    cohort: 'buyer',
    predictedLtv: 100,
    drivers: {},
    modelVersions: { churn: 'v1', ltv: 'v1' },
    featuresAsOf: when,
    asOf: when,
    scoredAt: when,
    ...s,
  }));
  const previous = await previousScores(
    database(),
    Array.from({ length: P }, (_, p) => p),
    P,
  );
  const watch = await scoreWatchOf(database());
  const result = await writeScores(database(), {
    previous,
    scored,
    values: scored.map(() => ({ orderGapMeanDays: 20 })),
    watch,
    scoredAt: when,
  });
  return result.predictionEvents;
}

async function dispatch(iso: string) {
  const outcome = await runJob(dispatchJob, { asOf: iso }, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error?.message).toBeUndefined();
  return outcome.value.counts;
}

async function event(customer: string, type: string, iso: string, properties: Record<string, unknown> = {}) {
  await storeEvents(database(), [eventSchema.parse({ type, customerId: customer, timestamp: iso, properties })], 'api');
}

/** What the SMTP server received for a customer, as `flow/step` (resolved from the message id header). */
async function mailsTo(customer: string): Promise<string[]> {
  const ids = sink()
    .received()
    .filter((m) => m.to.includes(`${customer}@example.com`))
    .map((m) => /^x-breadcrumb-message:\s*(\S+)/im.exec(m.raw)![1]!);
  const messages = await database()
    .collections.messages.find({ _id: { $in: ids } })
    .toArray();
  return messages
    .filter((m) => predictionFlows.includes(m.flowId))
    .map((m) => `${m.flowId}/${m.stepId}`)
    .sort();
}

const enrolment = async (flowId: string, customer: string) =>
  database().collections.enrollments.find({ flowId, customerId: customer }).toArray();

const counts: Record<string, Record<string, number>> = {};

beforeAll(async () => {
  expect(config().SMTP_URL).toBe(sink().url);
  await addCustomers(
    database(),
    everyone.map((id) => ({
      id,
      email: `${id}@example.com`,
      firstName: id,
      timezone: 'UTC',
      consent: { email: true },
      at: at('2026-03-01T00:00:00Z'),
    })),
  );
  const app = buildApp({ database: database() });
  const admin = (await createApiKey(database().models, { role: 'admin', name: 'a' })).key;
  // A marketer's own prediction trigger, through the API: a second churn threshold with a 50 % holdout.
  const flow = await request(app)
    .post('/v1/flows')
    .set('Authorization', `Bearer ${admin}`)
    .send({
      id: API_FLOW,
      name: 'Churn 0.55 nudge',
      trigger: { type: 'churn_risk', threshold: 0.55 },
      steps: [{ id: 'nudge', delay: '0m', template: 'winback_miss_you', urgent: true }],
      exitOn: ['ordered', 'score_fell', 'unsubscribed'],
      holdoutShare: 0.5,
    });
  expect(flow.status, JSON.stringify(flow.body)).toBe(201);

  // Day 1: first scoring, dispatch; the same scoring again changes nothing.
  counts.score1 = { events: await score('2026-04-01T09:00:00Z', firstScores) };
  counts.dispatch1 = await dispatch('2026-04-01T10:05:00Z');
  counts.score1again = { events: await score('2026-04-01T09:00:00Z', firstScores) };
  counts.dispatch1again = await dispatch('2026-04-01T10:30:00Z');
  // Day 2: unsub unsubscribes at 08:00, then the second scoring at 09:00.
  await event(unsub, 'email_unsubscribed', '2026-04-02T08:00:00Z');
  counts.score2 = { events: await score('2026-04-02T09:00:00Z', secondScores) };
  counts.dispatch2 = await dispatch('2026-04-02T10:05:00Z');
  // Day 3: save-b's churn risk falls back below 0.5.
  counts.score3 = {
    events: await score('2026-04-03T09:00:00Z', { ...secondScores, [saveB]: { churnRisk: 0.4 } }),
  };
  counts.dispatch3 = await dispatch('2026-04-03T10:05:00Z');
  // Day 5: rep-b orders before its replenishment mail.
  await event(repB, 'order_completed', '2026-04-05T08:00:00Z', { orderId: 'o-rep-b', revenue: 20 });
  for (const iso of [
    '2026-04-05T10:05:00Z',
    '2026-04-05T11:10:00Z',
    '2026-04-06T10:05:00Z',
    '2026-04-07T10:05:00Z',
    '2026-04-08T10:05:00Z',
    '2026-04-09T10:05:00Z',
    '2026-04-10T10:05:00Z',
  ])
    counts[iso] = await dispatch(iso);
}, 240_000);

describe('flows started by predictions', () => {
  it('writes prediction events only for changes: a repeated scoring writes none', () => {
    expect(counts.score1!.events).toBeGreaterThan(0);
    expect(counts.score1again!.events).toBe(0);
    expect(counts.dispatch1again!.enrolled ?? 0).toBe(0);
    expect(counts.dispatch1again!.sent ?? 0).toBe(0);
  });

  it('replenishment: once per expected order, days before it; an order ends it; high churn risk is left out', async () => {
    expect(await mailsTo(repA)).toEqual(['replenishment/restock']);
    const [a] = await enrolment('replenishment', repA);
    expect(a).toMatchObject({
      key: 'next:2026-03-20',
      status: 'completed',
      context: { startAt: '2026-04-07T12:00:00.000Z' },
    });
    const sent = await database().collections.messages.findOne({ flowId: 'replenishment', customerId: repA });
    // Due 14 days before the expected order (7 April 12:00), sent at the next 10:00 (no best hour
    // known): by the dispatch of 8 April, not the one of the 7th.
    expect(sent?.scheduledFor).toEqual(at('2026-04-08T10:05:00Z'));
    expect(await mailsTo(repB)).toEqual([]);
    expect(await enrolment('replenishment', repB)).toMatchObject([{ status: 'exited', exitReason: 'ordered' }]);
    expect(await enrolment('replenishment', risky)).toEqual([]);
  });

  it('churn save offer: on the upward crossing, once; exits when the score falls back', async () => {
    expect(await mailsTo(saveA)).toEqual(['churn-save-offer/offer', 'churn-save-offer/reminder']);
    expect(await mailsTo(saveB)).toEqual(['churn-save-offer/offer']);
    expect(await enrolment('churn-save-offer', saveB)).toMatchObject([{ status: 'exited', exitReason: 'score_fell' }]);
    expect(counts.dispatch3!.exited_score_fell).toBe(1);
    // Customers who stayed below 0.5 never entered.
    expect(await enrolment('churn-save-offer', repA)).toEqual([]);
  });

  it('win-back waits while the save offer runs, then goes', async () => {
    // Its incentive step is still held by the budget (two a week) when the test's clock stops.
    expect(await mailsTo(risky)).toEqual(['churn-save-offer/offer', 'churn-save-offer/reminder', 'win-back/miss-you']);
    const byTemplate = await database()
      .collections.messages.find({ customerId: risky })
      .sort({ scheduledFor: 1 })
      .toArray();
    expect(byTemplate.map((m) => `${m.flowId}/${m.stepId}`).slice(0, 3)).toEqual([
      'churn-save-offer/offer',
      'churn-save-offer/reminder',
      'win-back/miss-you',
    ]);
    const reminder = byTemplate[1]!.scheduledFor.getTime();
    expect(byTemplate[2]!.scheduledFor.getTime()).toBeGreaterThan(reminder);
    expect(counts.dispatch1!.yielded).toBeGreaterThan(0);
  });

  it('VIP welcome: once, when the predicted LTV tier rises to the top', async () => {
    expect(await mailsTo(vipA)).toEqual(['vip-welcome/welcome']);
    // The first scoring's leaders had no tier to rise from, and falling to mid sends nothing.
    expect(await mailsTo(top1)).toEqual([]);
    expect(await mailsTo(top2)).toEqual([]);
    expect(await enrolment('vip-welcome', top1)).toEqual([]);
    expect(await enrolment('vip-welcome', repA)).toEqual([]);
  });

  it('the frequency budget holds three due messages to two a week, deferring the third', async () => {
    expect(counts.dispatch2!.deferred).toBeGreaterThanOrEqual(1);
    const mails = await database()
      .collections.messages.find({ customerId: busy, status: 'sent' })
      .sort({ scheduledFor: 1 })
      .toArray();
    // Replenishment (priority 55) and VIP (45) went on day 2; the save offer (35) waited a week.
    expect(
      mails
        .slice(0, 2)
        .map((m) => m.flowId)
        .sort(),
    ).toEqual(['replenishment', 'vip-welcome']);
    expect(mails[2]).toMatchObject({ flowId: 'churn-save-offer', stepId: 'offer' });
    expect(mails[2]!.scheduledFor.getTime() - mails[0]!.scheduledFor.getTime()).toBeGreaterThanOrEqual(7 * 86_400_000);
  });

  it('holdouts of a marketer-defined prediction flow are enrolled, never mailed', async () => {
    expect(await enrolment(API_FLOW, apiIn)).toMatchObject([{ status: 'holdout' }]);
    expect(await enrolment(API_FLOW, apiOut)).toMatchObject([{ status: 'completed' }]);
    expect(await mailsTo(apiIn)).toEqual(['churn-save-offer/offer', 'churn-save-offer/reminder']);
    expect(await mailsTo(apiOut)).toEqual([`${API_FLOW}/nudge`, 'churn-save-offer/offer', 'churn-save-offer/reminder']);
  });

  it('an unsubscribed customer is never mailed', async () => {
    expect(await mailsTo(unsub)).toEqual([]);
    expect(
      sink()
        .received()
        .filter((m) => m.to.includes(`${unsub}@example.com`)),
    ).toEqual([]);
  });
});
