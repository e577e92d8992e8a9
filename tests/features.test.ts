import { describe, expect, it } from 'vitest';
import {
  buildFeatures,
  featureCatalog,
  featureCatalogMarkdown,
  featureNames,
  type FeatureValues,
} from '../src/features/index.js';
import type { FoldEvent } from '../src/features/defineFold.js';
import {
  localDay,
  localHour,
  monthDayOf,
  offsetFnFor,
  seasonOfMonth,
  isSouthernTimeZone,
} from '../src/features/time.js';

type Ev = FoldEvent & { eventId: string };
let seq = 0;
/** One event at an ISO time; `sessionId`/`device` go in `extra`. */
function ev(type: string, iso: string, props: Record<string, unknown> = {}, extra: Partial<FoldEvent> = {}): Ev {
  return { eventId: `e${++seq}`, type, ts: new Date(iso), props, ...extra };
}
const sorted = (events: Ev[]) => [...events].sort((a, b) => +a.ts - +b.ts);
const build = (events: Ev[], asOf: string, timezone = 'UTC', highValuePrice?: number) =>
  buildFeatures(sorted(events), { asOf: new Date(asOf), timezone, highValuePrice });

describe('orders fold', () => {
  // asOf 2024-03-01; 2024 is a leap year: 1 Jan → 1 Mar is 60 days
  const events = [
    ev('order_completed', '2024-01-01T10:00:00Z', { orderId: 'o1', revenue: 100, discount: 0 }),
    ev('order_completed', '2024-01-11T10:00:00Z', { orderId: 'o2', revenue: 50, couponCode: 'SPRING' }),
    ev('order_completed', '2024-01-31T10:00:00Z', { orderId: 'o3', revenue: 150, discount: 5 }),
    ev('order_completed', '2024-02-20T10:00:00Z', { orderId: 'o4', revenue: 200 }),
    // the same order again (webhook + import): dropped
    ev('order_completed', '2024-02-20T10:00:01Z', { orderId: 'o4', revenue: 200 }),
    // a refund without amount refunds its whole order
    ev('order_refunded', '2024-02-21T00:00:00Z', { orderId: 'o2' }),
  ];
  const f = build(events, '2024-03-01T00:00:00Z');

  it('counts recency, frequency and windows', () => {
    expect(f.orders).toBe(4);
    expect(f.recencyDays).toBeCloseTo(9 + 14 / 24, 9);
    expect(f.firstOrderAgeDays).toBeCloseTo(60 - 10 / 24, 9);
    expect(f.orders30d).toBe(2); // window starts 31 Jan 00:00: o3 and o4
    expect(f.orders90d).toBe(4);
    expect(f.orders365d).toBe(4);
  });

  it('computes monetary value net of refunds, AOV and its trend', () => {
    expect(f.refunds).toBe(1);
    expect(f.refundAmount).toBe(50);
    expect(f.monetaryNet).toBe(450);
    expect(f.monetaryMean).toBe(112.5);
    expect(f.aov).toBe(125);
    expect(f.aovTrend).toBeCloseTo(400 / 3 / 100, 9); // last three (50, 150, 200) vs the first (100)
    expect(f.discountOrderShare).toBe(0.5); // o2 by coupon, o3 by discount
  });

  it('computes gaps between orders and whether they lengthen', () => {
    // gaps 10, 20, 20 days
    expect(f.orderGapMeanDays).toBeCloseTo(50 / 3, 9);
    expect(f.orderGapTrend).toBeCloseTo(20 / 15, 9);
  });

  it('gives the BG/NBD statistics in days and weeks', () => {
    expect(f.bgnbdX).toBe(3);
    expect(f.bgnbdTx).toBe(50); // 1 Jan → 20 Feb
    expect(f.bgnbdT).toBe(59); // 1 Jan → 29 Feb, the last day observed
    expect(f.bgnbdTxWeeks).toBeCloseTo(50 / 7, 9);
    expect(f.bgnbdTWeeks).toBeCloseTo(59 / 7, 9);
    expect(f.bgnbdMonetary).toBeCloseTo(400 / 3, 9);
  });

  it('counts orders on the same local day once for x, and sums them for the Gamma-Gamma value', () => {
    const g = build(
      [
        ev('order_completed', '2024-01-01T10:00:00Z', { orderId: 'a', revenue: 10 }),
        ev('order_completed', '2024-01-05T09:00:00Z', { orderId: 'b', revenue: 20 }),
        ev('order_completed', '2024-01-05T20:00:00Z', { orderId: 'c', revenue: 30 }),
        // 6 Jan 03:00 UTC is still 5 Jan in New York
        ev('order_completed', '2024-01-06T03:00:00Z', { orderId: 'd', revenue: 40 }),
      ],
      '2024-01-11T00:00:00Z',
      'America/New_York',
    );
    expect(g.orders).toBe(4);
    expect(g.bgnbdX).toBe(1);
    expect(g.bgnbdTx).toBe(4);
    expect(g.bgnbdT).toBe(9); // 1 Jan → 10 Jan: asOf − 1 ms is 10 Jan 18:59:59 in New York
    expect(g.bgnbdMonetary).toBe(90);
  });

  it('is null, not zero, where a feature does not apply', () => {
    const g = build([ev('page_viewed', '2024-01-01T00:00:00Z')], '2024-02-01T00:00:00Z');
    expect(g).toMatchObject({
      orders: 0,
      recencyDays: null,
      aov: null,
      aovTrend: null,
      orderGapMeanDays: null,
      bgnbdX: null,
      bgnbdT: null,
      monetaryNet: 0,
    });
  });

  it('reads imported orders that carry only items', () => {
    const g = build(
      [
        ev('order_completed', '2024-01-01T00:00:00Z', {
          orderId: 'x',
          items: [
            { productId: 'p', price: 12.5, quantity: 2 },
            { productId: 'q', price: '5' },
          ],
        }),
      ],
      '2024-02-01T00:00:00Z',
    );
    expect(g.monetaryNet).toBe(30);
  });
});

