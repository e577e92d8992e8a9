import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { checkBudget, defaultBudget } from '../src/campaigns/dispatch/budget.js';
import { scanDateTriggers } from '../src/campaigns/dispatch/collectTriggers.js';
import { sendTimeFor } from '../src/campaigns/dispatch/schedule.js';
import { builtInFlows } from '../src/campaigns/flows/builtInFlows.js';
import { exitReason, exitSignalOf } from '../src/campaigns/flows/conditions.js';
import { durationMs, flowSchema, type FlowInput } from '../src/campaigns/flows/flowSchema.js';
import { eventKey, hitsOf, type TriggerEvent } from '../src/campaigns/flows/triggers.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => new Date(iso).getTime();
const event = (type: string, iso: string, props: Record<string, unknown> = {}): TriggerEvent => ({
  eventId: `e-${type}-${iso}`,
  type,
  customerId: 'c1',
  ts: new Date(iso),
  props,
});

describe('flow schema', () => {
  const valid: FlowInput = {
    id: 'birthday',
    name: 'Birthday',
    trigger: { type: 'date_property', property: 'traits.birthday', annual: true },
    steps: [{ id: 'hi', delay: '0m', template: 'welcome_discount' }],
  };

  it('accepts the built-in flows, with the series the issue asks for', () => {
    expect(builtInFlows.map((f) => f.id)).toEqual([
      'welcome-website',
      'welcome-post-purchase',
      'abandoned-cart',
      'browse-abandonment',
      'post-purchase',
      'first-purchase',
      'win-back',
      'replenishment',
      'churn-save-offer',
      'vip-welcome',
    ]);
    expect(builtInFlows.find((f) => f.id === 'win-back')!.yieldTo).toEqual(['churn-save-offer']);
    const cart = builtInFlows.find((f) => f.id === 'abandoned-cart')!;
    expect(cart.steps.map((s) => durationMs(s.delay) / H)).toEqual([1, 24, 72, 168]);
    expect(cart.exitOn).toContain('recovered');
    const post = builtInFlows.find((f) => f.id === 'post-purchase')!;
    expect(post.steps[0]).toMatchObject({ transactional: true, delay: '0m' });
    expect(post.steps.at(-1)).toMatchObject({ template: 'post_purchase_replenishment', delayFromReplenishment: true });
  });

  it('names what is wrong', () => {
    const issues = (input: unknown) =>
      flowSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(flowSchema.safeParse(valid).success).toBe(true);
    expect(issues({ ...valid, steps: [{ id: 'a', delay: '2 days', template: 'welcome_brand' }] })[0]).toMatch(
      /^steps\.0\.delay: a duration/,
    );
    expect(
      issues({
        ...valid,
        steps: [
          { id: 'a', delay: '2d', template: 'welcome_brand' },
          { id: 'b', delay: '1d', template: 'welcome_brand' },
        ],
      }),
    ).toEqual(['steps.1.delay: steps must be in delay order']);
    expect(issues({ ...valid, steps: [{ id: 'a', delay: '1d', template: 'nope' }] })[0]).toMatch(/^steps\.0\.template/);
    expect(issues({ ...valid, exitOn: ['recovered'] })[0]).toMatch(/^exitOn: "recovered" needs/);
    expect(
      issues({ ...valid, steps: [{ id: 'a', delay: '1d', template: 'welcome_brand', variants: [{ name: 'only' }] }] }),
    ).toEqual(['steps.0.variants: an A/B test needs at least two variants']);
    expect(issues({ ...valid, exitOn: ['score_fell'] })).toEqual([
      'exitOn: "score_fell" needs a churn_risk or ltv_tier trigger (the score that can fall back)',
    ]);
    expect(issues({ ...valid, trigger: { type: 'ltv_tier', to: 'gold' } })[0]).toMatch(/^trigger\.to: /);
    expect(issues({ ...valid, trigger: { type: 'churn_risk', threshold: 1.5 } })[0]).toMatch(/^trigger\.threshold: /);
    expect(issues({ ...valid, id: 'self', yieldTo: ['self'] })).toEqual(['yieldTo: a flow cannot wait for itself']);
  });
});

