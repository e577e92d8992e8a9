import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Document } from 'mongodb';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_SHOP_END, seedShop } from '../data/generator/seedShop.js';
import assignSegmentsJob from '../jobs/assign-segments.js';
import buildFeaturesJob from '../jobs/build-features.js';
import dispatchJob from '../jobs/dispatch-campaigns.js';
import housekeepingJob from '../jobs/housekeeping.js';
import scoreCustomersJob from '../jobs/score-customers.js';
import trainChurnJob from '../jobs/train-churn.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { initBackend } from '../src/ml/backend.js';
import { activeModel } from '../src/ml/registry.js';
import {
  memberCount,
  pageIdsOf,
  readMembers,
  sweepOrphanPages,
  type MemberPagesIndex,
} from '../src/segments/membership/memberPages.js';
import { useTestDatabase } from './helpers/db.js';
import { mailEnv, useSmtpSink } from './helpers/smtpSink.js';
import { killedRunRecord, killMidWork, report, runToEnd, type KilledRun } from './reliability/kill.js';

/**
 * Issue #8 item 3: each pipeline job is SIGKILLed in the middle of its work (partial state is
 * observed before the rerun), then a new worker runs it again; what it leaves must equal a clean
 * run's, with nothing lost or doubled, and the killed run's record must not stay "running".
 */

const pct = (part: number, whole: number) => `${Math.round((100 * part) / whole)}%`;

async function expectKilledMidWork(killed: KilledRun): Promise<void> {
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  expect(killed.midWork, `the job did not reach the middle of its work in ${killed.ms} ms`).toBe(true);
}

/** After the new worker's run: the killed run is recorded as abandoned, not running. */
async function expectSettled(database: Parameters<typeof killedRunRecord>[0], killed: KilledRun): Promise<string> {
  const record = await killedRunRecord(database, killed.pid);
  expect(record).toMatchObject({ status: 'failed', error: { type: 'Abandoned' } });
  return `${String(record!.status)} (${String(record!.error.type)})`;
}