describe('time and seasons', () => {
  it('converts to local time with daylight saving', () => {
    const ny = offsetFnFor('America/New_York');
    expect(ny(Date.parse('2024-01-15T12:00:00Z'))).toBe(-5 * 3_600_000);
    expect(ny(Date.parse('2024-07-15T12:00:00Z'))).toBe(-4 * 3_600_000);
    expect(localHour(Date.parse('2024-03-10T06:59:00Z'), ny)).toBe(1); // before the switch at 2:00 EST
    expect(localHour(Date.parse('2024-03-10T07:00:00Z'), ny)).toBe(3); // after it
    expect(localHour(Date.parse('2024-01-01T12:00:00Z'), offsetFnFor('Asia/Kolkata'))).toBe(17);
    expect(offsetFnFor('Not/AZone')(Date.now())).toBe(0);
  });

  it('gives month and day without Date objects', () => {
    expect(monthDayOf(0)).toBe(101);
    expect(monthDayOf(localDay(Date.parse('2024-02-29T12:00:00Z'), offsetFnFor('UTC')))).toBe(229);
    expect(monthDayOf(localDay(Date.parse('2023-12-31T23:00:00Z'), offsetFnFor('UTC')))).toBe(1231);
    expect(monthDayOf(-1)).toBe(1231);
  });

  it('knows the hemispheres', () => {
    expect(isSouthernTimeZone('Australia/Sydney')).toBe(true);
    expect(isSouthernTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isSouthernTimeZone('Pacific/Auckland')).toBe(true);
    expect(isSouthernTimeZone('Africa/Johannesburg')).toBe(true);
    expect(isSouthernTimeZone('America/New_York')).toBe(false);
    expect(seasonOfMonth(12, false)).toBe(0);
    expect(seasonOfMonth(12, true)).toBe(2);
  });

  it('counts a southern December as summer, and the holidays by local date', () => {
    const f = build(
      [
        ev('order_completed', '2023-07-01T00:00:00Z', { orderId: 'w', revenue: 20 }), // 1 July: winter in Sydney
        ev('order_completed', '2023-11-14T14:00:00Z', { orderId: 's', revenue: 100 }), // 15 Nov 01:00 local: spring, holidays
        ev('order_completed', '2023-12-10T10:00:00Z', { orderId: 'h', revenue: 80 }), // summer, holidays
      ],
      '2024-01-01T00:00:00Z',
      'Australia/Sydney',
    );
    expect(f.spendShareSummer).toBeCloseTo(0.4, 9);
    expect(f.spendShareWinter).toBeCloseTo(0.1, 9);
    expect(f.spendShareSpring).toBeCloseTo(0.5, 9);
    expect(f.spendShareAutumn).toBe(0);
    expect(f.spendShareHoliday).toBeCloseTo(0.9, 9);
    // the same orders in London: December is winter, and 14 November is not the holidays yet
    const g = build(
      [
        ev('order_completed', '2023-11-14T14:00:00Z', { orderId: 's', revenue: 100 }),
        ev('order_completed', '2023-12-10T10:00:00Z', { orderId: 'h', revenue: 80 }),
      ],
      '2024-01-01T00:00:00Z',
      'Europe/London',
    );
    expect(g).toMatchObject({ spendShareWinter: 80 / 180, spendShareAutumn: 100 / 180, spendShareHoliday: 80 / 180 });
  });
});