describe('triggers and exits', () => {
  const flows = builtInFlows;

  it('keys a cart series by cart id and a welcome by signup source', () => {
    const cart = flows.find((f) => f.id === 'abandoned-cart')!;
    expect(
      eventKey(cart.trigger, event('cart_item_added', '2026-02-01T10:00:00Z', { cartId: 'k1', productId: 'p' })),
    ).toBe('k1');
    expect(eventKey(cart.trigger, event('cart_item_added', '2026-02-01T10:00:00Z', { productId: 'p' }))).toBeNull();
    const signup = (source: string) =>
      hitsOf(flows, event('identify', '2026-02-01T10:00:00Z', { traits: { signupSource: source } })).map(
        (h) => h.flowId,
      );
    expect(signup('website')).toEqual(['welcome-website']);
    expect(signup('post_purchase')).toEqual(['welcome-post-purchase']);
    expect(signup('unknown')).toEqual([]);
  });

  it('lets a customer back into browse abandonment a week later, not before', () => {
    const browse = flows.find((f) => f.id === 'browse-abandonment')!.trigger;
    const k = (iso: string) => eventKey(browse, event('product_viewed', iso, { productId: 'p' }));
    expect(k('2026-02-02T10:00:00Z')).toBe(k('2026-02-03T10:00:00Z'));
    expect(k('2026-02-02T10:00:00Z')).not.toBe(k('2026-02-12T10:00:00Z'));
  });

  it('tells a recovered cart from any other order, and ignores what came before the trigger', () => {
    const cart = flows.find((f) => f.id === 'abandoned-cart')!;
    const enrollment = { key: 'k1', anchorAt: new Date('2026-02-01T10:00:00Z'), context: { checkoutIds: ['co1'] } };
    const order = (iso: string, props: Record<string, unknown>) =>
      exitSignalOf(event('order_completed', iso, props), new Map([['co2', 'k1']]))!;
    expect(exitReason(cart, enrollment, [order('2026-02-01T12:00:00Z', { orderId: 'o', checkoutId: 'co1' })])).toBe(
      'recovered',
    );
    expect(exitReason(cart, enrollment, [order('2026-02-01T12:00:00Z', { orderId: 'o', checkoutId: 'co2' })])).toBe(
      'recovered',
    );
    expect(exitReason(cart, enrollment, [order('2026-02-01T12:00:00Z', { orderId: 'o' })])).toBe('ordered');
    expect(
      exitReason(cart, enrollment, [order('2026-02-01T09:00:00Z', { orderId: 'o', checkoutId: 'co1' })]),
    ).toBeNull();
    const unsubscribed = exitSignalOf(
      event('identify', '2026-02-02T00:00:00Z', { consent: { email: false } }),
      new Map(),
    )!;
    expect(exitReason(cart, enrollment, [unsubscribed])).toBe('unsubscribed');
  });
});

describe('send time', () => {
  const base = { immediate: false, transactional: false };

  it('sends at the best local hour, across timezones', () => {
    // Due 09:30 in New York (UTC−5): best hour 18 → 23:00 UTC the same day.
    expect(sendTimeFor({ ...base, due: at('2026-02-02T14:30:00Z'), timezone: 'America/New_York', bestHour: 18 })).toBe(
      at('2026-02-02T23:00:00Z'),
    );
    // Due 19:00 in Tokyo (UTC+9): best hour 9 → the next morning, 00:00 UTC.
    expect(sendTimeFor({ ...base, due: at('2026-02-02T10:00:00Z'), timezone: 'Asia/Tokyo', bestHour: 9 })).toBe(
      at('2026-02-03T00:00:00Z'),
    );
    // Inside the best hour already: at once. No best hour: 10:00 local.
    expect(sendTimeFor({ ...base, due: at('2026-02-02T18:20:00Z'), timezone: 'UTC', bestHour: 18 })).toBe(
      at('2026-02-02T18:20:00Z'),
    );
    expect(sendTimeFor({ ...base, due: at('2026-02-02T11:00:00Z'), timezone: 'Europe/Lisbon' })).toBe(
      at('2026-02-03T10:00:00Z'),
    );
  });

  it('keeps quiet hours: best hours inside them move out, urgent mail waits for 08:00, transactional never waits', () => {
    expect(sendTimeFor({ ...base, due: at('2026-02-02T12:00:00Z'), timezone: 'UTC', bestHour: 23 })).toBe(
      at('2026-02-02T20:00:00Z'),
    );
    expect(sendTimeFor({ ...base, due: at('2026-02-02T12:00:00Z'), timezone: 'UTC', bestHour: 3 })).toBe(
      at('2026-02-03T08:00:00Z'),
    );
    expect(sendTimeFor({ ...base, immediate: true, due: at('2026-02-02T22:30:00Z'), timezone: 'UTC' })).toBe(
      at('2026-02-03T08:00:00Z'),
    );
    expect(sendTimeFor({ ...base, immediate: true, due: at('2026-02-02T06:30:00Z'), timezone: 'UTC' })).toBe(
      at('2026-02-02T08:00:00Z'),
    );
    expect(sendTimeFor({ ...base, immediate: true, due: at('2026-02-02T12:00:00Z'), timezone: 'UTC' })).toBe(
      at('2026-02-02T12:00:00Z'),
    );
    expect(sendTimeFor({ ...base, transactional: true, due: at('2026-02-02T02:00:00Z'), timezone: 'UTC' })).toBe(
      at('2026-02-02T02:00:00Z'),
    );
    expect(
      sendTimeFor({
        ...base,
        immediate: true,
        due: at('2026-02-02T12:00:00Z'),
        timezone: 'UTC',
        quiet: { start: 11, end: 13 },
      }),
    ).toBe(at('2026-02-02T13:00:00Z'));
  });

  it('keeps the local hour across a daylight-saving change', () => {
    // New York moves to UTC−4 on 8 March 2026: 18:00 local is 22:00 UTC after it.
    expect(sendTimeFor({ ...base, due: at('2026-03-08T12:00:00Z'), timezone: 'America/New_York', bestHour: 18 })).toBe(
      at('2026-03-08T22:00:00Z'),
    );
  });
});

