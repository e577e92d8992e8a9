import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { Document } from 'mongodb';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { canonical } from '../data/generator/sameDocument.js';
import { createShopContext, simulateCustomer, type SeedSummary } from '../data/generator/seedShop.js';
import assignSegmentsJob from '../jobs/assign-segments.js';
import buildFeaturesJob from '../jobs/build-features.js';
import { config } from '../src/config.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';

/**
 * The demo shop ends at the moment it is seeded: `breadcrumb seed` without `--end` (what
 * `npm start` does too) leaves minutes-old events, carts still inside the abandonment window, and
 * members in the recent-behaviour segments, whatever day the suite runs. 1,000 customers over 30
 * days: measured over 30 ends, at least 13 carts are left 24–72 hours before the end.
 */

const database = useTestDatabase();
const shop = { customers: 1000, days: 30, seed: 42 };
const HOUR = 3_600_000;
const run = promisify(execFile);

function seedCli(...args: string[]): Promise<SeedSummary> {
  const uri = new URL(inject('mongoUri'));
  uri.pathname = `/${database().db.databaseName}`;
  const argv = [
    'tsx',
    'src/cli/main.ts',
    'seed',
    '--customers',
    String(shop.customers),
    '--days',
    String(shop.days),
    '--seed',
    String(shop.seed),
    '--json',
    ...args,
  ];
  return run('npx', argv, { env: { ...process.env, MONGODB_URI: uri.toString() }, encoding: 'utf8' }).then(
    ({ stdout }) => JSON.parse(stdout) as SeedSummary,
  );
}

const digest = (docs: readonly Document[]): string =>
  createHash('sha256').update(docs.map(canonical).sort().join('\n')).digest('hex');

let seededFrom: number;
let seededTo: number;
let summary: SeedSummary;
let end: number;
let events: Document[];

beforeAll(async () => {
  seededFrom = Date.now();
  summary = await seedCli();
  seededTo = Date.now();
  end = Date.parse(String(summary.end)); // JSON: an ISO string
  events = await database().db.collection('events').find({}).toArray();
}, 120_000);