describe('email fold', () => {
  // asOf 1 Mar 2024: the 30-day window starts 31 Jan, the 90-day one 2 Dec 2023
  const events = [
    ev('email_sent', '2024-02-10T12:00:00Z', { messageId: 'm1' }),
    ev('email_sent', '2024-02-20T12:00:00Z', { messageId: 'm2' }),
    ev('email_sent', '2024-01-10T12:00:00Z', { messageId: 'm3' }),
    ev('email_sent', '2023-12-15T12:00:00Z', { messageId: 'm4' }),
    ev('email_sent', '2023-07-01T12:00:00Z', { messageId: 'm5' }),
    ev('email_opened', '2024-02-10T13:05:00Z', { messageId: 'm1', machineOpen: true }), // ignored everywhere
    ev('email_opened', '2024-02-11T15:00:00Z', { messageId: 'm1' }), // 10:00 in New York
    ev('email_opened', '2024-02-12T00:00:00Z', { messageId: 'm1' }), // 19:00 on the 11th; not a new open
    ev('email_clicked', '2024-02-21T10:00:00Z', { messageId: 'm2', url: 'https://shop/x' }), // a click without an open
    ev('email_opened', '2024-01-15T14:30:00Z', { messageId: 'm3' }), // 09:30 EST
    ev('email_opened', '2023-07-04T16:00:00Z', { messageId: 'm5' }), // 12:00 EDT
    ev('email_opened', '2024-01-16T04:10:00Z', { messageId: 'm5' }), // 23:10 on the 15th
  ];
  const f = build(events, '2024-03-01T00:00:00Z', 'America/New_York');

  it('computes sends, open and click rates without machine opens', () => {
    expect(f.emailsSent30d).toBe(2);
    expect(f.emailsSent90d).toBe(4);
    expect(f.emailOpenRate30d).toBe(1); // m1, and m2 by its click
    expect(f.emailOpenRate90d).toBe(0.75); // + m3; m5's reopen is not a first open
    expect(f.emailClickRate30d).toBe(0.5);
    expect(f.emailClickRate90d).toBe(0.25);
    expect(f.emailEngagementTrend).toBe(0.5); // 2/2 now vs 1/2 in the 60 days before
    expect(f.daysSinceLastOpen).toBe(18);
    expect(f.daysSinceLastClick).toBeCloseTo(8 + 14 / 24, 9);
  });

  it('counts a send from `email_sent` or `email_delivered`, each message once', () => {
    const delivered = events.map((e) => (e.type === 'email_sent' ? { ...e, type: 'email_delivered' } : e));
    // An ESP reporting only deliveries (Segment's Email spec) gives the same features as our own sends.
    expect(build(delivered, '2024-03-01T00:00:00Z', 'America/New_York')).toEqual(f);
    // Both reported for the same messages: one send each.
    expect(
      build(
        [...events, ...delivered.filter((e) => e.type === 'email_delivered')],
        '2024-03-01T00:00:00Z',
        'America/New_York',
      ),
    ).toEqual(f);
    // Without message ids the two cannot be matched: sends are the larger count, not the sum.
    const unkeyed = [
      ev('email_sent', '2024-02-10T12:00:00Z'),
      ev('email_delivered', '2024-02-10T12:01:00Z'),
      ev('email_delivered', '2024-02-20T12:00:00Z'),
      ev('email_sent', '2024-01-10T12:00:00Z'),
    ];
    expect(build(unkeyed, '2024-03-01T00:00:00Z')).toMatchObject({ emailsSent30d: 2, emailsSent90d: 2 });
  });

  it('bins human opens by local hour', () => {
    const hist = Array.from(
      { length: 24 },
      (_, h) => f[`openHour_${String(h).padStart(2, '0')}` as keyof FeatureValues],
    );
    const expected = new Array(24).fill(0);
    for (const h of [9, 10, 12, 19, 23]) expected[h] = 1;
    expect(hist).toEqual(expected);
  });
});

