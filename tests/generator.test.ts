import { createHash } from 'node:crypto';
import type { Collection, Document } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createShopContext,
  FIXED_SHOP_END,
  seedShop,
  simEventTypes,
  simulateCustomer,
  type SeedSummary,
} from '../data/generator/seedShop.js';
import { canonical } from '../data/generator/sameDocument.js';
import { BatchWriter } from '../data/generator/writer.js';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
const shop = { customers: 300, days: 365, seed: 42, end: FIXED_SHOP_END };
const DAY = 86_400_000;

function digest(docs: readonly Document[]): string {
  const lines = docs.map(canonical).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Spearman's rank correlation (average ranks for ties). */
function spearman(xs: number[], ys: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const ranks = new Array<number>(v.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2;
      i = j + 1;
    }
    return ranks;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const mean = (xs.length - 1) / 2;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (rx[i]! - mean) * (ry[i]! - mean);
    dx += (rx[i]! - mean) ** 2;
    dy += (ry[i]! - mean) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}

const localHour = (tz: string) => {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: 'numeric', hourCycle: 'h23' });
  return (d: Date) => Number(format.format(d));
};

let summary: SeedSummary;
let events: Document[];
let truth: Map<string, Document>;
let customers: Map<string, Document>;
const eventsOf = (type: string) => events.filter((e) => e.type === type);
const byCustomer = (docs: Document[]) => {
  const out = new Map<string, Document[]>();
  for (const d of docs) {
    const list = out.get(d.customerId);
    if (list) list.push(d);
    else out.set(d.customerId, [d]);
  }
  return out;
};

beforeAll(async () => {
  summary = await seedShop(database(), { ...shop, batchSize: 128 });
  const { db } = database();
  events = await db.collection('events').find({}).toArray();
  events.sort((a, b) => a.ts - b.ts || a.eventId.localeCompare(b.eventId));
  truth = new Map((await db.collection('sim_truth').find({}).toArray()).map((d) => [d._id as unknown as string, d]));
  customers = new Map(
    (await db.collection('customers').find({}).toArray()).map((d) => [d._id as unknown as string, d]),
  );
});