describe('a demo shop seeded without --end', () => {
  it('ends at the moment it was seeded, and its truth says so', async () => {
    expect(end).toBeGreaterThanOrEqual(seededFrom);
    expect(end).toBeLessThanOrEqual(seededTo);
    expect(events).toHaveLength(summary.events);
    expect(Math.max(...events.map((e) => e.ts.getTime()))).toBeLessThan(end);
    const truth = await database()
      .db.collection('sim_truth')
      .find({}, { projection: { historyEnd: 1 } })
      .toArray();
    expect(new Set(truth.map((t) => t.historyEnd.getTime()))).toEqual(new Set([end]));
  });

  it('has customers browsing in the last day and week, and carts abandoned inside the abandonment window', () => {
    const browsedSince = (hours: number) =>
      new Set(
        events
          .filter((e) => e.type === 'product_viewed' && e.ts.getTime() >= end - hours * HOUR)
          .map((e) => e.customerId),
      ).size;
    expect(browsedSince(24)).toBeGreaterThanOrEqual(20);
    expect(browsedSince(7 * 24)).toBeGreaterThanOrEqual(100);

    // A cart is open at the end when no order followed its customer's last add.
    const lastAdd = new Map<string, number>();
    const lastOrder = new Map<string, number>();
    for (const e of events) {
      const at = e.ts.getTime();
      if (e.type === 'cart_item_added') lastAdd.set(e.customerId, Math.max(at, lastAdd.get(e.customerId) ?? 0));
      if (e.type === 'order_completed') lastOrder.set(e.customerId, Math.max(at, lastOrder.get(e.customerId) ?? 0));
    }
    const openCartAges = [...lastAdd]
      .filter(([id, at]) => at > (lastOrder.get(id) ?? 0))
      .map(([, at]) => (end - at) / HOUR);
    // The abandoned-cart flow's reminders go out 1, 24 and 72 hours after the cart; cart-abandoners is 24–72 hours.
    expect(openCartAges.filter((h) => h < 72).length).toBeGreaterThanOrEqual(5);
    expect(openCartAges.filter((h) => h >= 24 && h < 72).length).toBeGreaterThanOrEqual(3);
  });

  it('puts customers in the recent-behaviour segments once features and segments are built', async () => {
    for (const [job, options] of [
      [buildFeaturesJob, { full: true }],
      [assignSegmentsJob, {}],
    ] as const) {
      const outcome = await runJob(job, options, { database: database(), trigger: 'test' });
      expect(outcome.ok && outcome.value.status).toBe('succeeded');
    }
    const sizes = new Map(
      (
        await database()
          .models.Segment.collection.find({}, { projection: { memberCount: 1 } })
          .toArray()
      ).map((s) => [String(s._id), s.memberCount as number]),
    );
    for (const key of ['recent-purchasers', 'cart-abandoners', 'browse-abandoners', 'weekend-mobile-browsers'])
      expect(sizes.get(key), key).toBeGreaterThan(0);
  }, 240_000);

  it('resumes the stored shop when seeded again without --end, and the same seed and end regenerate it exactly', async () => {
    const again = await seedCli();
    expect(again.end).toBe(summary.end);
    expect(again.inserted).toEqual({ customers: 0, products: 0, events: 0, truth: 0 });

    const sameEnd = createShopContext({ ...shop, end: new Date(end), partitions: config().PARTITIONS });
    const hourLater = createShopContext({ ...shop, end: new Date(end + HOUR), partitions: config().PARTITIONS });
    const regenerate = (ctx: typeof sameEnd) =>
      Array.from({ length: shop.customers }, (_, i) => simulateCustomer(ctx, i).events).flat();
    expect(digest(regenerate(sameEnd))).toBe(digest(events));
    expect(digest(regenerate(hourLater))).not.toBe(digest(events));
  }, 120_000);
});

describe('a shop ending on any day', () => {
  it('keeps its holidays on the real calendar of its window', () => {
    const DAY = 24 * HOUR;
    for (const end of [new Date(), new Date(Date.now() + 182 * DAY)]) {
      const ctx = createShopContext({ days: 365, seed: 3, end, partitions: 1 });
      const holiday = ctx.calendar.emails.filter((c) => c.kind === 'holiday').map((c) => new Date(c.sendMs));
      // Each 365-day history holds one holiday season (two to three weeks of Sundays, fewer if cut by the window).
      expect(
        holiday.filter((d) => d.getTime() >= ctx.startMs && d.getTime() < ctx.endMs).length,
        end.toISOString(),
      ).toBeGreaterThanOrEqual(1);
      for (const d of holiday) {
        expect(d.getUTCDay()).toBe(0);
        const m = d.getUTCMonth() + 1;
        expect((m === 11 && d.getUTCDate() >= 15) || (m === 12 && d.getUTCDate() <= 22), d.toISOString()).toBe(true);
      }
      // Holiday buyers order more in November and December than other customers do, wherever those months fall.
      const orders = { holiday: { season: 0, rest: 0 }, other: { season: 0, rest: 0 } };
      for (let i = 0; i < 1500; i++) {
        const sim = simulateCustomer(ctx, i);
        const counts = orders[sim.truth.traits.holidayBuyer ? 'holiday' : 'other'];
        for (const e of sim.events)
          if (e.type === 'order_completed') counts[e.ts.getUTCMonth() >= 10 ? 'season' : 'rest']++;
      }
      const seasonShare = (c: { season: number; rest: number }) => c.season / c.rest;
      expect(seasonShare(orders.holiday), end.toISOString()).toBeGreaterThan(1.3 * seasonShare(orders.other));
    }
  }, 120_000);
});
