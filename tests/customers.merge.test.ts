import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import dispatchJob from '../jobs/dispatch-campaigns.js';
import mergeDuplicatesJob from '../jobs/merge-duplicates.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { registerCustomerCommands } from '../src/cli/commands/customers.js';
import { config } from '../src/config.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { readTimeline } from '../src/ingest/timeline/timelineStore.js';
import { partitionOf } from '../src/db/partition.js';
import type { JobDefinition } from '../src/jobs/core/defineJob.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { withInProcessCli } from './helpers/inProcessCli.js';
import { useSmtpSink } from './helpers/smtpSink.js';

const database = useTestDatabase();
const { sink } = useSmtpSink();

/** An id whose hash keeps it out of the welcome flow's holdout, so dispatch mails them. */
function customerId(name: string): string {
  for (let i = 0; ; i++) if (!inHoldout('welcome-website', `${name}-${i}`, 0.1)) return `${name}-${i}`;
}

let n = 0;
async function send(customer: string, type: string, iso: string, properties: Record<string, unknown> = {}) {
  const event = eventSchema.parse({ eventId: `m-${++n}`, type, customerId: customer, timestamp: iso, properties });
  await storeEvents(database(), [event], 'api');
}

const order = (customer: string, iso: string, revenue: number) =>
  send(customer, 'order_completed', iso, {
    orderId: `o-${++n}`,
    revenue,
    items: [{ productId: 'p1', price: revenue }],
  });