describe('seedShop', () => {
  it('stores exactly what the seed determines, batch size aside', async () => {
    expect(summary).toMatchObject({ customers: 300, truth: 300, products: 450, events: events.length });
    expect(summary.inserted).toEqual({ customers: 300, products: 450, events: events.length, truth: 300 });
    expect(summary.events / shop.customers).toBeGreaterThan(100);
    expect(summary.events / shop.customers).toBeLessThan(300);

    // Regenerate in memory, customer by customer: the stored documents must be the same, byte for byte.
    const ctx = createShopContext({
      seed: shop.seed,
      days: shop.days,
      end: FIXED_SHOP_END,
      partitions: config().PARTITIONS,
    });
    const sims = Array.from({ length: shop.customers }, (_, i) => simulateCustomer(ctx, i));
    const { db } = database();
    expect(digest(events)).toBe(digest(sims.flatMap((s) => s.events)));
    expect(digest([...customers.values()])).toBe(digest(sims.map((s) => s.customer)));
    expect(digest([...truth.values()])).toBe(digest(sims.map((s) => s.truth)));
    expect(digest(await db.collection('products').find({}).toArray())).toBe(digest(ctx.catalog.products));

    const other = createShopContext({
      seed: shop.seed + 1,
      days: shop.days,
      end: FIXED_SHOP_END,
      partitions: config().PARTITIONS,
    });
    const otherSims = Array.from({ length: 20 }, (_, i) => simulateCustomer(other, i));
    expect(digest(otherSims.map((s) => s.customer))).not.toBe(digest(sims.slice(0, 20).map((s) => s.customer)));
    expect(digest(otherSims.flatMap((s) => s.events))).not.toBe(digest(sims.slice(0, 20).flatMap((s) => s.events)));
  });

  it('writes well-formed events: known types, identify first, inside the window, right partition', () => {
    const known = new Set<string>(simEventTypes);
    const startMs = FIXED_SHOP_END.getTime() - shop.days * DAY;
    const bad = events.filter(
      (e) =>
        !known.has(e.type) ||
        e.source !== 'sim' ||
        e.ts.getTime() >= FIXED_SHOP_END.getTime() ||
        e.ts.getTime() < startMs ||
        e.receivedAt.getTime() !== e.ts.getTime(),
    );
    expect(bad).toEqual([]);
    for (const [customerId, list] of byCustomer(events)) {
      const customer = customers.get(customerId)!;
      expect(list[0]!.type).toBe('identify');
      expect(list[0]!.ts).toEqual(customer.signedUpAt);
      expect(list.filter((e) => e.type === 'identify')).toHaveLength(1);
      expect(new Set(list.map((e) => e.partition))).toEqual(new Set([partitionOf(customerId, config().PARTITIONS)]));
      expect(customer.partition).toBe(list[0]!.partition);
    }
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  });

  it('stores nothing twice when the same seed runs again', async () => {
    const { db } = database();
    const again = await seedShop(database(), shop);
    expect(again).toMatchObject({ events: summary.events, orders: summary.orders });
    expect(again.inserted).toEqual({ customers: 0, products: 0, events: 0, truth: 0 });
    expect(await db.collection('customers').countDocuments()).toBe(shop.customers);
    expect(await db.collection('sim_truth').countDocuments()).toBe(shop.customers);
  });

  it('resumes a stopped run, skipping only the duplicates', async () => {
    // A run that stopped mid-batch: the last customer's truth and a few of its events never arrived.
    const { db } = database();
    const last = events.filter((e) => e.customerId === 'cust-0000300').slice(-3);
    for (const e of last) await db.collection('events').deleteOne({ _id: e._id });
    await db.collection('sim_truth').deleteOne({ _id: 'cust-0000300' as never });
    const resumed = await seedShop(database(), { ...shop, batchSize: 100 });
    expect(resumed.inserted).toEqual({ customers: 0, products: 0, events: 3, truth: 1 });
    expect(await db.collection('sim_truth').countDocuments()).toBe(shop.customers);
  });

  it('refuses to mix a different shop into a seeded database', async () => {
    await expect(seedShop(database(), { ...shop, days: shop.days - 1 })).rejects.toThrow(/different synthetic shop/);
  });

  it('rejects nonsense sizes before touching the database', async () => {
    await expect(seedShop(database(), { ...shop, customers: -1 })).rejects.toThrow(RangeError);
    await expect(seedShop(database(), { ...shop, days: 0 })).rejects.toThrow(RangeError);
  });
});

describe('BatchWriter', () => {
  it('passes on failures other than duplicate keys', async () => {
    // A server-side failure we cannot provoke on demand (a full disk), so the collection is stubbed.
    const failing = { insertMany: async () => Promise.reject(new Error('disk full')) } as unknown as Collection;
    const writer = new BatchWriter(failing, 2);
    await writer.add([{ a: 1 }, { a: 2 }, { a: 3 }]);
    await expect(writer.flush()).rejects.toThrow('disk full');
  });
});

