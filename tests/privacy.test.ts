import { decodeTimeline } from '../src/ingest/timeline/compact.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { flushTracking } from '../src/ingest/tracking/trackingBuffer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedShop } from '../data/generator/seedShop.js';
import assignSegmentsJob from '../jobs/assign-segments.js';
import buildFeaturesJob from '../jobs/build-features.js';
import buildRecommendationsJob from '../jobs/build-recommendations.js';
import dispatchJob from '../jobs/dispatch-campaigns.js';
import linkIdentitiesJob from '../jobs/link-identities.js';
import scoreCustomersJob from '../jobs/score-customers.js';
import trainChurnJob from '../jobs/train-churn.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { buildReports } from '../src/attribution/report.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { registerPrivacyCommands } from '../src/cli/commands/privacy.js';
import type { JobDefinition } from '../src/jobs/core/defineJob.js';
import { runJob } from '../src/jobs/runJob.js';
import { initBackend } from '../src/ml/backend.js';
import { hashedAddress } from '../src/privacy/addressHash.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';
import { withInProcessCli } from './helpers/inProcessCli.js';
import { useSmtpSink } from './helpers/smtpSink.js';

const database = useTestDatabase();
const { sink } = useSmtpSink();
const H = 3_600_000;
const D = 24 * H;
const END = new Date('2026-11-01T00:00:00Z');
const at = (ms: number) => new Date(END.getTime() + ms).toISOString();

/** An id whose hash keeps it out of every built-in flow's holdout, so dispatch mails them. */
function customerId(name: string): string {
  for (let i = 0; ; i++) {
    const id = `${name}-${i}`;
    if (
      ![
        'post-purchase',
        'welcome-website',
        'welcome-post-purchase',
        'abandoned-cart',
        'browse-abandonment',
        'win-back',
      ].some((f) => inHoldout(f, id, 0.1))
    )
      return id;
  }
}

interface Person {
  id: string;
  anonymousId: string;
  oldEmail: string;
  email: string;
}
const person = (name: string): Person => ({
  id: customerId(`privacy-${name}`),
  anonymousId: `anon-${name}-5d1c`,
  oldEmail: `${name}.old@mail.example`,
  email: `${name}@mail.example`,
});
const ana = person('ana');
const ben = person('ben');
const SHARED_DEVICE = 'anon-shared-device-9e2';
/** Every string that would identify Ana anywhere in the database. */
const needles = {
  ana: [ana.id, ana.anonymousId, ana.oldEmail, ana.email],
  ben: [ben.id, ben.anonymousId, ben.oldEmail, ben.email],
};

let app: ReturnType<typeof buildApp>;

let api: OpenApiClient;
let admin = { key: '', id: '' };
let marketer = '';
let modelsDir = '';
const asAdmin = (req: request.Test) => req.set('Authorization', `Bearer ${admin.key}`);