describe('browsing and categories folds', () => {
  const s = (id: string) => ({ sessionId: id });
  const events = [
    ev(
      'product_viewed',
      '2024-01-10T10:00:00Z',
      { productId: 'p4', category: 'coats', price: 500, timeOnPageSec: 99 },
      s('s3'),
    ), // older than 30 days
    ev(
      'product_viewed',
      '2024-02-10T09:00:00Z',
      { productId: 'p3', category: 'coats', price: 300, timeOnPageSec: 20 },
      s('s2'),
    ),
    ev('order_completed', '2024-02-15T09:00:00Z', {
      orderId: 'o',
      revenue: 300,
      items: [{ productId: 'p3', category: 'coats', price: 300, quantity: 1 }],
    }),
    ev(
      'product_viewed',
      '2024-02-27T10:00:00Z',
      { productId: 'p1', category: 'shoes', price: 100, timeOnPageSec: 30 },
      s('s1'),
    ),
    ev(
      'product_viewed',
      '2024-02-27T10:05:00Z',
      { productId: 'p1', category: 'shoes', price: 100, timeOnPageSec: 50 },
      s('s1'),
    ),
    ev('product_viewed', '2024-02-27T10:10:00Z', { productId: 'p2', category: 'bags', price: 20 }, s('s1')),
    // no sessionId: 12:00 and 12:20 are one session, 13:00 another
    ev('page_viewed', '2024-02-28T12:00:00Z', { path: '/' }),
    ev('page_viewed', '2024-02-28T12:20:00Z', { path: '/a' }),
    ev('page_viewed', '2024-02-28T13:00:00Z', { path: '/b' }),
    ev('products_searched', '2024-02-28T13:01:00Z', { query: 'red' }),
  ];

  it('counts views, sessions and attention', () => {
    const f = build(events, '2024-03-01T00:00:00Z');
    expect(f).toMatchObject({
      productViews7d: 3,
      productViews30d: 4,
      pageViews30d: 3,
      searches30d: 1,
      sessions7d: 3,
      sessions30d: 4,
      productViewTimeSec30d: 100,
      distinctProductsViewed30d: 3,
      productsViewedRepeatedly30d: 1,
    });
    expect(f.productViewTimeMeanSec30d).toBeCloseTo(100 / 3, 9);
  });

  it('finds high-value products viewed and not bought', () => {
    expect(build(events, '2024-03-01T00:00:00Z', 'UTC', 90).highValueViewedNotBought30d).toBe(1); // p1; p3 was bought
    // the customer's own 75th percentile of 20, 100, 300 is 200: only p3 is above, and it was bought
    expect(build(events, '2024-03-01T00:00:00Z').highValueViewedNotBought30d).toBe(0);
  });

  it('ranks categories by views plus purchases over all time', () => {
    expect(build(events, '2024-03-01T00:00:00Z')).toMatchObject({
      topCategory1: 'coats',
      topCategory2: 'shoes',
      topCategory3: 'bags',
    });
  });
});

