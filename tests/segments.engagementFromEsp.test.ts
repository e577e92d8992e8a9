import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import buildFeaturesJob from '../jobs/build-features.js';
import { createShopContext, FIXED_SHOP_END, simulateCustomer } from '../data/generator/seedShop.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { runJob } from '../src/jobs/runJob.js';
import { builtInSegments } from '../src/segments/library/index.js';
import { useTestDatabase } from './helpers/db.js';
import { evaluateRules } from './helpers/segmentShop.js';

/**
 * A shop whose ESP reports through Segment's Email spec: no `email_sent`, only `Email Delivered`,
 * `Email Opened` and `Email Link Clicked`, posted to /v1/segment/batch. The simulator's customers
 * carry their hidden open probability, so the engagement tiers can be checked against it.
 */
const database = useTestDatabase();
/** A fixed past date: the intake refuses timestamps in the future. */
const end = FIXED_SHOP_END;
const CUSTOMERS = 250;
const TIERS = ['highly-engaged', 'moderately-engaged', 'low-engagement', 're-engagement-needed'] as const;
/** Email spec names of the simulator's events; its `email_sent` has no spec name, so the shop never says it. */
const SPEC_NAMES: Record<string, string> = {
  email_delivered: 'Email Delivered',
  email_opened: 'Email Opened',
  email_clicked: 'Email Link Clicked',
};

/** The hidden chance that the person opens a message, and that they click one (open × click given open). */
const hidden = new Map<string, { open: number; click: number }>();
let members: Map<string, Set<string>>;

beforeAll(async () => {
  const ctx = createShopContext({ seed: 5, days: 120, end, partitions: 1 });
  const messages: object[] = [];
  for (let index = 0; index < CUSTOMERS; index++) {
    const { customer, truth, events } = simulateCustomer(ctx, index);
    const { emailOpenProb, emailClickProb } = truth.traits;
    hidden.set(customer._id, { open: emailOpenProb, click: emailOpenProb * emailClickProb });
    for (const e of events) {
      const event = SPEC_NAMES[e.type];
      // An ESP reports the opens it sees; privacy-proxy prefetches are the simulator's to know, not the ESP's.
      if (!event || e.props?.machineOpen === true) continue;
      const p = e.props as { messageId: string; campaignId: string; url?: string };
      messages.push({
        type: 'track',
        messageId: e.eventId,
        userId: customer._id,
        timestamp: e.ts.toISOString(),
        event,
        properties: { email_id: p.messageId, campaign_id: p.campaignId, ...(p.url ? { link_url: p.url } : {}) },
      });
    }
  }
  const app = buildApp({ database: database() });
  const key = (await createApiKey(database().models, { role: 'ingest', name: 'esp' })).key;
  for (let i = 0; i < messages.length; i += 2000) {
    const res = await request(app)
      .post('/v1/segment/batch')
      .auth(key, '')
      .send({ batch: messages.slice(i, i + 2000) });
    expect(res.body).toMatchObject({ rejected: [] });
  }
  const built = await runJob(
    buildFeaturesJob,
    { asOf: end.toISOString(), full: true },
    { database: database(), trigger: 'test' },
  );
  if (!built.ok || built.value.status !== 'succeeded')
    throw new Error(`build-features failed: ${JSON.stringify(built)}`);
  ({ members } = await evaluateRules(
    database(),
    Object.fromEntries(builtInSegments.filter((s) => TIERS.includes(s.key as never)).map((s) => [s.key, s.rule])),
    end,
  ));
}, 240_000);

describe('engagement tiers when the sends arrive as `Email Delivered`', () => {
  it('every tier has members, and each tier picks its true engagement level well above chance', () => {
    const everyone = [...hidden.keys()];
    // Each tier's own definition, applied to the hidden rates instead of the observed ones.
    const high = (t: { open: number; click: number }) => t.open >= 0.5 && t.click >= 0.1;
    const tiers = [
      { key: 'highly-engaged', truly: high },
      { key: 'moderately-engaged', truly: (t: { open: number; click: number }) => t.open >= 0.2 && !high(t) },
      { key: 'low-engagement', truly: (t: { open: number }) => t.open < 0.2 },
      { key: 're-engagement-needed', truly: (t: { open: number }) => t.open < 0.2 },
    ];
    const report = tiers.map(({ key, truly }) => {
      const list = [...members.get(key)!];
      const precision = list.filter((id) => truly(hidden.get(id)!)).length / list.length;
      const chance = everyone.filter((id) => truly(hidden.get(id)!)).length / everyone.length;
      return { key, members: list.length, precision: +precision.toFixed(3), chance: +chance.toFixed(3) };
    });
    console.table(report);
    for (const r of report) {
      expect(r.members, r.key).toBeGreaterThan(0);
      expect(r.precision, r.key).toBeGreaterThan(r.chance + 0.15);
    }
  });
});