async function run(job: JobDefinition, options: Record<string, unknown>): Promise<Record<string, number>> {
  const outcome = await runJob(job, options, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  if (outcome.value.status !== 'succeeded') throw new Error(`${job.name}: ${outcome.value.error?.stack}`);
  return outcome.value.counts;
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  const res = await asAdmin(api.post('/v1/events')).send(events);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/**
 * One shopper's story, through the public API: browsing before login under an anonymous id, a
 * website signup with an address that then hard-bounces, a new address, a cart and an order.
 */
async function live(p: Person, products: string[]): Promise<void> {
  const [a, b] = products as [string, string];
  await send([
    {
      eventId: `${p.id}-e1`,
      type: 'product_viewed',
      anonymousId: p.anonymousId,
      timestamp: at(-3 * D),
      properties: { productId: a, price: 30, timeOnPageSec: 20 },
    },
    {
      eventId: `${p.id}-e2`,
      type: 'page_viewed',
      anonymousId: p.anonymousId,
      timestamp: at(-3 * D + 60_000),
      properties: { path: '/about' },
    },
  ]);
  await send([
    {
      eventId: `${p.id}-e3`,
      type: 'identify',
      customerId: p.id,
      anonymousId: p.anonymousId,
      timestamp: at(-3 * D + H),
      properties: {
        traits: { email: p.oldEmail, firstName: 'Ana-or-Ben', timezone: 'UTC', signupSource: 'website' },
        consent: { email: true },
      },
    },
  ]);
  await send([
    {
      eventId: `${p.id}-e4`,
      type: 'email_bounced',
      customerId: p.id,
      timestamp: at(-3 * D + 2 * H),
      properties: { bounceType: 'hard' },
    },
  ]);
  await send([
    {
      eventId: `${p.id}-e5`,
      type: 'identify',
      customerId: p.id,
      timestamp: at(-2 * D + 9 * H),
      properties: { traits: { email: p.email, signupSource: 'website' }, consent: { email: true } },
    },
    {
      eventId: `${p.id}-e6`,
      type: 'cart_item_added',
      customerId: p.id,
      anonymousId: p.anonymousId,
      timestamp: at(-2 * D + 9.5 * H),
      properties: { cartId: `${p.id}-cart`, productId: b, price: 45, quantity: 1 },
    },
    {
      eventId: `${p.id}-e7`,
      type: 'order_completed',
      customerId: p.id,
      timestamp: at(-2 * D + 10 * H),
      properties: {
        orderId: `${p.id}-order`,
        revenue: 75,
        items: [
          { productId: a, price: 30 },
          { productId: b, price: 45 },
        ],
      },
    },
  ]);
}

/**
 * One pass over every document of every collection in the database: for each group of needles,
 * the documents whose JSON holds one of them (lower-cased text), by collection.
 */
async function scanDatabase(
  groups: Record<string, string[]>,
): Promise<{ hits: Record<string, Map<string, string[]>>; collections: number; documents: number }> {
  const db = database().db;
  const hits = Object.fromEntries(Object.keys(groups).map((g) => [g, new Map<string, string[]>()]));
  const lower = Object.entries(groups).map(([g, needles]) => [g, needles.map((n) => n.toLowerCase())] as const);
  let documents = 0;
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of collections) {
    for await (const doc of db.collection(name).find({})) {
      documents++;
      // Timelines keep their events deflated: scan what they hold, not its compressed bytes.
      const readable = name === 'customer_timelines' ? { ...doc, events: decodeTimeline(doc.events) } : doc;
      const text = JSON.stringify(readable).toLowerCase();
      for (const [g, needles] of lower)
        if (needles.some((n) => text.includes(n))) hits[g]!.set(name, [...(hits[g]!.get(name) ?? []), text]);
    }
  }
  return { hits, collections: collections.length, documents };
}

/** Ben's documents, as comparable text: member pages reduced to his own rows (Ana's leave the same pages). */
function bensData(hits: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [name, docs] of hits) {
    for (const text of docs) {
      // Documents shared by everyone: only Ben's part of them (member rows, tracking examples) must stay as it was.
      if (name === 'segment_member_pages')
        for (const row of (JSON.parse(text) as { rows: { customerid: string }[] }).rows)
          if (row.customerid === ben.id) out.push(`${name} ${JSON.stringify(row)}`);
      if (name === 'tracking_days')
        for (const types of Object.values(JSON.parse(text).sources as Record<string, Record<string, unknown>>))
          for (const tally of Object.values(types) as { examples: Record<string, unknown[]> }[])
            for (const list of Object.values(tally.examples))
              for (const e of list) if (JSON.stringify(e).includes(ben.id)) out.push(`${name} ${JSON.stringify(e)}`);
      if (name !== 'segment_member_pages' && name !== 'tracking_days') out.push(`${name} ${text}`);
    }
  }
  return out.sort();
}

async function kpiSends(): Promise<Record<string, number>> {
  const { kpis } = await buildReports(database(), { from: new Date(END.getTime() - 10 * D), to: END });
  return Object.fromEntries(kpis.by.flow.map((r) => [r.key, r.sends]));
}

const figures: Record<string, unknown> = {};