describe('frequency budget', () => {
  it('allows up to the level’s count in the window, then says when a slot frees up', () => {
    const now = at('2026-02-10T12:00:00Z');
    const sends = [now - 6 * D, now - 2 * D];
    expect(checkBudget(defaultBudget.high, sends, now)).toEqual({ ok: true });
    expect(checkBudget(defaultBudget.medium, sends, now)).toEqual({ ok: false, retryAt: now + D });
    expect(checkBudget(defaultBudget.low, [now - 40 * D, now - 20 * D], now)).toEqual({ ok: true });
    expect(checkBudget(defaultBudget.low, [now - 25 * D, now - 20 * D], now)).toEqual({
      ok: false,
      retryAt: now + 5 * D,
    });
  });
});

describe('flow routes', () => {
  const database = useTestDatabase();
  let app: ReturnType<typeof buildApp>;
  let api: OpenApiClient;
  let admin = '';
  let marketer = '';
  const flow = {
    id: 'vip-birthday',
    name: 'VIP birthday',
    trigger: { type: 'date_property', property: 'traits.birthday', annual: true },
    steps: [{ id: 'gift', delay: '0m', template: 'welcome_discount', incentive: 'discount', discountPercent: 20 }],
  };

  beforeAll(async () => {
    app = buildApp({ database: database() });
    api = await openApiClient(app);
    admin = (await createApiKey(database().models, { role: 'admin', name: 'a' })).key;
    marketer = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
  });

  it('lists the built-ins, creates, replaces and refuses bad flows with the field named', async () => {
    const list = await api.get('/v1/flows').set('Authorization', `Bearer ${marketer}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((f: { id: string }) => f.id)).toContain('abandoned-cart');
    expect(list.body.items.find((f: { id: string }) => f.id === 'abandoned-cart').builtIn).toBe(true);

    expect((await api.post('/v1/flows').set('Authorization', `Bearer ${marketer}`).send(flow)).status).toBe(403);
    const created = await api.post('/v1/flows').set('Authorization', `Bearer ${admin}`).send(flow);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'vip-birthday', holdoutShare: 0.1, priority: 50, builtIn: false });
    expect((await api.post('/v1/flows').set('Authorization', `Bearer ${admin}`).send(flow)).status).toBe(400);

    const bad = await api
      .post('/v1/flows')
      .set('Authorization', `Bearer ${admin}`)
      .send({ ...flow, id: 'other', steps: [{ id: 'x', delay: 'soon', template: 'welcome_brand' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe('body.steps.0.delay');

    const put = await api
      .put('/v1/flows/abandoned-cart')
      .set('Authorization', `Bearer ${admin}`)
      .send({ ...builtInFlows.find((f) => f.id === 'abandoned-cart')!, active: false });
    expect(put.status).toBe(200);
    const got = await api.get('/v1/flows/abandoned-cart').set('Authorization', `Bearer ${marketer}`);
    expect(got.body).toMatchObject({ active: false, builtIn: true });
    expect(
      (
        await api
          .put('/v1/flows/nope')
          .set('Authorization', `Bearer ${admin}`)
          .send({ ...flow, id: 'nope' })
      ).status,
    ).toBe(404);

    const experiments = await api.get('/v1/experiments').set('Authorization', `Bearer ${marketer}`);
    expect(experiments.status).toBe(200);
    expect(experiments.body.items).toEqual([]);
  });
});

describe('date triggers', () => {
  const database = useTestDatabase();
  const flows = [
    flowSchema.parse({
      id: 'birthday',
      name: 'Birthday',
      trigger: { type: 'date_property', property: 'traits.birthday', annual: true },
      steps: [{ id: 'a', delay: '0m', template: 'welcome_discount' }],
    }),
  ];

  it('fires on the anniversary', async () => {
    const asOf = new Date('2026-05-10T12:00:00Z');
    await addCustomers(database(), [
      { id: 'bday', traits: { birthday: '1990-05-10T00:00:00Z' } },
      { id: 'other', traits: { birthday: '1990-07-01T00:00:00Z' } },
    ]);
    const hits = await scanDateTriggers(database(), flows, asOf);
    expect(hits.map((h) => `${h.flowId}:${h.customerId}:${h.key}`).sort()).toEqual(['birthday:bday:date:2026-05-10']);
  });
});
