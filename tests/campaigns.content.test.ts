import { beforeAll, describe, expect, it } from 'vitest';
import { templateCatalog } from '../src/campaigns/content/catalog.js';
import { compileTemplate } from '../src/campaigns/content/compileTemplate.js';
import { buildPersonalisation, engagementLevel } from '../src/campaigns/content/personalisation.js';
import { buildRecommendationStats } from '../src/campaigns/content/recommendationStats.js';
import { createRenderer } from '../src/campaigns/content/renderer.js';
import { stepTemplateKeys, type MessageData, type ProductCard, type Renderer } from '../src/campaigns/content/types.js';
import { verifyToken } from '../src/campaigns/tracking/tokens.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';

const secret = Buffer.alloc(32, 7);
const track = { track: (url: string) => `T(${url})` };

describe('compileTemplate', () => {
  it('escapes values in HTML, not in text, and fills loops and conditions', () => {
    const source =
      '{{#each items}}<b>{{name}}</b>{{#if quantity}} ×{{quantity}}{{else}} -{{/if}} {{money price}};{{/each}}{{#if none}}X{{/if}}<a href="{{track url}}">{{title}}</a>';
    const data = {
      title: 'A & B',
      url: 'https://x/?a=1&b=2',
      currency: 'EUR',
      none: [],
      items: [
        { name: '<script>', quantity: 2, price: 3.5 },
        { name: 'Tea "Earl"', price: 10 },
      ],
    };
    expect(compileTemplate(source, 'html')(data, track)).toBe(
      '<b>&lt;script&gt;</b> ×2 €3.50;<b>Tea &quot;Earl&quot;</b> - €10.00;<a href="T(https://x/?a=1&amp;b=2)">A &amp; B</a>',
    );
    expect(compileTemplate('{{name}}', 'text')({ name: '<b>&' }, track)).toBe('<b>&');
    // A total is shown in its own object's currency before the one in scope.
    expect(
      compileTemplate('{{money order.total}} {{money price}}', 'text')(
        { currency: 'USD', price: 2, order: { total: 27, currency: 'EUR' } },
        track,
      ),
    ).toBe('€27.00 $2.00');
  });

  it('refuses unbalanced blocks and unknown helpers', () => {
    expect(() => compileTemplate('{{#each a}}x', 'html')).toThrow(/never closed/);
    expect(() => compileTemplate('{{#if a}}x{{/each}}', 'html')).toThrow(/closes/);
    expect(() => compileTemplate('{{shout a}}', 'html')).toThrow(/unknown helper/);
  });
});

const card = (i: number, category = 'coffee'): ProductCard => ({
  productId: `p${i}`,
  name: `Product ${i}`,
  category,
  price: 10 + i,
  currency: 'USD',
  url: `https://shop.example.com/p/${i}`,
});

function messageData(overrides: Partial<MessageData> = {}): MessageData {
  return {
    messageId: '6661f0c2a1b2c3d4e5f60718',
    customerId: 'c-1',
    to: 'ana@example.com',
    firstName: 'Ana',
    engagement: 'high',
    favouriteCategory: 'coffee',
    viewedProducts: [card(1)],
    cart: {
      cartId: 'k1',
      items: [{ ...card(2), quantity: 2 }],
      total: 24,
      currency: 'USD',
      url: 'https://shop.example.com/cart',
    },
    recommendations: {
      recentlyViewed: [card(1)],
      boughtTogether: [card(3), card(4)],
      replenishment: [card(5)],
      bestSellers: [card(6)],
      newArrivals: [card(7)],
    },
    incentive: { type: 'discount', percent: 10, code: 'SAVE10' },
    reviews: [{ productName: 'Product 2', rating: 5, quote: 'Lovely', author: 'Bo' }],
    ...overrides,
  };
}