beforeAll(async () => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-privacy-models-'));
  app = buildApp({ database: database() });
  api = await openApiClient(app);
  const created = await createApiKey(database().models, { role: 'admin', name: 'dpo', rateLimitPerMinute: 0 });
  admin = { key: created.key, id: created.id };
  marketer = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
  await initBackend();
  await seedShop(database(), { customers: 50, days: 200, seed: 5, end: END });
  const products = (
    await database()
      .models.Product.collection.find({}, { projection: { _id: 1 } })
      .limit(2)
      .toArray()
  ).map((d) => String(d._id));
  await live(ana, products);
  await live(ben, products);
  // A shared device: Ben logs in on it first, so its anonymous history is his, even once Ana uses it.
  await send([
    {
      eventId: 'shared-1',
      type: 'page_viewed',
      anonymousId: SHARED_DEVICE,
      timestamp: at(-4 * D),
      properties: { path: '/' },
    },
  ]);
  await send([
    {
      eventId: 'shared-2',
      type: 'page_viewed',
      customerId: ben.id,
      anonymousId: SHARED_DEVICE,
      timestamp: at(-4 * D + H),
      properties: { path: '/account' },
    },
  ]);
  await send([
    {
      eventId: 'shared-3',
      type: 'page_viewed',
      customerId: ana.id,
      anonymousId: SHARED_DEVICE,
      timestamp: at(-4 * D + 2 * H),
      properties: { path: '/sale' },
    },
  ]);

  // The real pipeline, so every derived collection holds something of theirs.
  await run(linkIdentitiesJob, {});
  await run(buildFeaturesJob, { asOf: at(-D), full: true });
  await run(buildFeaturesJob, { asOf: at(-D), snapshot: true });
  await run(trainChurnJob, { asOf: at(-60 * D), horizon: 45, epochs: 2, modelsDir });
  await run(scoreCustomersJob, {});
  await run(assignSegmentsJob, { asOf: at(-D) });
  await run(buildRecommendationsJob, {});
  await run(dispatchJob, { asOf: at(-2 * D + 10 * H + 5 * 60_000) });
  // A double opt-in confirmation (its message is filed under the address), and an open of a mail.
  expect(
    (await asAdmin(api.post('/v1/signups')).send({ customerId: ana.id, email: ana.email, source: 'website' })).body
      .status,
  ).toBe('confirmation_sent');
  const raw = sink()
    .received()
    .filter((m) => m.to.includes(ana.email))
    .map((m) => m.raw.replace(/=\r\n/g, '').replace(/=3D/g, '='))
    .join('\n');
  const pixel = /https:\/\/mail\.shop\.test\/o\/([\w.-]+)/.exec(raw)![1]!;
  // A person's browser: a missing user agent would count as a machine open.
  expect(
    (
      await api
        .get(`/o/${pixel}`)
        .set(
          'User-Agent',
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15',
        )
    ).status,
  ).toBe(200);
}, 240_000);

afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