describe('carts fold', () => {
  const events = [
    ev('cart_item_added', '2023-12-10T10:00:00Z', { cartId: 'D', productId: 'x', price: 5, quantity: 1 }),
    ev('checkout_started', '2024-01-05T10:00:00Z', { checkoutId: 'co3', value: 5 }),
    ev('cart_item_added', '2024-02-20T10:00:00Z', { cartId: 'A', productId: 'a', price: 5, quantity: 1 }),
    ev('cart_item_added', '2024-02-20T10:05:00Z', { cartId: 'A', productId: 'b', price: 5, quantity: 1 }),
    ev('checkout_started', '2024-02-20T10:10:00Z', { checkoutId: 'co1', cartId: 'A', value: 10 }),
    ev('checkout_step_completed', '2024-02-20T10:11:00Z', { checkoutId: 'co1', step: 'contact', stepIndex: 1 }),
    ev('checkout_step_completed', '2024-02-20T10:12:00Z', { checkoutId: 'co1', step: 'shipping' }),
    ev('checkout_step_viewed', '2024-02-20T10:13:00Z', { checkoutId: 'co1', step: 'payment', stepIndex: 3 }),
    ev('cart_item_added', '2024-02-25T09:00:00Z', { cartId: 'B', productId: 'c', price: 5, quantity: 1 }),
    ev('checkout_started', '2024-02-25T11:00:00Z', { checkoutId: 'co2', cartId: 'B' }),
    ...[1, 2, 3, 4].map((i) =>
      ev('checkout_step_completed', `2024-02-25T11:0${i}:00Z`, { checkoutId: 'co2', stepIndex: i }),
    ),
    ev('order_completed', '2024-02-25T12:00:00Z', { orderId: 'o', checkoutId: 'co2', revenue: 5 }),
    ev('cart_item_added', '2024-02-29T12:00:00Z', { cartId: 'C', productId: 'd', price: 5, quantity: 1 }), // 12 h before asOf: pending
  ];

  it('counts adds and abandoned carts by window', () => {
    const f = build(events, '2024-03-01T00:00:00Z');
    expect(f).toMatchObject({ cartAdds30d: 4, cartAdds90d: 5, cartAbandons30d: 1, cartAbandons90d: 2 });
  });

  it('finds where checkouts are dropped', () => {
    const f = build(events, '2024-03-01T00:00:00Z');
    expect(f).toMatchObject({
      checkouts90d: 3,
      checkoutAbandons90d: 2,
      checkoutLastDropStep: 2, // co1: shipping completed, payment seen
      checkoutDropsStep0: 1, // co3
      checkoutDropsStep1: 0,
      checkoutDropsStep2: 1,
      checkoutDropsStep3: 0,
      checkoutDropsStep4: 0,
    });
  });

  it('waits for the abandonment delay before calling a cart abandoned', () => {
    const f = build(events, '2024-03-01T00:00:00Z');
    const later = build(events, '2024-03-02T00:00:01Z'); // C's 24 h are over
    expect(later.cartAbandons30d).toBe(f.cartAbandons30d! + 1);
    expect(build(events, '2024-03-01T00:00:00Z', 'UTC').checkoutLastDropStep).toBe(2);
  });
});

describe('activity fold', () => {
  it('computes tenure, preferred device (ties to the most recent) and 90-day channel counts', () => {
    const f = build(
      [
        ev('page_viewed', '2023-03-01T00:00:00Z', {}, { device: 'mobile' }),
        ev('page_viewed', '2023-03-02T00:00:00Z', {}, { device: 'mobile' }),
        ev('page_viewed', '2024-02-01T00:00:00Z', {}, { device: 'desktop' }),
        ev('app_opened', '2024-02-02T00:00:00Z', {}, { device: 'desktop' }),
        ev('support_ticket_opened', '2024-02-03T00:00:00Z', { ticketId: 't', topic: 'returns' }),
        ev('sms_clicked', '2024-02-04T00:00:00Z', { campaignId: 'c' }),
        ev('sms_clicked', '2023-06-04T00:00:00Z', { campaignId: 'c' }), // outside 90 days
        ev('email_sent', '2024-02-20T00:00:00Z', { messageId: 'm' }), // not the customer's doing
      ],
      '2024-03-01T00:00:00Z',
    );
    expect(f).toMatchObject({
      tenureDays: 366,
      preferredDevice: 'desktop',
      supportTickets90d: 1,
      smsClicks90d: 1,
      appOpens90d: 1,
      daysSinceLastActivity: 26,
    });
  });
});