describe('renderer', () => {
  let renderer: Renderer;
  beforeAll(async () => {
    renderer = await createRenderer({
      publicUrl: 'https://t.example',
      shopUrl: 'https://shop.example.com',
      secret,
      mailDomain: 'shop.example.com',
      shopName: 'Bean & Leaf',
    });
  }, 60_000);

  it('renders every step, with a text part, a pixel and nothing left unfilled', () => {
    for (const step of stepTemplateKeys) {
      for (const length of ['full', 'short'] as const) {
        const out = renderer.render(
          step,
          { length },
          messageData({
            confirmUrl: 'https://t.example/confirm/x',
            order: { orderId: 'o-9', items: [{ ...card(8), quantity: 1 }], total: 18, currency: 'USD' },
          }),
        );
        expect(out.subject.length, step).toBeGreaterThan(5);
        expect(out.html, step).not.toMatch(/\{\{|\}\}|<bc-|<mj-/);
        expect(out.text, step).not.toMatch(/\{\{|<[a-z]/);
        expect(out.html, step).toContain('https://t.example/o/');
        expect(out.kind).toBe(templateCatalog[step].kind);
      }
    }
  });

  it('chooses subject lines by trigger and variant, falling back when a value is missing', () => {
    expect(renderer.render('cart_1h', {}, messageData()).subject).toBe('Still thinking about that Product 2?');
    expect(renderer.render('cart_72h', {}, messageData()).subject).toBe('Complete your order and save 10%');
    expect(
      renderer.render('cart_72h', {}, messageData({ incentive: { type: 'free_shipping', code: 'SHIP' } })).subject,
    ).toBe('Complete your order with free shipping');
    expect(renderer.render('winback_new_arrivals', {}, messageData()).subject).toBe('New arrivals in coffee');
    expect(
      renderer.render(
        'winback_incentive',
        { subject: 0 },
        messageData({ incentive: { type: 'discount', percent: 15, code: 'BACK15' } }),
      ).subject,
    ).toBe("We miss you! Here's 15% off");
    expect(renderer.render('winback_miss_you', { subject: 1 }, messageData()).subject).toBe(
      'We miss you at Bean & Leaf!',
    );
    const { firstName: _, ...anonymous } = messageData();
    expect(renderer.render('winback_miss_you', {}, anonymous).subject).toBe('We miss you at Bean & Leaf!');
  });

  it('tracks every shop link through a signed click token naming a recorded link', () => {
    const out = renderer.render('post_purchase_cross_sell', {}, messageData());
    expect(out.links.map((l) => l.url)).toEqual(
      expect.arrayContaining([
        'https://shop.example.com',
        'https://shop.example.com/p/3',
        'https://shop.example.com/p/4',
      ]),
    );
    const clickUrls = [...out.html.matchAll(/https:\/\/t\.example\/c\/([\w.-]+)\/(l\d+)/g)];
    expect(clickUrls.length).toBeGreaterThan(2);
    for (const [, token, link] of clickUrls) {
      expect(verifyToken(secret, token!, 'c')).toMatchObject({
        ok: true,
        value: { m: '6661f0c2a1b2c3d4e5f60718', c: 'c-1' },
      });
      expect(out.links.map((l) => l.id)).toContain(link);
    }
    // One signature per message serves all its links.
    expect(new Set(clickUrls.map((m) => m[1])).size).toBe(1);
    expect(out.html).not.toContain('href="https://shop.example.com/p/3"');
    expect(out.text).toContain('Product 3 (https://t.example/c/');
  });

  it('escapes customer data in HTML and adds unsubscribe links only to marketing mail', () => {
    const out = renderer.render('cart_1h', {}, messageData({ firstName: '<img src=x onerror=alert(1)>' }));
    expect(out.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out.html).not.toContain('<img src=x');
    expect(out.unsubscribe?.url).toMatch(/^https:\/\/t\.example\/u\//);
    expect(out.unsubscribe?.mailto).toMatch(/^mailto:unsubscribe@shop\.example\.com\?subject=unsubscribe%20/);
    expect(out.html).toContain(out.unsubscribe!.url);
    const receipt = renderer.render(
      'post_purchase_confirmation',
      {},
      messageData({ order: { orderId: 'o-1', items: [{ ...card(2), quantity: 1 }], total: 12, currency: 'USD' } }),
    );
    expect(receipt.kind).toBe('transactional');
    expect(receipt.unsubscribe).toBeUndefined();
    expect(receipt.html).not.toContain('/u/');
  });

  it('gives low-engagement readers the short version', () => {
    const full = renderer.render('welcome_brand', {}, messageData());
    const short = renderer.render('welcome_brand', {}, messageData({ engagement: 'low' }));
    expect(full.text).toContain('returns are free');
    expect(short.text).not.toContain('returns are free');
    expect(renderer.render('welcome_brand', { length: 'full' }, messageData({ engagement: 'low' })).text).toContain(
      'returns are free',
    );
  });
});

describe('engagementLevel', () => {
  it('reads the open and click rates', () => {
    expect(engagementLevel({ emailOpenRate90d: 0.5 })).toBe('high');
    expect(engagementLevel({ emailOpenRate90d: 0.2, emailClickRate90d: 0.1 })).toBe('high');
    expect(engagementLevel({ emailOpenRate90d: 0.2 })).toBe('medium');
    expect(engagementLevel({ emailOpenRate90d: 0.02 })).toBe('low');
    expect(engagementLevel({ emailOpenRate90d: null })).toBe('medium');
  });
});

describe('buildPersonalisation', () => {
  const database = useTestDatabase();
  const now = new Date('2026-06-01T12:00:00Z');
  const day = 86_400_000;

  beforeAll(async () => {
    const products = [
      {
        _id: 'beans',
        name: 'House Beans',
        category: 'coffee',
        price: 14,
        replenishDays: 20,
        url: 'https://shop.example.com/beans',
      },
      { _id: 'grinder', name: 'Burr Grinder', category: 'kitchen', price: 60 },
      { _id: 'mug', name: 'Stone Mug', category: 'kitchen', price: 12 },
      { _id: 'filter', name: 'Paper Filters', category: 'coffee', price: 5 },
      { _id: 'tea', name: 'Green Tea', category: 'tea', price: 9 },
    ];
    await database().models.Product.insertMany(products);
    const categoryOf = new Map(products.map((p) => [p._id, p.category]));
    await addCustomers(database(), [{ id: 'ana', email: 'ana@example.com', firstName: 'Ana' }, { id: 'nomail' }]);
    const order = (id: string, customerId: string, at: number, items: string[]) =>
      eventSchema.parse({
        eventId: id,
        type: 'order_completed',
        customerId,
        timestamp: at,
        properties: {
          orderId: id,
          revenue: 20,
          items: items.map((productId) => ({ productId, category: categoryOf.get(productId), price: 5, quantity: 1 })),
        },
      });
    // Ana opened 3 of her last 5 mails (an open rate of 0.6: highly engaged). Her features are
    // current, as of the wall clock, so the mails are in the days before it, not before `now`.
    const mail = (i: number, type: 'email_sent' | 'email_opened') =>
      eventSchema.parse({
        eventId: `${type}-${i}`,
        type,
        customerId: 'ana',
        timestamp: Date.now() - (6 - i) * day + (type === 'email_opened' ? 3_600_000 : 0),
        properties: { messageId: `mail-${i}` },
      });
    const view = (id: string, customerId: string, at: number, productId: string) =>
      eventSchema.parse({ eventId: id, type: 'product_viewed', customerId, timestamp: at, properties: { productId } });
    await storeEvents(
      database(),
      [
        order('o1', 'bo', now.getTime() - 5 * day, ['beans', 'filter']),
        order('o2', 'cy', now.getTime() - 4 * day, ['beans', 'filter', 'mug']),
        order('o3', 'dee', now.getTime() - 3 * day, ['grinder', 'beans']),
        order('o4', 'ana', now.getTime() - 25 * day, ['beans']),
        view('v1', 'ana', now.getTime() - 2 * day, 'tea'),
        view('v2', 'ana', now.getTime() - 1 * day, 'grinder'),
        ...[1, 2, 3, 4, 5].map((i) => mail(i, 'email_sent')),
        ...[1, 2, 3].map((i) => mail(i, 'email_opened')),
      ],
      'api',
    );
    await buildRecommendationStats(database(), now);
  });

  it('recommends co-purchases, replenishment, recent views and best sellers from stored behaviour', async () => {
    const result = await buildPersonalisation(database(), 'ana', {
      messageId: 'm1',
      cart: { cartId: 'k', items: [{ productId: 'mug', quantity: 2 }] },
      now,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const data = result.value;
    expect(data).toMatchObject({
      to: 'ana@example.com',
      firstName: 'Ana',
      engagement: 'high',
      favouriteCategory: 'coffee',
    });
    expect(data.cart).toMatchObject({ total: 24, items: [{ productId: 'mug', quantity: 2, name: 'Stone Mug' }] });
    expect(data.cart!.items[0]).not.toHaveProperty('soldCount');
    // filter was bought with beans twice (and with mug once), beans with everything.
    expect(data.recommendations.boughtTogether.map((p) => p.productId)).toEqual(['filter', 'grinder']);
    expect(data.recommendations.replenishment.map((p) => p.productId)).toEqual(['beans']);
    expect(data.recommendations.recentlyViewed.map((p) => p.productId)).toEqual(['grinder', 'tea']);
    expect(data.recommendations.bestSellers[0]).toMatchObject({ productId: 'filter', soldCount: 2 });
    expect(data.recommendations.bestSellers.map((p) => p.productId)).not.toContain('beans');
  });

  it('reports customers it cannot mail', async () => {
    expect(await buildPersonalisation(database(), 'nobody', { messageId: 'm' })).toEqual({
      ok: false,
      error: { type: 'unknown_customer', customerId: 'nobody' },
    });
    expect(await buildPersonalisation(database(), 'nomail', { messageId: 'm' })).toEqual({
      ok: false,
      error: { type: 'no_address', customerId: 'nomail' },
    });
  });
});