describe('pipeline jobs killed mid-work', () => {
  const database = useTestDatabase();
  const asOf = '2026-10-01T00:00:00Z';
  let modelsDir: string;
  let customers = 0;

  beforeAll(async () => {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-kill-models-'));
    await initBackend();
    customers = (await seedShop(database(), { customers: 150, days: 150, seed: 8, end: FIXED_SHOP_END })).customers;
  }, 120_000);
  afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

  const featureValues = (docs: Document[]) =>
    new Map(
      docs.map((d) => [String(d._id), { partition: d.partition, asOf: d.asOf, version: d.version, values: d.values }]),
    );

  it('build-features: a run as of the same date after the kill completes it; features equal a clean run', async () => {
    const db = database();
    const { Feature, JobRun, RunningJob } = db.models;
    await runToEnd(db, buildFeaturesJob, { asOf, full: true });
    const clean = featureValues(await Feature.collection.find({}).toArray());
    expect(clean.size).toBeGreaterThan(customers / 2);

    // Killed as soon as its run is recorded and registered as running (what lets the next run tell
    // it died): it reads timelines and writes features in one pass, too fast to catch later.
    const t0 = new Date();
    const refreshed = () => Feature.collection.countDocuments({ computedAt: { $gte: t0 } });
    const killed = await killMidWork(db, 'build-features', ['--as-of', asOf, '--full'], {
      midWork: async () =>
        (await JobRun.collection.countDocuments({
          job: 'build-features',
          status: 'running',
          startedAt: { $gte: t0 },
        })) > 0 && (await RunningJob.collection.countDocuments({ job: 'build-features' })) > 0,
      pollMs: 5,
    });
    await expectKilledMidWork(killed);
    const atKill = await refreshed();
    expect(await killedRunRecord(db, killed.pid)).toMatchObject({ status: 'running' });

    const counts = await runToEnd(db, buildFeaturesJob, { asOf, full: true });
    const status = await expectSettled(db, killed);
    const after = await Feature.collection.find({}).toArray();
    expect(after).toHaveLength(clean.size);
    expect(after.filter((d) => !(d.computedAt >= t0)).map((d) => d._id)).toEqual([]);
    expect(featureValues(after)).toEqual(clean);
    report(
      'worker killed: build-features',
      `killed ${killed.ms} ms after start with ${atKill}/${clean.size} customers refreshed; the next run recomputed ${counts.customers} customers from their timelines: ${after.length}/${clean.size}, 0 duplicates, equal to clean run; killed run's record ${status}`,
    );
  }, 180_000);

  it('score-customers: every customer scored once with the active model, as a clean run scores', async () => {
    const db = database();
    const { Feature, Score } = db.models;
    await runToEnd(db, trainChurnJob, { asOf: '2026-07-01', horizon: 60, epochs: 3, modelsDir });
    const version = (await activeModel(db, 'churn'))!.version;
    // More customers than the shop has, so the scores are written in several chunks: copies of its features.
    const base = await Feature.collection.find({}).toArray();
    const copies = Array.from({ length: Math.ceil(2500 / base.length) }, (_, k) =>
      base.map((d) => ({
        ...d,
        _id: `${String(d._id)}~${k}`,
        partition: partitionOf(`${String(d._id)}~${k}`, config().PARTITIONS),
      })),
    ).flat();
    await Feature.collection.insertMany(copies as never[]);
    const N = base.length + copies.length;
    await runToEnd(db, scoreCustomersJob, {});
    const scoreOf = (d: Document) => ({
      churnRisk: d.churnRisk,
      drivers: d.drivers,
      modelVersions: d.modelVersions,
      expectedNextOrderAt: d.expectedNextOrderAt,
    });
    const clean = new Map((await Score.collection.find({}).toArray()).map((d) => [String(d._id), scoreOf(d)]));
    expect(clean.size).toBe(N);

    await Score.collection.deleteMany({});
    const killed = await killMidWork(db, 'score-customers', [], {
      midWork: async () => (await db.estimatedCount('scores')) > 0,
      pollMs: 10,
    });
    await expectKilledMidWork(killed);
    const atKill = await Score.collection.countDocuments({});
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(N);

    const counts = await runToEnd(db, scoreCustomersJob, {});
    const status = await expectSettled(db, killed);
    const after = await Score.collection.find({}).toArray();
    expect(after).toHaveLength(N);
    expect(after.filter((d) => d.modelVersions?.churn !== version).length).toBe(0);
    expect(new Map(after.map((d) => [String(d._id), scoreOf(d)]))).toEqual(clean);
    report(
      'worker killed: score-customers',
      `killed at ${pct(atKill, N)} (${atKill}/${N} scores written, ${killed.ms} ms after start); new run scored ${counts.customers}: ${after.length}/${N} customers scored once with churn ${version}, equal to clean run; killed run's record ${status}`,
    );
    // The copies served their purpose; segments are evaluated over the shop's own customers.
    const ids = copies.map((c) => c._id);
    await Feature.collection.deleteMany({ _id: { $in: ids as never[] } });
    await Score.collection.deleteMany({ _id: { $in: ids as never[] } });
  }, 180_000);

  it('assign-segments: state, member pages, daily counts and events agree with each other and with a clean run', async () => {
    const db = database();
    const { CustomerSegments, Segment, SegmentCount, SegmentMemberPage, Event } = db.models;
    const membershipTypes = { $in: ['segment_entered', 'segment_exited'] };
    const snapshot = async () => {
      const state = (await CustomerSegments.collection.find({}).toArray())
        .map(({ updatedAt: _, ...d }) => d)
        .sort((a, b) => String(a._id).localeCompare(String(b._id)));
      const counts = (await SegmentCount.collection.find({}).toArray())
        .map((c) => [c._id, c.size, c.entered, c.exited])
        .sort();
      const members: Record<string, string[]> = {};
      for (const s of await Segment.collection.find({}).toArray()) {
        const rows: string[] = [];
        const index = s.memberPages as MemberPagesIndex | undefined;
        const read = await readMembers(
          db,
          { id: String(s._id), index, partitions: config().PARTITIONS },
          null,
          Infinity,
          (r) => void rows.push(r.customerId),
        );
        expect(read.ok).toBe(true);
        // the pages, the index's count and the segment's count agree; nobody twice
        expect(new Set(rows).size).toBe(rows.length);
        expect(memberCount(index)).toBe(rows.length);
        expect(s.memberCount).toBe(rows.length);
        members[String(s._id)] = rows.sort();
      }
      const events = (await Event.collection.find({ type: membershipTypes }, { projection: { eventId: 1 } }).toArray())
        .map((e) => String(e.eventId))
        .sort();
      // the state and the member pages name the same members
      const fromState: Record<string, string[]> = Object.fromEntries(Object.keys(members).map((k) => [k, []]));
      for (const d of state)
        for (const stay of d.current as { segmentId: string }[]) fromState[stay.segmentId]?.push(String(d._id));
      for (const list of Object.values(fromState)) list.sort();
      expect(fromState).toEqual(members);
      return { state, counts, members, events };
    };
    await runToEnd(db, assignSegmentsJob, { asOf });
    const clean = await snapshot();
    const stays = clean.state.reduce((n, d) => n + (d.current as unknown[]).length, 0);
    expect(stays).toBeGreaterThan(0);

    // From scratch again: the killed run is the first to assign anyone.
    await Promise.all(
      [CustomerSegments, SegmentCount, SegmentMemberPage, Segment].map((m) => m.collection.deleteMany({})),
    );
    await Event.collection.deleteMany({ type: membershipTypes });
    const killed = await killMidWork(db, 'assign-segments', ['--as-of', asOf], {
      midWork: async () => (await CustomerSegments.collection.countDocuments({})) > 0,
    });
    await expectKilledMidWork(killed);
    const atKill = await CustomerSegments.collection.countDocuments({});
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(clean.state.length);

    await runToEnd(db, assignSegmentsJob, { asOf });
    const status = await expectSettled(db, killed);
    const after = await snapshot();
    expect(after).toEqual(clean);

    // The killed run's pages, which no segment points at, are what housekeeping sweeps: exactly
    // those go, and every page a segment points at stays.
    const referenced = (await Segment.collection.find({}).toArray()).flatMap((s) =>
      pageIdsOf(String(s._id), s.memberPages as MemberPagesIndex | undefined),
    );
    const pages = await SegmentMemberPage.collection.countDocuments({});
    const orphans = await sweepOrphanPages(db, new Date());
    expect(orphans).toBe(pages - referenced.length);
    expect(
      (await SegmentMemberPage.collection.find({}, { projection: { _id: 1 } }).toArray())
        .map((p) => String(p._id))
        .sort(),
    ).toEqual(referenced.sort());
    report(
      'worker killed: assign-segments',
      `killed at ${pct(atKill, clean.state.length)} (${atKill}/${clean.state.length} customers' memberships stored, ${killed.ms} ms after start); after new run ${stays} stays in ${Object.keys(after.members).length} segments: state = member pages = daily counts = clean run, 0 duplicate / 0 lost members, ${after.events.length} membership events once each, ${orphans} orphaned member pages swept; killed run's record ${status}`,
    );
  }, 180_000);
});

