import { describe, expect, it } from 'vitest';
import { assignVariant, inHoldout } from '../src/campaigns/experiments/assign.js';
import { evaluateExperiments } from '../src/campaigns/experiments/evaluateExperiments.js';
import {
  decideWinner,
  normalCdf,
  twoProportionZTest,
  winProbabilities,
} from '../src/campaigns/experiments/significance.js';
import { builtInFlows } from '../src/campaigns/flows/builtInFlows.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents } from '../src/ingest/storeEvents.js';
import { useTestDatabase } from './helpers/db.js';

describe('significance', () => {
  it('computes the pooled two-proportion z-test', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
    const t = twoProportionZTest({ successes: 120, trials: 1000 }, { successes: 100, trials: 1000 });
    expect(t.z).toBeCloseTo(1.4293, 3);
    expect(t.pTwoSided).toBeCloseTo(0.1529, 3);
    expect(twoProportionZTest({ successes: 0, trials: 0 }, { successes: 1, trials: 5 }).pTwoSided).toBe(1);
  });

  it('gives Bayesian win probabilities that sum to one and favour the better variant', () => {
    const even = winProbabilities([
      { successes: 50, trials: 500 },
      { successes: 50, trials: 500 },
    ]);
    expect(even[0]! + even[1]!).toBeCloseTo(1, 10);
    expect(even[0]!).toBeGreaterThan(0.45);
    expect(even[0]!).toBeLessThan(0.55);
    expect(
      winProbabilities([
        { successes: 150, trials: 1000 },
        { successes: 100, trials: 1000 },
      ])[0],
    ).toBeGreaterThan(0.99);
  });

  it('picks a winner only when significant and big enough', () => {
    const opts = { confidence: 0.95, minRecipients: 100 };
    expect(
      decideWinner(
        [
          { name: 'a', successes: 150, trials: 1000 },
          { name: 'b', successes: 100, trials: 1000 },
        ],
        opts,
      ),
    ).toMatchObject({ winner: 'a', leader: 'a' });
    expect(
      decideWinner(
        [
          { name: 'a', successes: 120, trials: 1000 },
          { name: 'b', successes: 100, trials: 1000 },
        ],
        opts,
      ),
    ).toMatchObject({ winner: null, leader: 'a', reason: expect.stringMatching(/not significant/) });
    expect(
      decideWinner(
        [
          { name: 'a', successes: 30, trials: 50 },
          { name: 'b', successes: 1, trials: 50 },
        ],
        opts,
      ),
    ).toMatchObject({ winner: null, reason: expect.stringMatching(/recipients needed/) });
  });
});

describe('assignment', () => {
  const variants = [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 3 },
  ];
  const ids = Array.from({ length: 10_000 }, (_, i) => `c-${i}`);

  it('splits by weight, stably, and gives everyone the winner once there is one', () => {
    const share = ids.filter((id) => assignVariant('f', 's', variants, id)?.name === 'b').length / ids.length;
    expect(share).toBeGreaterThan(0.73);
    expect(share).toBeLessThan(0.77);
    expect(ids.slice(0, 50).map((id) => assignVariant('f', 's', variants, id)?.name)).toEqual(
      ids.slice(0, 50).map((id) => assignVariant('f', 's', variants, id)?.name),
    );
    expect(new Set(ids.map((id) => assignVariant('f', 's', variants, id, 'a')?.name))).toEqual(new Set(['a']));
  });

  it('holds out the configured share, independently of variant assignment', () => {
    const held = ids.filter((id) => inHoldout('abandoned-cart', id, 0.1));
    expect(held.length / ids.length).toBeGreaterThan(0.085);
    expect(held.length / ids.length).toBeLessThan(0.115);
    const bShareInHoldout =
      held.filter((id) => assignVariant('abandoned-cart', 'urgency', variants, id)?.name === 'b').length / held.length;
    expect(bShareInHoldout).toBeGreaterThan(0.68);
    expect(bShareInHoldout).toBeLessThan(0.82);
    expect(inHoldout('abandoned-cart', 'x', 0)).toBe(false);
  });
});

