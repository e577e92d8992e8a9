import { createHmac } from 'node:crypto';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { unsubscribeByMail } from '../src/campaigns/tracking/recordEngagement.js';
import { signToken, type TokenClaims } from '../src/campaigns/tracking/tokens.js';
import { resetConfig } from '../src/config.js';
import type { Role } from '../src/db/models/apiKey.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { concretePath, describeOp, operations } from './reliability/roleMatrix.js';

const database = useTestDatabase();
const TRACKING_SECRET = 'access-test-tracking-secret-0123456789';
const SHOPIFY_SECRET = 'access-test-shopify-secret';
const env: Record<string, string> = {
  TRACKING_SECRET,
  SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
  PUBLIC_URL: 'http://links.test',
  MAIL_FROM: 'Shop <shop@shop.test>',
};
let app: ReturnType<typeof buildApp>;

/** Who calls: a live key of each role, and the callers that must be turned away before any role check. */
interface Identity {
  name: string;
  authorization?: string;
  role?: Role;
}
const identities: Identity[] = [];
const keys = {} as Record<Role | 'revokedIngest', string>;

beforeAll(async () => {
  Object.assign(process.env, env);
  resetConfig();
  app = buildApp({ database: database() });
  const { models } = database();
  for (const role of ['admin', 'marketer', 'ingest'] as const) {
    keys[role] = (await createApiKey(models, { role, name: `access ${role}` })).key;
    identities.push({ name: role, authorization: `Bearer ${keys[role]}`, role });
  }
  const revoked = await createApiKey(models, { role: 'admin', name: 'access revoked admin' });
  await revokeApiKey(models, revoked.id);
  const revokedIngest = await createApiKey(models, { role: 'ingest', name: 'access revoked ingest' });
  await revokeApiKey(models, revokedIngest.id);
  keys.revokedIngest = revokedIngest.key;
  identities.push(
    { name: 'no key' },
    { name: 'revoked admin key', authorization: `Bearer ${revoked.key}` },
    { name: 'malformed key', authorization: 'Bearer bc_not-a-key' },
    // A real admin prefix with a wrong secret: found by prefix, refused by the hash.
    { name: 'forged key', authorization: `Bearer ${keys.admin.slice(0, 12)}${'A'.repeat(43)}` },
    { name: 'not bearer', authorization: `Token ${keys.admin}` },
  );
}, 60_000);

afterAll(() => {
  for (const key of Object.keys(env)) delete process.env[key];
  resetConfig();
});

function call(method: string, path: string, authorization?: string, body?: object) {
  const req = request(app)[method as 'get'](path).redirects(0);
  if (authorization) req.set('Authorization', authorization);
  return body ? req.send(body) : req;
}

/** Operations that need no key, each with the test below that checks what it needs instead. */
const publicOperations: Record<string, string> = {
  'GET /health': 'role matrix (public answers the same to every caller)',
  'POST /v1/webhooks/shopify': 'Shopify HMAC',
  'POST /v1/webhooks/woocommerce': 'WooCommerce HMAC (reliability.connectors.injection)',
  'POST /v1/webhooks/magento': 'Adobe Commerce signature (reliability.connectors.injection)',
  'GET /o/{token}': 'signed tokens',
  'GET /c/{token}/{link}': 'signed tokens, open redirect',
  'GET /u/{token}': 'signed tokens',
  'POST /u/{token}': 'signed tokens',
  'GET /confirm/{token}': 'signed tokens',
};

