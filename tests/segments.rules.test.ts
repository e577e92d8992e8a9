import { describe, expect, it } from 'vitest';
import { config } from '../src/config.js';
import { partitionOf } from '../src/db/partition.js';
import { recordEvents, type StoredEvent } from '../src/ingest/storeEvents.js';
import {
  buildProfile,
  compileRule,
  matchesFilter,
  parseRule,
  quantileCutoffs,
  resolveEventFacts,
  ruleSchema,
  type CompiledSegment,
  type Profile,
} from '../src/segments/rules/index.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
const now = new Date('2025-07-15T12:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(now.getTime() - days * DAY);

function compile(rule: unknown, at = now): CompiledSegment {
  const r = compileRule(rule, { now: at });
  if (!r.ok) throw new Error(`${r.error.path.join('.')}: ${r.error.message}`);
  return r.value;
}

describe('refused rules name the path', () => {
  const cases: [string, unknown, (string | number)[]][] = [
    ['$where at the top', { $where: 'sleep(1000)' }, ['$where']],
    ['operator object in a value', { field: 'features.orders', op: 'eq', value: { $gt: '' } }, ['value', '$gt']],
    [
      'operator key deep inside',
      { all: [{ any: [{ field: 'features.orders', op: 'gt', value: 1, $or: [] }] }] },
      ['all', 0, 'any', 0, '$or'],
    ],
    ['__proto__ key', JSON.parse('{"all": [{"__proto__": {"field": "x"}}]}'), ['all', 0, '__proto__']],
    ['constructor key', { not: { constructor: { prototype: 1 } } }, ['not', 'constructor']],
    ['dotted key', { 'features.orders': { $gt: 1 } }, ['features.orders']],
    ['unknown feature', { field: 'features.nope', op: 'gt', value: 1 }, ['field']],
    ['field outside the whitelist', { field: 'password', op: 'eq', value: 'x' }, ['field']],
    ['prototype path as a field', { field: 'customer.__proto__', op: 'eq', value: 'x' }, ['field']],
    ['constructor as a feature', { field: 'features.constructor', op: 'exists' }, ['field']],
    ['unknown operator', { field: 'features.orders', op: 'regex', value: '.*' }, ['op']],
    ['operator not for the type', { field: 'customer.country', op: 'gt', value: 'A' }, ['op']],
    ['text where a number is due', { field: 'features.orders', op: 'gte', value: '3' }, ['value']],
    ['bad value in a list', { field: 'customer.country', op: 'in', values: ['US', 3] }, ['values', 1]],
    ['bad date', { field: 'customer.signedUpAt', op: 'gt', value: 'yesterday' }, ['value']],
    ['extra key in a condition', { field: 'features.orders', op: 'gt', value: 1, where: 'x' }, []],
    ['two node kinds in one object', { all: [{ field: 'features.orders', op: 'exists' }], any: [] }, []],
    ['empty all', { all: [] }, ['all']],
    ['not a rule', { any: [1] }, ['any', 0]],
    ['unknown event type', { event: { type: 'hacked' } }, ['event', 'type']],
    [
      'unknown event property',
      { event: { type: 'product_viewed', where: [{ field: 'password', op: 'eq', value: 'x' }] } },
      ['event', 'where', 0, 'field'],
    ],
    [
      'event enum value',
      { event: { type: 'page_viewed', where: [{ field: 'device', op: 'eq', value: 'fridge' }] } },
      ['event', 'where', 0, 'value'],
    ],
    [
      'negative operator on order lines',
      { event: { type: 'order_completed', where: [{ field: 'itemCategory', op: 'nin', values: ['toys'] }] } },
      ['event', 'where', 0, 'op'],
    ],
    [
      'range upside down',
      { field: 'customer.signedUpAt', op: 'between', min: '2025-02-01', max: '2025-01-01' },
      ['max'],
    ],
    ['count gte above lte', { event: { type: 'order_completed', count: { gte: 3, lte: 1 } } }, ['event', 'count']],
    ['quantile on text', { quantile: { field: 'customer.country', top: 0.2 } }, ['quantile', 'field']],
    ['quantile with both ends', { quantile: { field: 'scores.predictedLtv', top: 0.2, bottom: 0.2 } }, ['quantile']],
    ['unknown season', { season: 'monsoon' }, ['season']],
  ];
  it.each(cases)('%s', (_name, rule, path) => {
    const r = compileRule(rule, { now });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.type).toBe('invalid_rule');
    expect(r.error.path).toEqual(path);
    expect(r.error.message.length).toBeGreaterThan(5);
  });

  it('refuses rules nested too deep or too large', () => {
    let deep: unknown = { field: 'features.orders', op: 'exists' };
    for (let i = 0; i < 12; i++) deep = { not: deep };
    expect(parseRule(deep).ok).toBe(false);
    const wide = { any: Array.from({ length: 300 }, () => ({ field: 'features.orders', op: 'exists' })) };
    expect(parseRule(wide).ok).toBe(false);
    // An unsafe key deep in an allowed nesting is still found and named.
    let nested: unknown = { field: 'features.orders', op: 'exists', $where: '1' };
    for (let i = 0; i < 7; i++) nested = { all: [nested] };
    const r = parseRule(nested);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({
        path: [...Array.from({ length: 7 }, () => ['all', 0]).flat(), '$where'],
        message: expect.stringMatching(/may not start with "\$"/),
      });
  });

  it('the zod schema reports the same path', () => {
    const r = ruleSchema.safeParse({ any: [{ field: 'features.orders', op: 'gt', value: 'x' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['any', 0, 'value']);
  });
});

describe('compiled filters and in-memory matching agree', () => {
  // Profiles covering the awkward cases: missing fields, nulls, zero, dates on both sides of `now`.
  const profiles: Profile[] = Array.from({ length: 48 }, (_, i) => {
    const profile = buildProfile({
      customer: {
        _id: `c${i}`,
        country: ['US', 'BR', 'DE', undefined][i % 4],
        timezone: ['America/New_York', 'America/Sao_Paulo', 'Europe/Berlin', 'UTC'][i % 4],
        signedUpAt: i % 5 === 0 ? null : ago(i * 3),
        consent: { email: { status: i % 3 === 0 ? 'granted' : 'denied' } },
        traits: i % 6 === 0 ? { tier: 'gold', score: i } : {},
      },
      features:
        i % 7 === 6
          ? null
          : {
              values: {
                orders: i % 5,
                recencyDays: i % 5 === 0 ? null : i * 4,
                monetaryNet: i * 13.5,
                topCategory1: ['garden', 'shoes', 'outdoor', null][i % 4],
                preferredDevice: i % 2 ? 'mobile' : 'desktop',
              },
            },
      scores:
        i % 8 === 7
          ? null
          : {
              churnRisk: (i % 10) / 10,
              predictedLtv: i % 9 === 0 ? null : (i * 37) % 500,
              expectedNextOrderAt: ago(15 - i),
            },
      events: { e0: i % 4, e1: i % 3 === 0 ? null : i % 2 },
    });
    return profile;
  });

  const rules: unknown[] = [
    { field: 'features.orders', op: 'gte', value: 2 },
    { field: 'features.orders', op: 'ne', value: 0 },
    { field: 'features.recencyDays', op: 'between', min: 20, max: 100 },
    { field: 'features.recencyDays', op: 'missing' },
    { field: 'features.recencyDays', op: 'exists' },
    { field: 'features.topCategory1', op: 'in', values: ['garden', 'outdoor'] },
    { field: 'features.topCategory1', op: 'nin', values: ['garden'] },
    { field: 'customer.country', op: 'eq', value: 'US' },
    { field: 'customer.consent.email.status', op: 'eq', value: 'granted' },
    { field: 'customer.traits.tier', op: 'eq', value: 'gold' },
    { field: 'customer.traits.score', op: 'gt', value: 10 },
    { field: 'customer.signedUpAt', op: 'withinLast', days: 30 },
    { field: 'customer.signedUpAt', op: 'moreThanAgo', days: 60 },
    { field: 'scores.expectedNextOrderAt', op: 'withinNext', days: 7 },
    { field: 'scores.churnRisk', op: 'lt', value: 0.3 },
    { not: { field: 'scores.churnRisk', op: 'gte', value: 0.5 } },
    {
      any: [
        { field: 'customer.country', op: 'eq', value: 'BR' },
        {
          all: [
            { field: 'features.orders', op: 'gt', value: 1 },
            { field: 'features.preferredDevice', op: 'eq', value: 'mobile' },
          ],
        },
      ],
    },
    { quantile: { field: 'scores.predictedLtv', top: 0.2 } },
    {
      all: [
        { quantile: { field: 'features.monetaryNet', bottom: 0.25 } },
        { not: { field: 'customer.country', op: 'eq', value: 'DE' } },
      ],
    },
    { event: { type: 'product_viewed', within: { days: 7 }, count: { gte: 2 } } },
    { event: { type: 'order_completed', within: { days: 30 }, count: { lte: 0 } } },
    { season: 'summer' },
    { season: 'holiday' },
    { not: { season: 'winter' } },
    { categoryInSeason: 'features.topCategory1' },
  ];

  it('on the real server, for every rule', async () => {
    const coll = database().db.collection<Profile>('rule_profiles');
    await coll.insertMany(profiles.map((p) => ({ ...p })));
    let decisive = 0;
    for (const rule of rules) {
      const compiled = compile(rule);
      // Event facts in these profiles stand for the first two queries of any rule.
      const cutoffs = quantileCutoffs(compiled, profiles);
      const expectedIds = profiles
        .filter((p) => compiled.matches(p, cutoffs))
        .map((p) => p._id)
        .sort();
      const found = (await coll.find(compiled.filter(cutoffs), { projection: { _id: 1 } }).toArray())
        .map((d) => String(d._id))
        .sort();
      expect({ rule, ids: found }).toEqual({ rule, ids: expectedIds });
      if (found.length > 0 && found.length < profiles.length) decisive++;
    }
    // Out of season (holiday in July) nobody matches: every other rule splits the profiles.
    expect(decisive).toBe(rules.length - 1);
  });

  it('matches what the rules say', () => {
    const gold = compile({ field: 'customer.traits.tier', op: 'eq', value: 'gold' });
    expect(profiles.filter((p) => gold.matches(p)).map((p) => p._id)).toEqual(
      profiles.filter((_, i) => i % 6 === 0).map((p) => p._id),
    );
    const top = compile({ quantile: { field: 'scores.predictedLtv', top: 0.2 } });
    const cutoffs = quantileCutoffs(top, profiles);
    const withLtv = profiles.filter((p) => typeof p.scores.predictedLtv === 'number').length;
    const members = profiles.filter((p) => top.matches(p, cutoffs)).length;
    expect(members).toBeGreaterThanOrEqual(Math.ceil(0.2 * withLtv));
    expect(members).toBeLessThanOrEqual(Math.ceil(0.2 * withLtv) + 1);
    expect(() => top.filter()).toThrow(/cut-off/);
  });

  it('seasons follow the hemisphere', () => {
    const summer = compile({ season: 'summer' });
    const january = compile({ season: 'summer' }, new Date('2025-01-10T00:00:00Z'));
    const br = profiles.find((p) => p.customer.country === 'BR')!;
    const us = profiles.find((p) => p.customer.country === 'US')!;
    expect([summer.matches(us), summer.matches(br)]).toEqual([true, false]);
    expect([january.matches(us), january.matches(br)]).toEqual([false, true]);
    expect(compile({ season: 'holiday' }).filter()).toEqual({ _id: { $in: [] } });
    expect(compile({ season: 'holiday' }, new Date('2025-12-01T00:00:00Z')).filter()).toEqual({});
  });
});

describe('event facts from the events collection', () => {
  const P = config().PARTITIONS;
  let n = 0;
  const ev = (customerId: string, type: string, at: Date, props: Record<string, unknown> = {}) => ({
    eventId: `r-${++n}`,
    type,
    customerId,
    partition: partitionOf(customerId, P),
    ts: at,
    receivedAt: at,
    source: 'sim',
    channel: 'web',
    device: 'mobile',
    props,
  });
  const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);

  it('event filters select the same events on the server and in memory', async () => {
    const docs = [
      ev('f1', 'order_completed', ago(3), {
        orderId: 'o1',
        revenue: 40,
        items: [
          { productId: 'a', category: 'coffee' },
          { productId: 'b', category: 'toys' },
        ],
      }),
      ev('f1', 'order_completed', ago(30), {
        orderId: 'o2',
        revenue: 90,
        couponCode: 'X',
        items: [{ productId: 'c', category: 'shoes' }],
      }),
      ev('f2', 'order_completed', ago(1), { orderId: 'o3', revenue: 15 }),
      ev('f2', 'product_viewed', ago(2), { productId: 'a', category: 'coffee', price: 12, timeOnPageSec: 8 }),
      ev('f2', 'product_viewed', ago(9), { productId: 'b', price: 80 }),
      {
        ...ev('f3', 'product_viewed', ago(4), { productId: 'c', category: 'shoes', timeOnPageSec: 200 }),
        device: 'desktop',
      },
      ev('f3', 'checkout_step_viewed', ago(4), { checkoutId: 'k', step: 'shipping', stepIndex: 2 }),
    ];
    const { Event } = database().models;
    await Event.collection.insertMany(docs.map((d) => ({ ...d, eventId: `m-${d.eventId}` })) as never[]);
    const conditions = [
      { type: 'order_completed', where: [{ field: 'itemCategory', op: 'in', values: ['coffee', 'tea'] }] },
      {
        type: 'order_completed',
        where: [
          { field: 'itemCategory', op: 'eq', value: 'toys' },
          { field: 'revenue', op: 'lt', value: 50 },
        ],
      },
      { type: 'order_completed', where: [{ field: 'itemProductId', op: 'eq', value: 'c' }], within: { days: 60 } },
      { type: 'order_completed', where: [{ field: 'couponCode', op: 'exists' }] },
      { type: 'order_completed', where: [{ field: 'couponCode', op: 'missing' }], olderThan: { days: 2 } },
      { type: 'product_viewed', where: [{ field: 'category', op: 'ne', value: 'coffee' }] },
      {
        type: 'product_viewed',
        where: [
          { field: 'timeOnPageSec', op: 'lte', value: 10 },
          { field: 'device', op: 'eq', value: 'mobile' },
        ],
      },
      { type: 'product_viewed', where: [{ field: 'price', op: 'gte', value: 12 }], within: { days: 5 } },
      { type: 'checkout_step_viewed', where: [{ field: 'step', op: 'in', values: ['shipping', 'payment'] }] },
    ];
    for (const event of conditions) {
      const [q] = compile({ event }).eventQueries;
      const onServer = (await Event.collection.find({ ...q!.filter, eventId: /^m-/ }).toArray())
        .map((d) => d.eventId as string)
        .sort();
      const inMemory = docs
        .filter((d) => matchesFilter(d, q!.filter))
        .map((d) => `m-${d.eventId}`)
        .sort();
      expect({ event, ids: onServer }).toEqual({ event, ids: inMemory });
      expect(inMemory.length).toBeGreaterThan(0);
    }
  });

  it('counts, anchors and local time', async () => {
    await addCustomers(database(), [
      { id: 'shoes-fan', timezone: 'Europe/Berlin', at: ago(30) },
      { id: 'abandoner', timezone: 'America/New_York', at: ago(30) },
      { id: 'buyer', timezone: 'UTC', at: ago(30) },
    ]);
    await recordEvents(database(), [
      ev('shoes-fan', 'product_viewed', ago(1), { category: 'shoes', productId: 'p1' }),
      ev('shoes-fan', 'product_viewed', ago(3), { category: 'shoes', productId: 'p2' }),
      ev('shoes-fan', 'product_viewed', ago(10), { category: 'shoes', productId: 'p3' }),
      ev('shoes-fan', 'product_viewed', ago(2), { category: 'toys', productId: 'p4' }),
      // 12:30 Berlin on a Tuesday (2025-07-15 is a Tuesday): 10:30 UTC
      ev('shoes-fan', 'page_viewed', new Date('2025-07-15T10:30:00Z')),
      // 12:30 UTC is 14:30 in Berlin
      ev('shoes-fan', 'page_viewed', new Date('2025-07-14T12:30:00Z')),
      ev('abandoner', 'cart_item_added', hours(50), { cartId: 'k1', productId: 'p9', price: 300 }),
      ev('abandoner', 'product_viewed', ago(1), { category: 'shoes', productId: 'p1' }),
      ev('buyer', 'cart_item_added', hours(40), { cartId: 'k2', productId: 'p9', price: 30 }),
      ev('buyer', 'order_completed', hours(39), { orderId: 'o1', revenue: 30 }),
      ev('buyer', 'cart_item_added', hours(2), { cartId: 'k3', productId: 'p9', price: 30 }),
    ] as StoredEvent[]);
    const shoes = compile({
      event: {
        type: 'product_viewed',
        where: [{ field: 'category', op: 'eq', value: 'shoes' }],
        within: { days: 7 },
        count: { gte: 2 },
      },
    });
    const abandoned = compile({
      event: {
        type: 'order_completed',
        since: { type: 'cart_item_added', within: { hours: 72 }, olderThan: { hours: 24 } },
        count: { lte: 0 },
      },
    });
    const lunch = compile({
      event: {
        type: 'page_viewed',
        within: { days: 7 },
        localTime: { fromHour: 12, toHour: 14, weekdays: [1, 2, 3, 4, 5] },
      },
    });

    const facts = async (c: CompiledSegment) => {
      const f = await resolveEventFacts(database(), c.eventQueries, {});
      return ['shoes-fan', 'abandoner', 'buyer', 'nobody']
        .map((id) =>
          buildProfile({ customer: { _id: id }, ...(f.has(id) ? { events: f.get(id)! } : {}) }, c.eventQueries),
        )
        .filter((p) => c.matches(p))
        .map((p) => p._id);
    };
    expect(await facts(shoes)).toEqual(['shoes-fan']);
    // The buyer's last cart add is 2 hours old: too recent to count as abandoned.
    expect(await facts(abandoned)).toEqual(['abandoner']);
    expect(await facts(lunch)).toEqual(['shoes-fan']);
    const scoped = await resolveEventFacts(database(), shoes.eventQueries, { customerIds: ['abandoner'] });
    expect([...scoped.keys()]).toEqual(['abandoner']);
  });
});