describe('evaluateExperiments', () => {
  const database = useTestDatabase();

  it('counts opens, clicks and conversions per variant, picks the winner, and compares the holdout', async () => {
    const { Message, Enrollment, Experiment } = database().models;
    const sentAt = new Date('2026-02-02T10:00:00Z');
    const messages = [];
    const events = [];
    for (let i = 0; i < 400; i++) {
      const variant = i % 2 ? 'save' : 'stock';
      const id = `m${i}`;
      messages.push({
        _id: id,
        enrollmentId: `e${i}`,
        stepId: 'urgency',
        flowId: 'abandoned-cart',
        customerId: `c${i}`,
        experimentId: 'abandoned-cart:urgency',
        variant,
        kind: 'marketing',
        status: 'sent',
        scheduledFor: sentAt,
        sentAt,
      });
      const clicks = variant === 'save' ? i % 6 === 1 || i % 6 === 3 : i % 20 === 0;
      if (clicks)
        events.push({
          eventId: `k${i}`,
          type: 'email_clicked',
          customerId: `c${i}`,
          ts: new Date(sentAt.getTime() + 3_600_000),
          props: { messageId: id },
        });
      // machine opens say nothing about a person
      events.push({
        eventId: `o${i}`,
        type: 'email_opened',
        customerId: `c${i}`,
        ts: new Date(sentAt.getTime() + 60_000),
        props: { messageId: id, machineOpen: i % 4 === 0 },
      });
    }
    // post-purchase holdout: 10 mailed customers buy again for 50 each, 10 held out buy nothing
    const enrollments = Array.from({ length: 20 }, (_, i) => ({
      _id: `pp${i}`,
      flowId: 'post-purchase',
      customerId: `p${i}`,
      partition: 0,
      key: `o${i}`,
      status: i < 10 ? 'completed' : 'holdout',
      stepIndex: 0,
      enrolledAt: sentAt,
    }));
    for (let i = 0; i < 10; i++)
      events.push({
        eventId: `po${i}`,
        type: 'order_completed',
        customerId: `p${i}`,
        ts: new Date(sentAt.getTime() + 2 * 86_400_000),
        props: { orderId: `po${i}`, revenue: 50 },
      });
    await Message.collection.insertMany(messages as never[]);
    const P = config().PARTITIONS;
    await recordEvents(
      database(),
      events.map((e) => ({
        ...e,
        partition: partitionOf(e.customerId, P),
        receivedAt: e.ts,
        source: 'email' as const,
      })),
    );
    await Enrollment.collection.insertMany(enrollments as never[]);

    const result = await evaluateExperiments(database(), builtInFlows, {
      asOf: new Date('2026-02-20T00:00:00Z'),
      confidence: 0.95,
      minRecipients: 100,
      attributionDays: 7,
      windowDays: 90,
    });
    expect(result.winners).toBe(1);
    const urgency = await Experiment.collection.findOne({ _id: 'abandoned-cart:urgency' as never });
    expect(urgency).toMatchObject({ status: 'stopped', results: { goal: 'click', winner: 'save' } });
    const byName = Object.fromEntries((urgency!.results.variants as { name: string }[]).map((v) => [v.name, v]));
    expect(byName.save).toMatchObject({ recipients: 200, clicks: 134, opens: 200 });
    // stock: 100 human opens, 100 machine opens of which 20 clicked (a click is an open)
    expect(byName.stock).toMatchObject({ recipients: 200, clicks: 20, opens: 120 });
    const holdout = await Experiment.collection.findOne({ _id: 'post-purchase:holdout' as never });
    expect(holdout!.results).toMatchObject({
      treated: { customers: 10, converters: 10, revenue: 500, revenuePerCustomer: 50 },
      holdout: { customers: 10, converters: 0, revenuePerCustomer: 0 },
      revenueLiftPerCustomer: 50,
    });
  });
});