describe('hidden traits show in behaviour', () => {
  it('customers with a higher purchase rate order more often', () => {
    const orders = byCustomer(eventsOf('order_completed'));
    const rows = [...truth.values()].map((t) => {
      const tenureDays = (FIXED_SHOP_END.getTime() - customers.get(t._id)!.signedUpAt.getTime()) / DAY;
      return {
        rate: t.traits.purchaseRate as number,
        perYear: ((orders.get(t._id)?.length ?? 0) / tenureDays) * 365,
        tenureDays,
      };
    });
    const settled = rows.filter((r) => r.tenureDays >= 60).sort((a, b) => a.rate - b.rate);
    const third = Math.floor(settled.length / 3);
    const mean = (rs: typeof rows) => rs.reduce((s, r) => s + r.perYear, 0) / rs.length;
    expect(mean(settled.slice(-third))).toBeGreaterThan(2.5 * mean(settled.slice(0, third)));
    expect(
      spearman(
        settled.map((r) => r.rate),
        settled.map((r) => r.perYear),
      ),
    ).toBeGreaterThan(0.4);
    for (const t of truth.values()) expect(t.outcomes.ordersObserved).toBe(orders.get(t._id)?.length ?? 0);
  });

  it('places no order after dropout', () => {
    for (const order of eventsOf('order_completed')) {
      const deathAt = truth.get(order.customerId)!.outcomes.deathAt as Date | null;
      if (deathAt) expect(order.ts.getTime()).toBeLessThanOrEqual(deathAt.getTime());
    }
    const dead = [...truth.values()].filter((t) => !t.outcomes.aliveAtEnd);
    expect(dead.length).toBeGreaterThan(20);
    for (const t of dead) expect(t.outcomes.futureOrders365).toBe(0);
  });

  it('opens cluster at the preferred local hour', () => {
    const opens = byCustomer(eventsOf('email_opened').filter((e) => e.props.machineOpen === false));
    let eligible = 0;
    let exact = 0;
    let near = 0;
    for (const [customerId, list] of opens) {
      if (list.length < 5) continue;
      const t = truth.get(customerId)!.traits;
      const hourOf = localHour(t.timezone);
      const counts = new Array<number>(24).fill(0);
      for (const e of list) counts[hourOf(e.ts)]! += 1;
      const top = Math.max(...counts);
      const modes = counts.flatMap((c, h) => (c === top ? [h] : []));
      const distance = (h: number) =>
        Math.min(Math.abs(h - t.preferredOpenHour), 24 - Math.abs(h - t.preferredOpenHour));
      eligible++;
      if (modes.includes(t.preferredOpenHour)) exact++;
      if (modes.some((h) => distance(h) <= 1)) near++;
    }
    expect(eligible).toBeGreaterThan(40);
    expect(exact / eligible).toBeGreaterThan(0.45);
    expect(near / eligible).toBeGreaterThan(0.8);
  });

  it('shipping-reason abandoners leave at the shipping step', () => {
    const ordered = new Set(eventsOf('order_completed').map((e) => e.props.checkoutId));
    const lastStep = new Map<string, { customerId: string; step: string }>();
    for (const e of eventsOf('checkout_step_viewed'))
      if (!ordered.has(e.props.checkoutId))
        lastStep.set(e.props.checkoutId, { customerId: e.customerId, step: e.props.step });
    const share = (shipping: boolean) => {
      const drops = [...lastStep.values()].filter(
        (d) => (truth.get(d.customerId)!.traits.abandonReason === 'shipping') === shipping,
      );
      return { n: drops.length, atShipping: drops.filter((d) => d.step === 'shipping').length / drops.length };
    };
    const shippers = share(true);
    const others = share(false);
    expect(shippers.n).toBeGreaterThan(20);
    expect(others.n).toBeGreaterThan(20);
    expect(shippers.atShipping).toBeGreaterThan(0.6);
    expect(others.atShipping).toBeLessThan(0.4);
  });

  it('sends no email after an unsubscribe or a hard bounce, and none without consent', () => {
    const stops = new Map<string, number>();
    for (const e of events) {
      if (e.type === 'email_unsubscribed' || (e.type === 'email_bounced' && e.props.bounceType === 'hard'))
        stops.set(e.customerId, Math.min(stops.get(e.customerId) ?? Infinity, e.ts.getTime()));
    }
    expect(stops.size).toBeGreaterThan(5);
    for (const e of eventsOf('email_sent')) {
      expect(e.ts.getTime()).toBeLessThanOrEqual(stops.get(e.customerId) ?? Infinity);
      expect(truth.get(e.customerId)!.traits.emailConsent).toBe(true);
    }
    for (const [customerId, at] of stops) {
      const customer = customers.get(customerId)!;
      if (truth.get(customerId)!.outcomes.unsubscribedAt)
        expect(customer.consent.email).toMatchObject({ status: 'denied', updatedAt: new Date(at) });
    }
  });
});