describe('role matrix over every operation of /openapi.json', () => {
  it('admits each identity exactly where the operation’s x-roles say, and never answers 5xx', async () => {
    const document = (await request(app).get('/openapi.json')).body;
    const ops = operations(document);
    const guarded = ops.filter((op) => op.security?.length);
    const open = ops.filter((op) => !op.security?.length);
    // A new public route must be added to the list above with the check that covers it.
    expect(open.map(describeOp).sort()).toEqual(Object.keys(publicOperations).sort());
    expect(guarded.length).toBeGreaterThanOrEqual(30);

    const failures: string[] = [];
    const tally = { calls: 0, unauthorized: 0, forbidden: 0, admitted: 0, public: 0, variants: 0, serverErrors: 0 };
    for (const op of guarded) {
      const roles = op['x-roles'];
      if (!roles?.length) {
        failures.push(`${describeOp(op)}: guarded but declares no x-roles`);
        continue;
      }
      // "Marketer is read-only" holds for the whole API only if every write open to it stores nothing.
      if (roles.includes('marketer') && op.method !== 'get' && !op['x-read-only'])
        failures.push(`${describeOp(op)}: a write open to marketers`);
      const url = concretePath(op);
      const answers = await Promise.all(
        identities.map((who) =>
          call(op.method, url, who.authorization, op.requestBody ? {} : undefined).then((res) => ({ who, res })),
        ),
      );
      for (const { who, res } of answers) {
        tally.calls++;
        const where = `${describeOp(op)} as ${who.name} → ${res.status}`;
        if (res.status >= 500) tally.serverErrors++;
        if (!who.role) {
          tally.unauthorized += Number(res.status === 401);
          if (
            res.status !== 401 ||
            !/^Bearer /.test(res.headers['www-authenticate'] ?? '') ||
            res.body?.error?.code !== 'unauthorized'
          )
            failures.push(`${where}; want 401 unauthorized with WWW-Authenticate`);
        } else if (!roles.includes(who.role)) {
          tally.forbidden += Number(res.status === 403);
          if (res.status !== 403 || res.body?.error?.code !== 'forbidden')
            failures.push(`${where}; want 403 forbidden (roles: ${roles.join(', ')})`);
        } else {
          tally.admitted++;
          if (res.status === 401 || res.status === 403 || res.status >= 500)
            failures.push(`${where} ${JSON.stringify(res.body?.error ?? '')}; want admitted, no 5xx`);
        }
      }
      // Express matches paths case-insensitively and with a trailing slash: those spellings must
      // meet the same guards.
      const outsider = identities.find((who) => who.role && !roles.includes(who.role));
      for (const variant of [url.toUpperCase(), `${url}/`]) {
        for (const who of [identities.find((i) => !i.authorization)!, ...(outsider ? [outsider] : [])]) {
          const res = await call(op.method, variant, who.authorization, op.requestBody ? {} : undefined);
          tally.calls++;
          tally.variants++;
          const want = who.role ? 403 : 401;
          if (res.status !== want)
            failures.push(`${op.method.toUpperCase()} ${variant} as ${who.name} → ${res.status}; want ${want}`);
        }
      }
    }
    // Public operations: a key neither helps nor hurts, and junk parameters never make a 5xx.
    for (const op of open) {
      const url = concretePath(op);
      const answers = await Promise.all(
        identities.map((who) => call(op.method, url, who.authorization, op.method === 'get' ? undefined : {})),
      );
      tally.calls += answers.length;
      tally.public += answers.length;
      const statuses = [...new Set(answers.map((res) => res.status))];
      if (statuses.length !== 1 || statuses[0]! >= 500)
        failures.push(
          `${describeOp(op)} (public): answers ${statuses.join('/')} depending on the key; want one non-5xx answer`,
        );
      if (answers.some((res) => res.status >= 500)) tally.serverErrors++;
    }
    console.log(
      `[reliability] role matrix: ${ops.length} operations (${guarded.length} guarded, ${open.length} public) × ${identities.length} identities = ${tally.calls} calls; ` +
        `401 ${tally.unauthorized}, 403 ${tally.forbidden}, admitted ${tally.admitted}, public ${tally.public}, path-spelling variants ${tally.variants}, 5xx ${tally.serverErrors}, mismatches ${failures.length}`,
    );
    expect(failures).toEqual([]);
    expect(tally.serverErrors).toBe(0);
  });

  it('serves the pages outside the document (OpenAPI itself, the dashboard) without a key, and they hold no data', async () => {
    for (const path of ['/openapi.json', '/dashboard', '/dashboard/app.js']) {
      const res = await call('get', path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toMatch(/bc_[A-Za-z0-9_-]{8}_/);
    }
    // Its files are a fixed list: no path reaches anything else on disk.
    for (const path of [
      '/dashboard/..%2F..%2F..%2Fpackage.json',
      '/dashboard/vendor/..%2F..%2F..%2F..%2Fpackage.json',
      '/dashboard/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/dashboard/router.ts',
    ]) {
      const res = await call('get', path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain('"dependencies"');
    }
  });
});

describe('rate limit per key', () => {
  it('answers 429 with Retry-After to the key over its limit, leaves another key alone, and recovers', async () => {
    const { models } = database();
    // Bursts of 2, then one every 5 s: slow enough that a loaded machine cannot refill the bucket mid-burst.
    const perMinute = 12;
    const limited = (await createApiKey(models, { role: 'ingest', name: 'limited A', rateLimitPerMinute: perMinute }))
      .key;
    const neighbour = (await createApiKey(models, { role: 'ingest', name: 'limited B', rateLimitPerMinute: perMinute }))
      .key;
    const send = (key: string, id: string) =>
      call('post', '/v1/events', `Bearer ${key}`, {
        eventId: id,
        type: 'app_opened',
        customerId: 'rl-c1',
        timestamp: '2026-05-01T12:00:00Z',
      });

    const burst = [];
    for (let i = 0; i < 3; i++) burst.push(await send(limited, `rl-a-${i}`));
    const admitted = burst.filter((res) => res.status === 200);
    expect(admitted).toHaveLength(perMinute / 6);
    expect(admitted.map((res) => Number(res.headers['ratelimit-remaining']))).toEqual([1, 0]);
    const refused = burst[2]!;
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers['ratelimit-limit']).toBe(String(perMinute));
    const retryAfterSec = Number(refused.headers['retry-after']);
    expect(retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(retryAfterSec).toBeLessThanOrEqual(60 / perMinute);

    const other = await send(neighbour, 'rl-b-0');
    expect(other.status).toBe(200);
    const waitedFrom = performance.now();
    await new Promise((resolve) => setTimeout(resolve, retryAfterSec * 1000 + 50));
    const recovered = await send(limited, 'rl-a-after');
    expect(recovered.status).toBe(200);
    const ids = (
      await models.Event.collection.find({ customerId: 'rl-c1' }, { projection: { eventId: 1 } }).toArray()
    ).map((e) => e.eventId as string);
    expect(ids).not.toContain('rl-a-2');
    expect(ids).toHaveLength(perMinute / 6 + 2);
    console.log(
      `[reliability] rate limit: key at ${perMinute}/min: ${admitted.length} of ${burst.length} burst requests admitted, next 429 (Retry-After ${retryAfterSec} s, nothing stored); ` +
        `other key 200; limited key admitted again after ${((performance.now() - waitedFrom) / 1000).toFixed(1)} s`,
    );
  });
});

describe('Segment write key', () => {
  const batch = (id: string) => ({
    batch: [
      {
        type: 'track',
        event: 'Product Viewed',
        userId: 'seg-u1',
        messageId: id,
        timestamp: '2026-05-01T12:00:00Z',
        properties: { product_id: 'sku-1' },
      },
    ],
  });
  const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

  it('refuses a wrong, revoked or ingest-less write key and stores nothing', async () => {
    const { Event } = database().models;
    const wrongKey = `bc_${'Z'.repeat(8)}_${'Z'.repeat(43)}`;
    const cases = [
      { name: 'unknown write key', authorization: basic(wrongKey), status: 401 },
      { name: 'revoked ingest key', authorization: basic(keys.revokedIngest), status: 401 },
      { name: 'marketer key', authorization: basic(keys.marketer), status: 403 },
      { name: 'empty user', authorization: basic(''), status: 401 },
      { name: 'not base64', authorization: 'Basic %%%', status: 401 },
    ];
    for (const [i, c] of cases.entries()) {
      const res = await call('post', '/v1/segment/batch', c.authorization, batch(`seg-refused-${i}`));
      expect(res.status, c.name).toBe(c.status);
    }
    expect(await Event.collection.countDocuments({ customerId: 'seg-u1' })).toBe(0);
    // The same batch with the right key is stored: the refusals above were about the key alone.
    const ok = await call('post', '/v1/segment/batch', basic(keys.ingest), batch('seg-accepted'));
    expect(ok.status).toBe(200);
    expect(await Event.collection.countDocuments({ customerId: 'seg-u1' })).toBe(1);
    console.log(
      `[reliability] segment write key: ${cases.length} mismatched keys refused (401/403), 0 events stored; right key stored 1`,
    );
  });
});

describe('Shopify HMAC', () => {
  const sign = (body: string, secret = SHOPIFY_SECRET) => createHmac('sha256', secret).update(body).digest('base64');
  const order = {
    id: 7001,
    email: 'hm@example.com',
    created_at: '2026-04-01T12:00:00Z',
    total_price: '50.00',
    currency: 'USD',
    customer: { id: 9001 },
    line_items: [{ product_id: 1, price: '50.00', quantity: 1 }],
  };
  const body = JSON.stringify(order);
  const deliver = (headers: Record<string, string>, raw = body) =>
    request(app)
      .post('/v1/webhooks/shopify')
      .set({ 'Content-Type': 'application/json', ...headers })
      .send(raw);
  const shopifyEvents = () => database().models.Event.collection.countDocuments({ source: 'shopify' });

  it('refuses tampered bodies, wrong secrets, missing signatures and topic-altered replays, storing nothing', async () => {
    const good = {
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Hmac-Sha256': sign(body),
      'X-Shopify-Webhook-Id': 'hm-1',
    };
    const tampered = JSON.stringify({ ...order, total_price: '0.01' });
    const refusals: [string, ReturnType<typeof deliver>][] = [
      ['tampered body', deliver({ ...good, 'X-Shopify-Webhook-Id': 'hm-t' }, tampered)],
      [
        'wrong secret',
        deliver({ ...good, 'X-Shopify-Hmac-Sha256': sign(body, 'not-the-secret'), 'X-Shopify-Webhook-Id': 'hm-w' }),
      ],
      ['missing header', deliver({ 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': 'hm-m' })],
      ['empty header', deliver({ ...good, 'X-Shopify-Hmac-Sha256': '', 'X-Shopify-Webhook-Id': 'hm-e' })],
      [
        'hex instead of base64',
        deliver({
          ...good,
          'X-Shopify-Hmac-Sha256': createHmac('sha256', SHOPIFY_SECRET).update(body).digest('hex'),
          'X-Shopify-Webhook-Id': 'hm-x',
        }),
      ],
      [
        'signature of another body',
        deliver({ ...good, 'X-Shopify-Hmac-Sha256': sign(tampered), 'X-Shopify-Webhook-Id': 'hm-o' }),
      ],
    ];
    for (const [name, pending] of refusals) expect((await pending).status, name).toBe(401);
    // Without a configured secret nothing verifies, not even a body signed with the empty key.
    delete process.env.SHOPIFY_WEBHOOK_SECRET;
    resetConfig();
    try {
      expect(
        (await deliver({ ...good, 'X-Shopify-Hmac-Sha256': sign(body, ''), 'X-Shopify-Webhook-Id': 'hm-n' })).status,
      ).toBe(401);
    } finally {
      process.env.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_SECRET;
      resetConfig();
    }
    expect(await shopifyEvents()).toBe(0);

    const accepted = await deliver(good);
    expect(accepted.status).toBe(200);
    const stored = await shopifyEvents();
    expect(stored).toBeGreaterThan(0);
    // A captured delivery resent under a topic that reads it differently (the order as a
    // cancellation would store a refund), with a new or the same delivery id.
    let replays = 0;
    for (const [topic, id] of [
      ['orders/cancelled', 'hm-r1'],
      ['refunds/create', 'hm-r2'],
      ['customers/update', 'hm-r3'],
      ['orders/cancelled', 'hm-1'],
    ] as const) {
      const res = await deliver({ ...good, 'X-Shopify-Topic': topic, 'X-Shopify-Webhook-Id': id });
      expect(res.status, `${topic} ${id}`).toBe(401);
      replays++;
    }
    expect(await database().models.Event.collection.countDocuments({ type: 'order_refunded' })).toBe(0);
    // Shopify's own retry, and orders/paid with the same order, are accepted and add nothing.
    expect((await deliver(good)).body).toEqual({ duplicate: true, stored: 0 });
    expect(
      (await deliver({ ...good, 'X-Shopify-Topic': 'orders/paid', 'X-Shopify-Webhook-Id': 'hm-2' })).body,
    ).toMatchObject({ duplicate: false, stored: 0 });
    expect(await shopifyEvents()).toBe(stored);
    console.log(
      `[reliability] shopify hmac: ${refusals.length + 1} forged deliveries + ${replays} topic-altered replays refused (401), 0 events stored by them; genuine delivery stored ${stored}, its retries 0`,
    );
  });
});

describe('signed links: tokens and redirects', () => {
  const secret = Buffer.from(TRACKING_SECRET);
  const messageA = new ObjectId();
  const messageB = new ObjectId();
  const m = messageA.toHexString();
  const DAY = 86_400_000;

  beforeAll(async () => {
    const { Message } = database().models;
    await addCustomers(database(), [
      { id: 'tk-ana', email: 'ana@tk.test', consent: { email: true }, at: new Date('2026-01-01') },
      { id: 'tk-bo', email: 'bo@tk.test' },
    ]);
    const message = (_id: ObjectId, links: { id: string; url: string }[]) => ({
      _id,
      enrollmentId: `tk-${_id.toHexString()}`,
      stepId: 's',
      customerId: 'tk-ana',
      to: 'ana@tk.test',
      status: 'sent',
      sentAt: new Date(Date.now() - 3_600_000),
      links,
      opens: 0,
      clicks: 0,
      machineOpens: 0,
    });
    await Message.collection.insertMany([
      // l2 and l3 hold what a tampered catalogue or template could record: never redirect targets.
      message(messageA, [
        { id: 'l0', url: 'https://shop.example.com/cart' },
        { id: 'l1', url: 'https://shop.example.com/p/1' },
        { id: 'l2', url: 'javascript:alert(document.cookie)' },
        { id: 'l3', url: '//evil.example/phish' },
      ]),
      message(messageB, [
        ...Array.from({ length: 6 }, (_, i) => ({ id: `l${i}`, url: `https://shop.example.com/b/${i}` })),
        { id: 'l6', url: 'https://evil.example/' },
      ]),
    ]);
  });

  /** Everything a followed link could change: engagement events, counters, consent, suppressions. */
  async function state() {
    const { Event, Message, Customer, Suppression } = database().models;
    return {
      events: await Event.collection.countDocuments({ customerId: { $in: ['tk-ana', 'tk-bo'] } }),
      messages: await Message.collection
        .find({ _id: { $in: [messageA, messageB] } }, { projection: { opens: 1, clicks: 1, machineOpens: 1 } })
        .toArray(),
      customers: await Customer.collection
        .find({ _id: { $in: ['tk-ana', 'tk-bo'] as never[] } }, { projection: { consent: 1 } })
        .toArray(),
      suppressions: await Suppression.collection.countDocuments({}),
    };
  }

  const tokens = (claims: TokenClaims) => {
    const valid = signToken(secret, claims);
    const [body, sig] = valid.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const reencode = (patch: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ ...decoded, ...patch })).toString('base64url')}.${sig}`;
    return {
      'flipped signature': `${body}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`,
      'claims edited, old signature':
        'm' in claims ? reencode({ m: messageB.toHexString(), c: 'tk-bo' }) : reencode({ a: 'attacker@evil.example' }),
      'expiry extended, old signature': reencode({ e: Math.floor(Date.now() / 1000) + 10 * 365 * 86_400 }),
      'another secret': signToken(Buffer.alloc(40, 7), claims),
      expired: signToken(secret, claims, Date.now() - 401 * DAY),
      'no signature': body,
      'not a token': 'hello',
    };
  };
  /** A correctly signed token for another purpose: each endpoint accepts only its own. */
  const wrongPurpose = {
    o: signToken(secret, { p: 'c', m, c: 'tk-ana' }),
    c: signToken(secret, { p: 'o', m, c: 'tk-ana' }),
    u: signToken(secret, { p: 'o', m, c: 'tk-ana' }),
    d: signToken(secret, { p: 'u', m, c: 'tk-bo' }),
  };

  it('refuses forged, expired and wrong-purpose tokens on every link, changing nothing', async () => {
    const before = await state();
    const attempts: { name: string; method: 'get' | 'post'; path: string; form?: string }[] = [];
    const add = (
      kind: string,
      bad: Record<string, string>,
      path: (t: string) => string,
      method: 'get' | 'post' = 'get',
      form?: string,
    ) => {
      for (const [name, t] of Object.entries(bad))
        attempts.push({ name: `${kind}: ${name}`, method, path: path(t), ...(form && { form }) });
    };
    add('open', { ...tokens({ p: 'o', m, c: 'tk-ana' }), 'wrong purpose': wrongPurpose.o }, (t) => `/o/${t}`);
    add('click', { ...tokens({ p: 'c', m, c: 'tk-ana' }), 'wrong purpose': wrongPurpose.c }, (t) => `/c/${t}/l0`);
    const unsubscribeTokens = { ...tokens({ p: 'u', m, c: 'tk-ana' }), 'wrong purpose': wrongPurpose.u };
    add('preference page', unsubscribeTokens, (t) => `/u/${t}`);
    add('one-click unsubscribe', unsubscribeTokens, (t) => `/u/${t}`, 'post', 'List-Unsubscribe=One-Click');
    add('unsubscribe all', unsubscribeTokens, (t) => `/u/${t}`, 'post', 'action=all');
    add(
      'confirm',
      {
        ...tokens({ p: 'd', c: 'tk-bo', a: 'bo@tk.test', t: 'website-v1' }),
        'wrong purpose': wrongPurpose.d,
        expired: signToken(secret, { p: 'd', c: 'tk-bo', a: 'bo@tk.test', t: 'website-v1' }, Date.now() - 8 * DAY),
      },
      (t) => `/confirm/${t}`,
    );

    for (const a of attempts) {
      const req = request(app)[a.method](a.path).redirects(0);
      const res = a.form ? await req.type('form').send(a.form) : await req;
      expect([400, 404], `${a.name} → ${res.status}`).toContain(res.status);
      expect(res.text).not.toContain('ana@tk.test');
    }
    // The mailto unsubscribe reads the same tokens from a mail's subject.
    for (const t of Object.values(unsubscribeTokens)) {
      const raw = `Subject: unsubscribe ${t}\r\nTo: unsubscribe@shop.test\r\n\r\n`;
      expect(await unsubscribeByMail(database(), secret, { to: ['unsubscribe@shop.test'], raw }, 'shop.test')).toBe(
        false,
      );
    }
    expect(await state()).toEqual(before);
    console.log(
      `[reliability] signed tokens: ${attempts.length} forged/expired/wrong-purpose link requests + ${Object.keys(unsubscribeTokens).length} mailto unsubscribes refused, 0 state changes`,
    );
  });

  it('redirects a click only to an http(s) URL recorded for that link of that message', async () => {
    const before = await state();
    const token = signToken(secret, { p: 'c', m, c: 'tk-ana' });
    const attempts = [
      `/c/${token}/l9`, // out of range for A
      `/c/${token}/l6`, // B's link to evil: another message's link id
      `/c/${token}/l2`, // recorded javascript:
      `/c/${token}/l3`, // recorded protocol-relative
      `/c/${token}/%2F%2Fevil.example`,
      `/c/${token}/javascript:alert(1)`,
      `/c/${token}/https:%2F%2Fevil.example`,
      `/c/${token}/l0%2F..%2F..%2Fevil`,
      `/c/${token}/l0@evil.example`,
      `/c/${token}/L0`,
      `/c/${token}/l00000`,
      `/c/${token}`,
    ];
    let refused = 0;
    for (const path of attempts) {
      const res = await request(app).get(path).redirects(0);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.location, path).toBeUndefined();
      refused++;
    }
    expect(await state()).toEqual(before);
    // What the request adds (a URL in the query, a second path) never changes the target.
    for (const path of [`/c/${token}/l1?url=https://evil.example`, `/c/${token}/l1?redirect=%2F%2Fevil.example`]) {
      const res = await request(app).get(path).redirects(0);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('https://shop.example.com/p/1');
    }
    expect((await request(app).get(`/c/${token}/l1/https:%2F%2Fevil.example`).redirects(0)).status).toBe(404);
    const clicks = await database()
      .models.Event.collection.find({ customerId: 'tk-ana', type: 'email_clicked' })
      .toArray();
    expect(clicks.map((e) => e.props.url)).toEqual(['https://shop.example.com/p/1', 'https://shop.example.com/p/1']);
    console.log(
      `[reliability] open redirect: ${attempts.length + 3} crafted click links, ${refused + 1} refused without a Location, 2 query-tampered went to the recorded URL only`,
    );
  });
});