/** A small seeded random history: enough variety to exercise every fold. */
function randomHistory(seed: number, from: number, to: number): Ev[] {
  let s = seed;
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const types = [
    'page_viewed',
    'product_viewed',
    'cart_item_added',
    'checkout_started',
    'checkout_step_completed',
    'order_completed',
    'order_refunded',
    'email_sent',
    'email_opened',
    'email_clicked',
    'app_opened',
    'sms_clicked',
    'support_ticket_opened',
    'custom_thing',
  ];
  const out: Ev[] = [];
  for (let i = 0; i < 300; i++) {
    const type = types[Math.floor(rand() * types.length)]!;
    const ts = new Date(from + rand() * (to - from)).toISOString();
    const n = Math.floor(rand() * 8);
    out.push(
      ev(
        type,
        ts,
        {
          orderId: `o${n}`,
          revenue: 10 + n * 7,
          productId: `p${n}`,
          category: `c${n % 3}`,
          price: n * 20,
          cartId: `k${n % 2}`,
          checkoutId: `co${n % 2}`,
          stepIndex: 1 + (n % 4),
          messageId: `m${n}`,
          timeOnPageSec: n * 3,
          items: [{ productId: `p${n}`, category: `c${n % 3}`, price: n * 20, quantity: 1 }],
        },
        { device: ['desktop', 'mobile', 'tablet'][n % 3], sessionId: n % 2 ? `s${Math.floor(i / 10)}` : undefined },
      ),
    );
  }
  return sorted(out);
}

describe('buildFeatures', () => {
  const from = Date.parse('2023-01-01T00:00:00Z');
  const to = Date.parse('2024-06-01T00:00:00Z');

  it('never uses events at or after asOf', () => {
    for (const seed of [1, 2, 3]) {
      const history = randomHistory(seed, from, to);
      for (const asOf of ['2023-06-01T00:00:00Z', '2024-01-15T12:34:56Z', '2024-05-31T00:00:00Z']) {
        const cut = Date.parse(asOf);
        const past = history.filter((e) => +e.ts < cut);
        const future = [
          ev('order_completed', asOf, { orderId: 'future', revenue: 1e6 }),
          ev('email_opened', asOf, { messageId: 'zz' }),
          ...history.filter((e) => +e.ts >= cut),
        ];
        for (const tz of ['UTC', 'Australia/Sydney']) {
          expect(buildFeatures(sorted([...past, ...future]), { asOf: cut, timezone: tz })).toEqual(
            buildFeatures(past, { asOf: cut, timezone: tz }),
          );
        }
      }
    }
  });

  it('outputs exactly the catalogue, in its order, whatever the history', () => {
    expect(Object.keys(buildFeatures([], { asOf: to }))).toEqual(featureNames);
    expect(Object.keys(buildFeatures(randomHistory(9, from, to), { asOf: to, timezone: 'Europe/Paris' }))).toEqual(
      featureNames,
    );
  });

  it('gives every value the catalogue type', () => {
    const f = buildFeatures(randomHistory(4, from, to), { asOf: to }) as unknown as Record<string, unknown>;
    for (const entry of featureCatalog) {
      const v = f[entry.name];
      if (v !== null) expect(typeof v, entry.name).toBe(entry.type);
      if (typeof v === 'number') expect(Number.isFinite(v), entry.name).toBe(true);
    }
  });

  it('ignores unknown event types, even for tenure', () => {
    const history = [ev('page_viewed', '2024-01-01T00:00:00Z')];
    const withCustom = [ev('custom_signup_quiz', '2023-01-01T00:00:00Z'), ...history];
    expect(buildFeatures(withCustom, { asOf: to })).toEqual(buildFeatures(history, { asOf: to }));
  });

  it('refuses unsorted events', () => {
    const history = [ev('page_viewed', '2024-01-02T00:00:00Z'), ev('page_viewed', '2024-01-01T00:00:00Z')];
    expect(() => buildFeatures(history, { asOf: to })).toThrow(/sorted/);
  });
});

describe('featureCatalog', () => {
  it('describes each feature once, with its window, unit and type', () => {
    expect(new Set(featureNames).size).toBe(featureNames.length);
    for (const f of featureCatalog) {
      expect(f.description.length, f.name).toBeGreaterThan(10);
      expect(f.unit, f.name).not.toBe('');
      expect(f.window, f.name).not.toBe('');
    }
    expect(featureNames).toContain('openHour_00');
    expect(featureNames).toContain('openHour_23');
  });

  it('renders as a Markdown table with a row per feature', () => {
    const md = featureCatalogMarkdown();
    const lines = md.trim().split('\n');
    expect(lines[0]).toMatch(/^\| feature \| group \| type \| unit \| window \| meaning \|$/);
    expect(lines).toHaveLength(featureCatalog.length + 2);
    expect(md).toContain('| `recencyDays` | orders | number | days | all time |');
  });
});
