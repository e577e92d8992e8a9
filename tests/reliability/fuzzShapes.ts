import fc from 'fast-check';
import { builtInFlows } from '../../src/campaigns/flows/builtInFlows.js';
import { featureCatalog } from '../../src/features/catalog.js';
import { checkoutSteps, eventTypes } from '../../src/ingest/eventSchemas.js';
import { occasions } from '../../src/segments/calendar.js';

/**
 * What the fuzz targets (fuzz.ts) are made of: valid-ish values shaped like each request schema,
 * hostile values and keys, and the mutations that put the second into the first.
 */

// Hostile values and mutations

/** Values that have broken parsers somewhere: operators, prototype keys, extremes, wrong types. */
const hostileConstants: unknown[] = [
  null,
  -0,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -1,
  0.1,
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '',
  ' ',
  '\u0000',
  '\uFFFD',
  '🙂',
  '2026-13-45T99:99:99Z',
  true,
  [],
  {},
  [[[[[]]]]],
  { $ne: null },
  { $gt: '' },
  { $where: 'sleep(1000) || true' },
  { $function: { body: 'function () { return true }', args: [], lang: 'js' } },
  { $regex: '.*' },
  { $expr: { $eq: [1, 1] } },
  'x'.repeat(5000),
];

const hostileKey = fc.oneof(
  fc.constantFrom(
    '$where',
    '$function',
    '$ne',
    '$set',
    '__proto__',
    'constructor',
    'prototype',
    'a.b',
    '',
    '$',
    'toString',
  ),
  fc.string({ maxLength: 12 }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...hostileConstants).map((v) => structuredClone(v)), weight: 4 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
  // Own `__proto__` / `constructor` keys, which object literals cannot make (they set the prototype).
  {
    arbitrary: fc
      .constantFrom('__proto__', 'constructor', 'prototype')
      .map((k) => withKey({}, k, { polluted: 'yes', prototype: { polluted: 'yes' } })),
    weight: 1,
  },
);

type Path = (string | number)[];
type Mutation = { op: 'set' | 'add' | 'delete' | 'replace'; pick: number; child: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('set', 'add', 'delete', 'replace'),
  pick: fc.nat(),
  child: fc.nat(),
  key: hostileKey,
  value: hostileValue,
});

/** Sets an own property, even `__proto__`. */
function withKey<T extends object>(obj: T, key: string, value: unknown): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

function containers(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (value === null || typeof value !== 'object') return out;
  out.push(path);
  for (const [k, v] of Object.entries(value)) containers(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  return out;
}

function at(root: unknown, path: Path): Record<string | number, unknown> {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root) as Record<
    string | number,
    unknown
  >;
}

/** One mutation somewhere in the tree: a child set to a hostile value, a hostile key added, a key dropped, a container replaced. */
function mutate(root: unknown, m: Mutation): unknown {
  const all = containers(root);
  if (all.length === 0) return m.value;
  const path = all[m.pick % all.length]!;
  const target = at(root, path);
  const keys = Object.keys(target);
  if (m.op === 'replace') {
    if (path.length === 0) return m.value;
    at(root, path.slice(0, -1))[path.at(-1)!] = m.value;
  } else if (m.op === 'add' || keys.length === 0) {
    if (Array.isArray(target)) target.push(m.value);
    else withKey(target, m.key, m.value);
  } else {
    const key = keys[m.child % keys.length]!;
    if (m.op === 'delete') {
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete target[key];
    } else target[key] = m.value;
  }
  return root;
}

/** The valid-ish values of a schema, and the same values with one to three mutations each. */
export function hostile<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  const mutated = fc
    .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([v, ms]) => ms.reduce<unknown>((r, m) => mutate(r, m), structuredClone(v)));
  return fc.oneof({ arbitrary: valid as fc.Arbitrary<unknown>, weight: 1 }, { arbitrary: mutated, weight: 3 });
}

// ---------------------------------------------------------------------------------------------
// Valid-ish shapes, from the request schemas

const id = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,16}$/), fc.string({ minLength: 1, maxLength: 24 }));
const money = fc.double({ min: 0, max: 10_000, noNaN: true });
export const isoPast = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2026-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
export const customerId = fc.constantFrom('fz-c1', 'fz-c2', 'fz-c3', 'fz-c4');
/** Mostly addresses zod accepts; fc.emailAddress() also makes RFC-valid ones (`!#$%@…`) that it refuses. */
export const email = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9]{1,10}@[a-z]{1,8}\.(com|pt)$/), weight: 3 },
  { arbitrary: fc.emailAddress(), weight: 1 },
);