describe('dispatch-campaigns killed mid-send', () => {
  const database = useTestDatabase();
  const { sink, outbox } = useSmtpSink();
  const BUYERS = 150;
  const asOf = '2026-03-02T12:01:00Z';
  const buyers: string[] = [];
  for (let i = 0; buyers.length < BUYERS; i++) if (!inHoldout('post-purchase', `kb-${i}`, 0.05)) buyers.push(`kb-${i}`);

  beforeAll(async () => {
    const events = buyers.flatMap((b, i) => [
      {
        eventId: `id-${i}`,
        type: 'identify',
        customerId: b,
        timestamp: '2026-01-01T00:00:00Z',
        properties: { traits: { email: `${b}@example.com` }, consent: { email: true } },
      },
      {
        eventId: `o-${i}`,
        type: 'order_completed',
        customerId: b,
        timestamp: '2026-03-02T12:00:00Z',
        properties: { orderId: `o-${b}`, revenue: 30, items: [{ productId: 'p1', price: 30 }] },
      },
    ]);
    await storeEvents(
      database(),
      events.map((e) => eventSchema.parse(e)),
      'api',
    );
  }, 120_000);

  const toBuyers = () =>
    sink()
      .received()
      .filter((m) => m.to.some((t) => t.startsWith('kb-')));

  it('delivers every message exactly once at the SMTP server after a SIGKILL and a rerun', async () => {
    // A rate limit stretches the send phase so the kill lands in the middle of it.
    const killed = await killMidWork(database(), 'dispatch-campaigns', ['--as-of', asOf, '--outbox', outbox], {
      env: { ...mailEnv, SMTP_URL: sink().url, SMTP_RATE_PER_SECOND: '60' },
      midWork: () => toBuyers().length >= 30,
    });
    await expectKilledMidWork(killed);
    const atKill = toBuyers().length;
    expect(atKill).toBeLessThan(BUYERS);

    // The claims the killed run left behind are settled from its outbox; nobody waits out the lease.
    const counts = await runToEnd(database(), dispatchJob, { asOf, outbox, leaseSeconds: 0 });
    expect(counts.sent! + counts.confirmedSent!).toBeGreaterThanOrEqual(BUYERS - atKill);
    const status = await expectSettled(database(), killed);

    const mails = toBuyers();
    expect(mails).toHaveLength(BUYERS);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(BUYERS);
    expect(new Set(mails.map((m) => m.to[0])).size).toBe(BUYERS);
    const messages = await database()
      .models.Message.collection.find({ customerId: { $in: buyers } })
      .toArray();
    expect(messages.map((m) => m.status)).toEqual(new Array(BUYERS).fill('sent'));
    // A further run finds nothing left to do.
    await runToEnd(database(), dispatchJob, { asOf, outbox, leaseSeconds: 0 });
    expect(toBuyers()).toHaveLength(BUYERS);
    report(
      'worker killed: dispatch-campaigns',
      `killed at ${pct(atKill, BUYERS)} (${atKill}/${BUYERS} delivered, ${killed.ms} ms after start); after new run ${BUYERS} expected / ${toBuyers().length} received at the SMTP server, 0 duplicates, 0 lost (${counts.confirmedSent} interrupted sends confirmed from the outbox); killed run's record ${status}`,
    );
  }, 90_000);
});