describe('privacy: export and erasure of one person', () => {
  it('exports everything held about Ana, from every collection, to admins only', async () => {
    expect(
      (await api.get(`/v1/privacy/customers/${ana.id}/export`).set('Authorization', `Bearer ${marketer}`)).status,
    ).toBe(403);
    expect((await asAdmin(api.get('/v1/privacy/customers/nobody-at-all/export'))).status).toBe(404);

    const res = await asAdmin(api.get(`/v1/privacy/customers/${ana.id}/export`));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const doc = res.body;
    expect(doc).toMatchObject({
      format: 'breadcrumb-privacy-export/1',
      customerId: ana.id,
      customer: { _id: ana.id, email: ana.email, consent: { email: { status: 'granted' } } },
    });
    // Not the shared device: Ben's link came first.
    expect(doc.identifiers.anonymousIds).toEqual([ana.anonymousId]);
    expect(doc.identifiers.emails).toEqual([ana.email, ana.oldEmail].sort());
    expect(doc.identities).toEqual([expect.objectContaining({ _id: ana.anonymousId, customerId: ana.id })]);
    expect(doc.suppressions).toEqual([expect.objectContaining({ address: ana.oldEmail, reason: 'bounce' })]);
    expect(doc.features).toMatchObject({ _id: ana.id, values: { orders: 1 } });
    expect(doc.featureSnapshots).toEqual([expect.objectContaining({ customerId: ana.id })]);
    expect(doc.scores).toMatchObject({ _id: ana.id, churnRisk: expect.any(Number) });
    expect(doc.segments.state.current.length).toBeGreaterThan(0);
    expect(doc.segments.memberRows.length).toBeGreaterThanOrEqual(doc.segments.state.current.length);
    expect(doc.segments.memberRows[0].row).toMatchObject({ customerId: ana.id, email: ana.email });
    expect(doc.enrollments.map((e: { flowId: string }) => e.flowId)).toEqual(
      expect.arrayContaining(['welcome-website', 'post-purchase']),
    );
    const messages = doc.messages as { to: string; subject: string; stepId: string; opens: number }[];
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(messages.every((m) => m.to === ana.email && m.subject)).toBe(true);
    expect(messages.some((m) => m.opens === 1)).toBe(true);
    expect(doc.recommendations).toMatchObject({ _id: ana.id });
    const types = new Set((doc.events as { type: string }[]).map((e) => e.type));
    for (const t of [
      'product_viewed',
      'page_viewed',
      'identify',
      'email_bounced',
      'order_completed',
      'email_sent',
      'email_opened',
      'segment_entered',
    ])
      expect(types, t).toContain(t);
    // Her anonymous events before login, as received and as attributed by link-identities.
    const anonymous = (doc.events as { customerId?: string; anonymousId?: string }[]).filter(
      (e) => e.anonymousId === ana.anonymousId,
    );
    expect(anonymous.some((e) => e.customerId === undefined)).toBe(true);
    expect(anonymous.some((e) => e.customerId === ana.id)).toBe(true);
    const inDb = await database().models.Event.collection.countDocuments({
      $or: [{ customerId: ana.id }, { anonymousId: ana.anonymousId }],
    });
    expect(doc.events).toHaveLength(inDb);
    expect(doc.counts).toMatchObject({ events: inDb, messages: messages.length, customers: 1 });
    expect(JSON.stringify(doc)).not.toContain(ben.id);

    const audit = await database().models.AuditEntry.collection.find({ action: 'privacy.export' }).toArray();
    expect(audit).toEqual([
      expect.objectContaining({
        actorType: 'api_key',
        actorId: admin.id,
        counts: expect.objectContaining({ events: inDb, complete: 1 }),
      }),
    ]);
    figures.exported = `${inDb} events + ${Object.entries(doc.counts).filter(([k, n]) => k !== 'events' && (n as number) > 0).length} other sections, ${res.text.length} bytes`;
  });

  it('erases Ana: nothing of hers is left in any collection but hashed suppressions; Ben and the reports are untouched', async () => {
    // Counters kept in memory are written within seconds: written now, so before and after compare written state.
    await flushTracking(database(), { wait: true });
    const before = await scanDatabase(needles);
    // Ana has something in every collection that holds per-person data (and in fold_stats while
    // hers were among the last timelines folded in her partition: it names them until the next fold).
    expect([...before.hits.ana!.keys()].filter((c) => c !== 'fold_stats').sort()).toEqual([
      'customer_recos',
      'customer_segments',
      'customer_timelines',
      'customers',
      'enrollments',
      'events',
      'feature_snapshots',
      'features',
      'identities',
      'messages',
      'scores',
      'segment_member_pages',
      'suppressions',
      'timeline_changes',
      'tracking_days',
    ]);
    const benBefore = bensData(before.hits.ben!);
    const sendsBefore = await kpiSends();
    expect(Object.values(sendsBefore).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    expect(
      (await api.delete(`/v1/privacy/customers/${ana.id}`).set('Authorization', `Bearer ${marketer}`)).status,
    ).toBe(403);
    const res = await asAdmin(api.delete(`/v1/privacy/customers/${ana.id}`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customerId: ana.id, erased: true });
    const counts = res.body.counts as Record<string, number>;
    expect(counts).toMatchObject({
      customers: 1,
      features: 1,
      scores: 1,
      customerSegments: 1,
      recommendations: 1,
      identities: 1,
      suppressionHashes: 2,
      suppressions: 1,
    });
    for (const k of ['events', 'enrollments', 'messagesAnonymised', 'memberPages', 'featureSnapshots'])
      expect(counts[k], k).toBeGreaterThan(0);

    await flushTracking(database(), { wait: true });
    const after = await scanDatabase(needles);
    expect(Object.fromEntries(after.hits.ana!)).toEqual({});
    const hashes = await database()
      .models.Suppression.collection.find({ address: { $in: [hashedAddress(ana.email), hashedAddress(ana.oldEmail)] } })
      .toArray();
    expect(hashes.map((s) => [s.reason, s.customerId])).toEqual([
      ['erasure', undefined],
      ['erasure', undefined],
    ]);

    const anonymised = await database().models.Message.collection.find({ customerId: 'erased' }).toArray();
    expect(anonymised).toHaveLength(counts.messagesAnonymised!);
    for (const m of anonymised) {
      expect(m.to).toBeUndefined();
      expect(m.subject).toBeUndefined();
      expect(m.links).toBeUndefined();
      expect(m).toMatchObject({ status: expect.any(String), stepId: expect.any(String), kind: expect.any(String) });
    }
    expect(anonymised.filter((m) => m.flowId && m.sentAt).length).toBeGreaterThan(0);

    expect(bensData(after.hits.ben!)).toEqual(benBefore);
    // The shared device stays Ben's: its link and its anonymous history; only Ana's own event on it went.
    expect(await database().models.Identity.collection.findOne({ _id: SHARED_DEVICE as never })).toMatchObject({
      customerId: ben.id,
    });
    expect(
      (await database().models.Event.collection.find({ anonymousId: SHARED_DEVICE }).toArray())
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(['shared-1', 'shared-1@' + ben.id, 'shared-2']);
    const sendsAfter = await kpiSends();
    expect(sendsAfter).toEqual(sendsBefore);

    const again = await asAdmin(api.delete(`/v1/privacy/customers/${ana.id}`));
    expect(again.status).toBe(404);
    expect((await asAdmin(api.get(`/v1/privacy/customers/${ana.id}/export`))).status).toBe(404);
    const audit = await database().models.AuditEntry.collection.find({ action: 'privacy.erase' }).toArray();
    expect(audit).toEqual([expect.objectContaining({ actorType: 'api_key', actorId: admin.id, at: expect.any(Date) })]);

    Object.assign(figures, {
      erased: Object.values(counts).reduce((a, b) => a + b, 0) - counts.suppressionHashes!,
      scanned: `${after.collections} collections / ${after.documents} documents`,
      remaining: after.hits.ana!.size,
      benDocs: benBefore.length,
      sends: `${Object.values(sendsBefore).reduce((a, b) => a + b, 0)}/${Object.values(sendsAfter).reduce((a, b) => a + b, 0)}`,
    });
  });

  it('never mails her address again: a new signup is refused and a new identify is suppressed at send time', async () => {
    const mailsBefore = sink()
      .received()
      .filter((m) => m.to.includes(ana.email)).length;
    const refused = await asAdmin(api.post('/v1/signups')).send({
      customerId: 'returning-ana',
      email: ana.email,
      source: 'website',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/cannot be mailed \(suppressed\)/);

    const returning = customerId('privacy-returning');
    await send([
      {
        eventId: 'returning-1',
        type: 'identify',
        customerId: returning,
        timestamp: at(-D + 10 * H),
        properties: { traits: { email: ana.email.toUpperCase(), signupSource: 'website' }, consent: { email: true } },
      },
    ]);
    await send([
      {
        eventId: 'returning-2',
        type: 'order_completed',
        customerId: returning,
        timestamp: at(-D + 10 * H + 60_000),
        properties: { orderId: 'returning-o', revenue: 20 },
      },
    ]);
    await run(dispatchJob, { asOf: at(-D + 10 * H + 5 * 60_000) });
    const blocked = await database().models.Message.collection.find({ customerId: returning }).toArray();
    expect(blocked.length).toBeGreaterThanOrEqual(2);
    expect(blocked.map((m) => m.status)).toEqual(blocked.map(() => 'suppressed'));
    const mailsAfter = sink()
      .received()
      .filter((m) => m.to.includes(ana.email)).length;
    expect(mailsAfter).toBe(mailsBefore);
    figures.reMailed = `${mailsAfter - mailsBefore} of ${blocked.length} due`;
  });

  it('works from the command line: export to stdout, erase --json, audited as the operating-system user', async () => {
    // The commands as `breadcrumb privacy …` runs them, against this file's database, with stdout captured.
    await withInProcessCli(database(), registerPrivacyCommands, 'privacy', async (cli) => {
      const exported = JSON.parse(await cli('export', ben.id));
      expect(exported).toMatchObject({
        customerId: ben.id,
        customer: { email: ben.email },
        identifiers: { anonymousIds: [ben.anonymousId, SHARED_DEVICE].sort() },
      });
      expect(exported.events.length).toBe(exported.counts.events);
      const erased = JSON.parse(await cli('erase', ben.id, '--json'));
      expect(erased).toMatchObject({ customerId: ben.id, erased: true, counts: { customers: 1 } });
      await expect(cli('erase', ben.id)).rejects.toThrow(`nothing is held about customer ${ben.id}`);
      const audit = await database()
        .models.AuditEntry.collection.find({ action: 'privacy.erase', actorType: 'cli' })
        .toArray();
      expect(audit).toEqual([expect.objectContaining({ actorId: os.userInfo().username, counts: erased.counts })]);
      expect(await database().models.Customer.collection.findOne({ _id: ben.id as never })).toBeNull();
    });
    console.log(
      `[reliability] privacy: export ${figures.exported}; erasure removed/anonymised ${figures.erased} documents, scan of ${figures.scanned} found ${figures.remaining} traces (2 hashed suppressions kept); other customer ${figures.benDocs} documents unchanged; report sends before/after ${figures.sends}; re-signup mails ${figures.reMailed}`,
    );
  });
});