/** Properties that satisfy every event type at once (property objects are loose); mutations break them. */
const eventProperties = fc.record(
  {
    productId: id,
    price: money,
    cartId: id,
    checkoutId: id,
    step: fc.constantFrom(...checkoutSteps),
    orderId: id,
    revenue: money,
    amount: money,
    query: fc.string({ maxLength: 20 }),
    category: id,
    name: id,
    ticketId: id,
    network: id,
    items: fc.array(fc.record({ productId: id, price: money, quantity: fc.integer({ min: 1, max: 5 }) }), {
      maxLength: 3,
    }),
    traits: fc.record(
      { email, timezone: fc.constantFrom('Europe/Lisbon', 'UTC', 'Mars/Olympus') },
      { requiredKeys: [] },
    ),
  },
  {
    requiredKeys: [
      'productId',
      'price',
      'cartId',
      'checkoutId',
      'step',
      'orderId',
      'revenue',
      'amount',
      'query',
      'name',
      'ticketId',
      'network',
    ],
  },
);

export const eventArb = fc.record(
  {
    eventId: fc.uuid(),
    type: fc.constantFrom(...eventTypes),
    customerId,
    anonymousId: id,
    timestamp: fc.oneof(isoPast, fc.integer({ min: 0, max: 1_760_000_000_000 })),
    channel: fc.constantFrom('web', 'app', 'email'),
    device: fc.constantFrom('desktop', 'mobile'),
    properties: eventProperties,
  },
  { requiredKeys: ['eventId', 'type', 'customerId', 'properties'] },
);

const segmentNames = [
  'Order Completed',
  'Product Viewed',
  'Product Added',
  'Checkout Step Viewed',
  'Products Searched',
  'Order Refunded',
  'Email Opened',
  'Something Else',
];
export const segmentMessage = fc.record(
  {
    type: fc.constantFrom('track', 'identify', 'page', 'screen', 'alias', 'group'),
    messageId: fc.uuid(),
    userId: fc.oneof(customerId, fc.integer()),
    anonymousId: id,
    previousId: id,
    event: fc.constantFrom(...segmentNames),
    name: fc.string({ maxLength: 20 }),
    timestamp: isoPast,
    properties: fc.record(
      {
        order_id: id,
        revenue: money,
        products: fc.array(fc.record({ product_id: id, price: money, quantity: fc.integer({ min: 1, max: 3 }) }), {
          maxLength: 2,
        }),
        product_id: id,
        price: money,
        cart_id: id,
        step: fc.integer({ min: 0, max: 6 }),
        query: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: [] },
    ),
    traits: fc.record(
      {
        email: fc.emailAddress(),
        first_name: fc.string({ maxLength: 10 }),
        address: fc.record({ country: fc.constantFrom('PT', 'GB') }),
      },
      { requiredKeys: [] },
    ),
    context: fc.record(
      {
        device: fc.record({ type: fc.constantFrom('mobile', 'ios', 'tablet') }),
        page: fc.record({ path: fc.constantFrom('/', '/shoes') }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['type', 'messageId', 'userId'] },
);

const shopifyLine = fc.record({
  product_id: fc.integer({ min: 1 }),
  title: fc.string({ maxLength: 10 }),
  price: money.map(String),
  quantity: fc.integer({ min: 1, max: 4 }),
});
export const shopifyPayload = fc.record(
  {
    id: fc.integer({ min: 1 }),
    order_id: fc.integer({ min: 1 }),
    token: id,
    cart_token: id,
    customer: fc.record({ id: fc.integer({ min: 1 }), email: fc.emailAddress() }),
    email: fc.emailAddress(),
    created_at: isoPast,
    updated_at: isoPast,
    total_price: money.map((m) => m.toFixed(2)),
    currency: fc.constantFrom('EUR', 'USD'),
    line_items: fc.array(shopifyLine, { maxLength: 3 }),
    transactions: fc.array(fc.record({ kind: fc.constantFrom('refund', 'sale'), amount: money.map(String) }), {
      maxLength: 2,
    }),
    refund_line_items: fc.array(fc.record({ line_item: shopifyLine, quantity: fc.integer({ min: 1, max: 3 }) }), {
      maxLength: 2,
    }),
    first_name: fc.string({ maxLength: 10 }),
    email_marketing_consent: fc.record({ state: fc.constantFrom('subscribed', 'unsubscribed') }),
    shipping_lines: fc.array(fc.record({ title: fc.string({ maxLength: 5 }) }), { maxLength: 1 }),
  },
  { requiredKeys: ['id'] },
);

/** WooCommerce REST v3 shapes (orders, customers, products), changed within the replay window. */
const wooRecent = fc
  .integer({ min: 0, max: 600 })
  .map((m) => new Date(Date.now() - m * 60_000).toISOString().slice(0, 19));
export const wooCommercePayload = fc.record(
  {
    id: fc.integer({ min: 1, max: 1_000_000 }),
    status: fc.constantFrom('pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed'),
    currency: fc.constantFrom('EUR', 'USD'),
    total: money.map((m) => m.toFixed(2)),
    customer_id: fc.integer({ min: 0, max: 1000 }),
    billing: fc.record({ email: fc.emailAddress(), country: fc.constantFrom('PT', 'DE') }),
    line_items: fc.array(
      fc.record({
        product_id: fc.integer({ min: 0 }),
        name: fc.string({ maxLength: 10 }),
        quantity: fc.integer({ min: 1, max: 4 }),
        price: money,
      }),
      { maxLength: 3 },
    ),
    refunds: fc.array(fc.record({ id: fc.integer({ min: 1 }), total: money.map((m) => `-${m.toFixed(2)}`) }), {
      maxLength: 2,
    }),
    date_created_gmt: wooRecent,
    date_modified_gmt: wooRecent,
    date_paid_gmt: fc.option(wooRecent),
    email: fc.emailAddress(),
    username: fc.string({ maxLength: 10 }),
    name: fc.string({ maxLength: 10 }),
    price: money.map((m) => m.toFixed(2)),
    categories: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }) }), { maxLength: 2 }),
  },
  { requiredKeys: ['id'] },
);