describe('runs of dead workers', () => {
  const database = useTestDatabase();

  it('housekeeping settles a registered run of another host by age; live and recent runs keep running', async () => {
    const { JobRun, RunningJob } = database().models;
    const hours = (h: number) => new Date(Date.now() - h * 3_600_000);
    const runs = [
      { worker: 'other-host:123', startedAt: hours(30) },
      { worker: 'other-host:124', startedAt: hours(1) },
      { worker: `${os.hostname()}:${process.pid}`, startedAt: hours(30) },
    ].map((r) => ({
      _id: new Types.ObjectId(),
      job: 'build-features',
      status: 'running',
      trigger: 'schedule',
      options: {},
      ...r,
    }));
    await JobRun.collection.insertMany(runs as never[]);
    await RunningJob.collection.insertMany(
      runs.map((r) => ({ _id: r._id.toHexString(), job: r.job, worker: r.worker, startedAt: r.startedAt })) as never[],
    );
    // The housekeeping run's own start settles none (their workers are elsewhere or alive); its age rule the two older than 24 h.
    const counts = await runToEnd(database(), housekeepingJob, { abandonedHours: 24 });
    expect(counts.abandonedRuns).toBe(2);
    const status = new Map(
      (await JobRun.collection.find({ _id: { $in: runs.map((r) => r._id) } }).toArray()).map((r) => [
        r.worker,
        r.status,
      ]),
    );
    expect(Object.fromEntries(status)).toEqual({
      'other-host:123': 'failed',
      'other-host:124': 'running',
      [`${os.hostname()}:${process.pid}`]: 'failed',
    });
    expect((await RunningJob.collection.find({}).toArray()).map((m) => m.worker)).toEqual(['other-host:124']);
  });
});