async function run(job: JobDefinition, options: Record<string, unknown> = {}) {
  const outcome = await runJob(job, options, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  expect(outcome.value.error?.message).toBeUndefined();
  return outcome.value;
}

const customerDoc = (id: string) => database().collections.customers.findOne({ _id: id });
const features = async (id: string) =>
  (await database().collections.features.findOne({ _id: id }))?.values as Record<string, number> | undefined;
const eventIdsOf = async (id: string) =>
  (await readTimeline(database(), id, partitionOf(id, config().PARTITIONS))).events.map((e) => e.l ?? e.i);

let app: ReturnType<typeof buildApp>;
let admin: string;
let marketer: string;

beforeAll(async () => {
  app = buildApp({ database: database() });
  admin = (await createApiKey(database().models, { role: 'admin', name: 'admin', rateLimitPerMinute: 0 })).key;
  marketer = (await createApiKey(database().models, { role: 'marketer', name: 'm', rateLimitPerMinute: 0 })).key;
});

describe('duplicate customers', () => {
  const jane = customerId('jane');
  const janeShop = customerId('jane-shop');
  let mergeId: string;

  it('finds two ids with one normalised email (a dry run lists them), and merges them into one customer', async () => {
    await send(jane, 'identify', '2026-03-01T10:00:00Z', {
      traits: { email: 'jane.doe@gmail.com', firstName: 'Jane' },
    });
    await order(jane, '2026-03-02T10:00:00Z', 40);
    await order(jane, '2026-04-02T10:00:00Z', 60);
    await send(janeShop, 'identify', '2026-05-01T10:00:00Z', { traits: { email: 'JaneDoe+shop@GMAIL.com' } });
    await order(janeShop, '2026-05-02T10:00:00Z', 25);
    // She unsubscribed under the shop's id; then granted consent again under her first one.
    await send(janeShop, 'email_unsubscribed', '2026-05-03T10:00:00Z');
    await send(jane, 'identify', '2026-06-01T10:00:00Z', { traits: {}, consent: { email: true } });
    expect((await features(jane))?.orders).toBe(2);
    expect((await customerDoc(jane))?.consent?.email?.status).toBe('granted');

    const dry = await run(mergeDuplicatesJob, { dryRun: true });
    expect(dry.counts).toMatchObject({ pairs: 1, merged: 0 });
    expect(dry.notes).toEqual([`would merge ${janeShop} into ${jane} (email: janedoe@gmail.com)`]);
    expect(await customerDoc(janeShop)).not.toBeNull();

    const real = await run(mergeDuplicatesJob);
    expect(real.counts).toMatchObject({ pairs: 1, merged: 1, refused: 0 });
    expect(await customerDoc(janeShop)).toBeNull();
    expect(await database().collections.customerTimelines.findOne({ _id: janeShop })).toBeNull();
    // One history: the survivor's timeline holds both ids' events, and features count all three orders.
    const ids = await eventIdsOf(jane);
    expect(ids.filter((id) => id.startsWith('m-'))).toHaveLength(7);
    expect((await features(jane))?.orders).toBe(3);
    // A second run finds nothing more to do.
    expect((await run(mergeDuplicatesJob)).counts).toMatchObject({ pairs: 0, merged: 0 });
  });

  it('keeps the strictest consent: the unsubscribe under either id holds for the merged person', async () => {
    const doc = await customerDoc(jane);
    expect(doc?.consent?.email).toMatchObject({ status: 'denied', source: 'merge' });
    const suppression = await database().models.Suppression.collection.findOne({ address: 'janedoe+shop@gmail.com' });
    expect(suppression).toMatchObject({ reason: 'unsubscribe' });
    // A statement she makes after the merge is hers to make.
    await send(jane, 'identify', new Date(Date.now() + 1000).toISOString(), { traits: {}, consent: { email: true } });
    expect((await customerDoc(jane))?.consent?.email?.status).toBe('granted');
  });

  it('shows the merge on both ids’ profiles, and files the merged id’s new events under the survivor', async () => {
    const profile = await request(app).get(`/v1/customers/${jane}`).set('Authorization', `Bearer ${marketer}`);
    expect(profile.status).toBe(200);
    expect(profile.body.merges).toHaveLength(1);
    const [record] = profile.body.merges;
    mergeId = record.id;
    expect(record).toMatchObject({
      survivor: jane,
      merged: janeShop,
      reason: 'email',
      email: 'janedoe@gmail.com',
      status: 'done',
      by: 'job:merge-duplicates',
      moved: { events: 4, consent: ['email'], derived: { customers: 1, features: 1, timelines: 1 } },
    });
    expect(new Date(record.undoableUntil).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const byMergedId = await request(app).get(`/v1/customers/${janeShop}`).set('Authorization', `Bearer ${marketer}`);
    expect(byMergedId.body).toMatchObject({ customerId: jane, merges: [{ id: mergeId }] });

    await order(janeShop, '2026-07-01T10:00:00Z', 30);
    expect(await customerDoc(janeShop)).toBeNull();
    expect((await features(jane))?.orders).toBe(4);
  });

  it('is undone only by an admin, giving both ids their separate histories back', async () => {
    const refused = await request(app).post(`/v1/merges/${mergeId}/undo`).set('Authorization', `Bearer ${marketer}`);
    expect(refused.status).toBe(403);
    const undone = await request(app).post(`/v1/merges/${mergeId}/undo`).set('Authorization', `Bearer ${admin}`);
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({
      status: 'undone',
      undoableUntil: null,
      undoneBy: expect.stringMatching(/^api_key:/),
    });

    expect(await customerDoc(janeShop)).toMatchObject({ email: 'janedoe+shop@gmail.com' });
    expect((await features(janeShop))?.orders).toBe(1);
    // The order sent under the merged id after the merge was filed under the survivor and stays there.
    expect((await features(jane))?.orders).toBe(3);
    expect((await eventIdsOf(janeShop)).every((id) => !id.includes('@'))).toBe(true);
    expect((await customerDoc(jane))?.consent?.email?.status).toBe('granted');
    expect(await database().collections.events.countDocuments({ mergeId } as never)).toBe(0);
    // The job does not merge again what an admin separated.
    expect((await run(mergeDuplicatesJob)).counts).toMatchObject({ pairs: 0, merged: 0 });
    const again = await request(app).post(`/v1/merges/${mergeId}/undo`).set('Authorization', `Bearer ${admin}`);
    expect(again.status).toBe(409);
  });

  it('merges ids an explicit link event names (Segment alias), the linked id into the one logged in', async () => {
    const guest = customerId('guest');
    const account = customerId('account');
    await send(guest, 'identify', '2026-03-01T10:00:00Z', { traits: { email: 'guest@example.com' } });
    await order(guest, '2026-03-02T10:00:00Z', 10);
    await send(account, 'identify', '2026-03-05T10:00:00Z', { traits: { email: 'account@example.com' } });
    const alias = await request(app)
      .post('/v1/segment/alias')
      .set('Authorization', `Bearer ${admin}`)
      .send({ type: 'alias', previousId: guest, userId: account, timestamp: '2026-03-05T10:01:00Z' });
    expect(alias.status).toBeLessThan(300);
    expect((await run(mergeDuplicatesJob)).counts).toMatchObject({ merged: 1 });
    expect(await customerDoc(guest)).toBeNull();
    expect((await features(account))?.orders).toBe(1);
    const { body } = await request(app).get(`/v1/customers/${account}`).set('Authorization', `Bearer ${admin}`);
    expect(body.merges).toEqual([expect.objectContaining({ merged: guest, survivor: account, reason: 'link' })]);
  });
});

describe('a flow never mails the person twice because they had two ids', () => {
  it('continues one welcome enrolment after the merge, one mail per step', async () => {
    const pat = customerId('pat');
    const patShop = customerId('pat-shop');
    for (const id of [pat, patShop])
      await send(id, 'identify', '2026-02-02T09:00:00Z', {
        traits: { email: 'pat@example.com', signupSource: 'website', firstName: 'Pat' },
        consent: { email: true },
      });
    await run(dispatchJob, { asOf: '2026-02-02T09:01:00Z' });
    const mails = () =>
      sink()
        .received()
        .filter((m) => m.to.includes('pat@example.com')).length;
    // Before the merge they were two customers, each welcomed.
    expect(mails()).toBe(2);

    const merged = await request(app)
      .post('/v1/merges')
      .set('Authorization', `Bearer ${admin}`)
      .send({ merged: patShop, survivor: pat });
    expect(merged.status).toBe(201);
    expect(merged.body).toMatchObject({ reason: 'manual', moved: { enrollments: { moved: 0, ended: 1 } } });
    const enrollments = await database().collections.enrollments.find({ flowId: 'welcome-website' }).toArray();
    expect(enrollments.filter((e) => e.customerId === patShop)).toEqual([
      expect.objectContaining({ status: 'exited', exitReason: 'merged' }),
    ]);

    for (let day = 3; day <= 24; day++)
      await run(dispatchJob, { asOf: `2026-02-${String(day).padStart(2, '0')}T12:00:00Z` });
    const templates = (
      await database()
        .collections.messages.find({ customerId: pat, flowId: 'welcome-website', status: 'sent' })
        .toArray()
    ).map((m) => m.template);
    expect(templates.sort()).toEqual(
      ['welcome_brand', 'welcome_brand', 'welcome_bestsellers', 'welcome_discount', 'welcome_social_proof'].sort(),
    );
    // Three steps after the merge, one mail each (the two before it were the two ids' welcomes).
    expect(mails()).toBe(5);
    expect(await database().collections.enrollments.findOne({ _id: `welcome-website|${pat}|` })).toMatchObject({
      status: 'completed',
    });
  });
});

describe('from the command line', () => {
  it('merges, lists and unmerges (`breadcrumb customers …`)', async () => {
    const a = customerId('cli-a');
    const b = customerId('cli-b');
    await send(a, 'identify', '2026-03-01T10:00:00Z', { traits: { email: 'cli@example.com' } });
    await send(b, 'identify', '2026-03-02T10:00:00Z', { traits: { email: 'other@example.com' } });
    await withInProcessCli(database(), registerCustomerCommands, 'customers', async (cli) => {
      const merge = JSON.parse(await cli('merge', b, a, '--json'));
      expect(merge).toMatchObject({ survivor: a, merged: b, status: 'done', by: expect.stringMatching(/^cli:/) });
      expect(JSON.parse(await cli('merges', b, '--json'))).toEqual([expect.objectContaining({ id: merge.id })]);
      expect(JSON.parse(await cli('unmerge', merge.id, '--json'))).toMatchObject({ status: 'undone' });
      await expect(cli('unmerge', merge.id)).rejects.toThrow(`merge ${merge.id} is undone`);
      expect(await customerDoc(b)).not.toBeNull();
    });
  });
});