const featureNames = featureCatalog.map((f) => `features.${f.name}`);
const ruleField = fc.constantFrom(
  ...featureNames.slice(0, 8),
  'scores.churnRisk',
  'scores.predictedLtv',
  'customer.country',
  'customer.signedUpAt',
  'customer.traits.vipTier',
  'customer.consent.email.status',
  'customer.nope',
  'props.revenue',
);
const scalar = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  isoPast,
);
const durationArb = fc.record(
  { days: fc.integer({ min: 0, max: 400 }), hours: fc.integer({ min: 0, max: 48 }) },
  { requiredKeys: [] },
);
const fieldCondition = fc.record(
  {
    field: ruleField,
    op: fc.constantFrom(
      'eq',
      'ne',
      'gt',
      'gte',
      'lt',
      'lte',
      'between',
      'in',
      'nin',
      'exists',
      'missing',
      'withinLast',
      'moreThanAgo',
      'withinNext',
    ),
    value: scalar,
    values: fc.array(scalar, { minLength: 1, maxLength: 3 }),
    min: scalar,
    max: scalar,
    days: fc.integer({ min: 0, max: 400 }),
  },
  { requiredKeys: ['field', 'op'] },
);
const eventCondition = fc.record({
  event: fc.record(
    {
      type: fc.constantFrom(...eventTypes),
      where: fc.array(
        fc.record(
          {
            field: fc.constantFrom('category', 'price', 'revenue', 'channel', 'step', 'itemProductId'),
            op: fc.constantFrom('eq', 'ne', 'gt', 'in', 'exists'),
            value: scalar,
            values: fc.array(scalar, { minLength: 1, maxLength: 2 }),
          },
          { requiredKeys: ['field', 'op'] },
        ),
        { maxLength: 2 },
      ),
      within: durationArb,
      olderThan: durationArb,
      count: fc.record(
        { gte: fc.integer({ min: 0, max: 10 }), lte: fc.integer({ min: 0, max: 10 }) },
        { requiredKeys: [] },
      ),
      localTime: fc.record({ fromHour: fc.integer({ min: 0, max: 24 }), toHour: fc.integer({ min: 0, max: 24 }) }),
    },
    { requiredKeys: ['type'] },
  ),
});
const leaf = fc.oneof(
  fieldCondition,
  eventCondition,
  fc.record({ quantile: fc.record({ field: ruleField, top: fc.double({ min: 0.01, max: 1, noNaN: true }) }) }),
  fc.record({ season: fc.constantFrom(...occasions, 'monsoon') }),
  fc.record({ categoryInSeason: ruleField }),
);
export const { rule: ruleArb } = fc.letrec<{ rule: unknown; all: unknown; any: unknown; not: unknown }>((tie) => ({
  rule: fc.oneof({ depthSize: 'small' }, leaf, tie('all'), tie('any'), tie('not')),
  all: fc.record({ all: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
  any: fc.record({ any: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
  not: fc.record({ not: tie('rule') }),
}));

export const segmentKey = fc.stringMatching(/^fz-[a-z0-9-]{1,20}$/);
const flowId = fc.stringMatching(/^fz[a-z0-9_-]{1,20}$/);
export const flowArb = fc
  .tuple(fc.constantFrom(...builtInFlows), flowId)
  .map(([flow, fid]) => ({ ...structuredClone(flow), id: fid }));

// ---------------------------------------------------------------------------------------------
// Query strings and path parameters

/** A query value: a plausible one, a hostile one, or the parser tricks (`k[$ne]=`, repeated keys). */
export function queryString(spec: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const hostileText = hostileValue.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')));
  const entries = Object.entries(spec).map(([k, valid]) =>
    fc.option(
      fc.oneof(
        { arbitrary: valid.map((v) => `${k}=${encodeURIComponent(v)}`), weight: 4 },
        { arbitrary: hostileText.map((v) => `${k}=${encodeURIComponent(v)}`), weight: 2 },
        {
          arbitrary: fc
            .tuple(valid, valid)
            .map(([a, b]) => `${k}=${encodeURIComponent(a)}&${k}=${encodeURIComponent(b)}`),
          weight: 1,
        },
        {
          arbitrary: fc
            .constantFrom('[$ne]=x', '[$gt]=', '[]=a&' + k + '[]=b', '[__proto__][polluted]=yes', '=%E0%A4%A', '=%00')
            .map((s) => `${k}${s}`),
          weight: 1,
        },
      ),
      { freq: 2 },
    ),
  );
  const extra = fc.option(
    fc.constantFrom('__proto__[polluted]=yes', 'constructor[prototype][polluted]=yes', '$where=1', 'a.b=1', '%'),
    { freq: 3 },
  );
  return fc.tuple(fc.tuple(...entries), extra).map(([parts, x]) => {
    const all = [...parts, x].filter((p): p is string => p !== null);
    return all.length ? `?${all.join('&')}` : '';
  });
}

/** A path segment: plausible, hostile, or raw bytes that are not valid percent-encoding. */
export const pathParam = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: valid.map(encodeURIComponent), weight: 3 },
    { arbitrary: fc.string({ minLength: 1, maxLength: 300 }).map(encodeURIComponent), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        '%24ne',
        '%24where',
        '__proto__',
        'constructor',
        '%E0%A4%A',
        '%',
        '..%2F..%2Fetc',
        '%00',
        'a'.repeat(2000),
      ),
      weight: 1,
    },
  );

export const intText = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min, max }).map(String),
    fc.constantFrom('-1', '0', '1.5', '1e3', 'abc', '99999999999999999999'),
  );
export const hex24 = fc.stringMatching(/^[0-9a-f]{24}$/);
export const dateText = fc.oneof(
  isoPast,
  isoPast.map((s) => s.slice(0, 10)),
  fc.constantFrom('2026-02-30', 'yesterday', '0000-01-01'),
);

const ga4Item = fc.record(
  {
    item_id: id,
    item_name: fc.string({ maxLength: 20 }),
    item_category: fc.constantFrom('shoes', 'bags'),
    price: money,
    quantity: fc.integer({ min: 1, max: 5 }),
  },
  { requiredKeys: ['item_id'] },
);
/** A GA4 Measurement Protocol body: the mapped e-commerce events, page_view, a custom and a reserved name. */
export const ga4Payload = fc.record(
  {
    client_id: id,
    user_id: customerId,
    events: fc.array(
      fc.record({
        name: fc.constantFrom(
          'page_view',
          'view_item',
          'view_item_list',
          'add_to_cart',
          'remove_from_cart',
          'begin_checkout',
          'add_shipping_info',
          'add_payment_info',
          'purchase',
          'refund',
          'search',
          'newsletter_signup',
          'session_start',
        ),
        params: fc.record(
          {
            transaction_id: id,
            currency: fc.constantFrom('EUR', 'USD', 'euro'),
            value: money,
            items: fc.array(ga4Item, { maxLength: 3 }),
            page_location: fc.constantFrom(
              'https://shop.example/?utm_source=facebook',
              'https://shop.example/a?gclid=1',
              '/',
            ),
            page_referrer: fc.constantFrom('https://www.google.com/', 'not a url'),
            session_id: id,
          },
          { requiredKeys: [] },
        ),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  },
  { requiredKeys: ['client_id', 'events'] },
);
