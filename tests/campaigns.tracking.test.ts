import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { canSend, canSendMarketing } from '../src/campaigns/consent/canSend.js';
import { composeMail } from '../src/campaigns/delivery/composeMail.js';
import { startSmtpSink } from '../src/campaigns/delivery/smtpSink.js';
import type { ReceivedMail, SmtpSink } from '../src/campaigns/delivery/types.js';
import { campaignServices, closeCampaignServices } from '../src/campaigns/services.js';
import { machineOpenReason } from '../src/campaigns/tracking/machineOpen.js';
import { unsubscribeByMail } from '../src/campaigns/tracking/recordEngagement.js';
import { signToken } from '../src/campaigns/tracking/tokens.js';
import { resetConfig } from '../src/config.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { cartMessageData } from './helpers/messageData.js';

const database = useTestDatabase();
const SECRET = 'tracking-test-secret-0123456789abcdef';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-outbox-'));
let sink: SmtpSink;
let app: ReturnType<typeof buildApp>;
let adminKey: string;
const env = { TRACKING_SECRET: SECRET, PUBLIC_URL: 'http://links.test', MAIL_FROM: 'Shop <shop@shop.test>' } as Record<
  string,
  string
>;

/** Decoded text part of a raw message (nodemailer uses quoted-printable). */
function textPart(mail: ReceivedMail): string {
  const part = mail.raw.split(/Content-Type: text\/plain[^\r\n]*\r\n/)[1]!.split(/\r\n--/)[0]!;
  return part
    .replace(/^Content-Transfer-Encoding:[^\r\n]*\r\n\r\n/, '')
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Paths (`/c/…`, `/u/…`, `/o/…`, `/confirm/…`) of our links in a mail, by kind. */
function linkPaths(mail: ReceivedMail, kind: 'c' | 'u' | 'o' | 'confirm'): string[] {
  const html = mail.raw.replace(/=\r\n/g, '').replace(/=3D/g, '=');
  return [
    ...new Set(
      [
        ...`${textPart(mail)}\n${html}`.matchAll(new RegExp(`http://links\\.test(/${kind}/[\\w.-]+(?:/l\\d+)?)`, 'g')),
      ].map((m) => m[1]!),
    ),
  ];
}

async function sendCartMail(customerId: string, to: string): Promise<{ messageId: ObjectId; mail: ReceivedMail }> {
  const services = await campaignServices();
  const messageId = new ObjectId();
  const rendered = services.renderer.render('cart_1h', {}, cartMessageData(messageId.toHexString(), customerId, to));
  await database().models.Message.collection.insertOne({
    _id: messageId,
    enrollmentId: `e-${messageId.toHexString()}`,
    stepId: 'cart_1h',
    flowId: 'abandoned-cart',
    customerId,
    to,
    status: 'sent',
    sentAt: new Date(Date.now() - 10 * 60_000),
    links: rendered.links,
    opens: 0,
    clicks: 0,
    machineOpens: 0,
  });
  const sent = await services.mailer.send(
    composeMail(rendered, { to, messageId: messageId.toHexString(), domain: services.domain }),
  );
  expect(sent.ok).toBe(true);
  const mail = sink.received().find((m) => m.messageId === `<${messageId.toHexString()}@shop.test>`)!;
  return { messageId, mail };
}

beforeAll(async () => {
  sink = await startSmtpSink({
    dir,
    onMessage: (mail) => unsubscribeByMail(database(), Buffer.from(SECRET), mail, 'shop.test'),
  });
  Object.assign(env, { SMTP_URL: sink.url });
  Object.assign(process.env, env);
  resetConfig();
  app = buildApp({ database: database() });
  adminKey = (await createApiKey(database().models, { role: 'admin', name: 'admin' })).key;
  await addCustomers(
    database(),
    ['ana', 'bo', 'dan', 'fay'].map((id) => ({
      id,
      email: `${id}@example.com`,
      consent: { email: true },
      at: new Date('2026-01-01'),
    })),
  );
}, 60_000);

afterAll(async () => {
  await closeCampaignServices();
  await sink?.close();
  for (const key of Object.keys(env)) delete process.env[key];
  resetConfig();
  fs.rmSync(dir, { recursive: true, force: true });
});

const events = (type: string, customerId: string) =>
  database().models.Event.collection.find({ type, customerId }).toArray();
const message = (id: ObjectId) => database().models.Message.collection.findOne({ _id: id });

describe('open pixel', () => {
  it('returns a gif, stores email_opened and flags machine opens', async () => {
    const { messageId, mail } = await sendCartMail('dan', 'dan@example.com');
    const [pixel] = linkPaths(mail, 'o');
    const human = await request(app)
      .get(pixel!)
      .set(
        'User-Agent',
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      );
    expect(human.status).toBe(200);
    expect(human.headers['content-type']).toBe('image/gif');
    expect(Buffer.from(human.body).subarray(0, 6).toString()).toBe('GIF89a');
    const mpp = await request(app).get(pixel!).set('User-Agent', 'Mozilla/5.0');
    expect(mpp.status).toBe(200);
    const opens = await events('email_opened', 'dan');
    expect(opens.map((e) => e.props.machineOpen).sort()).toEqual([false, true]);
    expect(opens.find((e) => e.props.machineOpen)).toMatchObject({
      source: 'email',
      channel: 'email',
      props: { messageId: messageId.toHexString(), flowId: 'abandoned-cart', machineReason: 'apple_mpp' },
    });
    expect(await message(messageId)).toMatchObject({ opens: 1, machineOpens: 1 });
  });

  it('documents its heuristic in code: scanners, and fast opens from proxy ranges', () => {
    const sentAt = new Date('2026-01-01T10:00:00Z');
    const browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36';
    expect(machineOpenReason({ userAgent: 'Barracuda Sentinel (EE)', openedAt: sentAt })).toBe('scanner');
    expect(
      machineOpenReason({ userAgent: browser, ip: '17.58.1.2', sentAt, openedAt: new Date(sentAt.getTime() + 5000) }),
    ).toBe('fast_proxy_open');
    expect(
      machineOpenReason({
        userAgent: browser,
        ip: '17.58.1.2',
        sentAt,
        openedAt: new Date(sentAt.getTime() + 3_600_000),
      }),
    ).toBeUndefined();
    expect(
      machineOpenReason({
        userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
        openedAt: sentAt,
      }),
    ).toBeUndefined();
  });
});

describe('tracked clicks', () => {
  it('redirect only to the URL recorded for that link, and become events', async () => {
    const { messageId, mail } = await sendCartMail('dan', 'dan@example.com');
    const clicks = linkPaths(mail, 'c');
    expect(clicks.length).toBeGreaterThanOrEqual(3);
    const recorded = ((await message(messageId))!.links as { id: string; url: string }[]).map((l) => l.url);
    const targets: string[] = [];
    for (const click of clicks) {
      const res = await request(app).get(click).redirects(0);
      expect(res.status).toBe(302);
      targets.push(res.headers.location!);
    }
    expect(targets.sort()).toEqual([...recorded].sort());
    expect(targets).toContain('https://shop.example.com/cart/k1');
    expect(await message(messageId)).toMatchObject({ clicks: clicks.length });
    const stored = (await events('email_clicked', 'dan')).filter((e) => e.props.messageId === messageId.toHexString());
    expect(stored.map((e) => e.props.url).sort()).toEqual([...recorded].sort());
  });

  it('refuse forged, expired, misused and unknown-link tokens', async () => {
    const { messageId, mail } = await sendCartMail('dan', 'dan@example.com');
    const [click] = linkPaths(mail, 'c');
    const [, , token, link] = click!.split('/');
    const forged = `/c/${token!.slice(0, -3)}${token!.endsWith('AAA') ? 'BBB' : 'AAA'}/${link}`;
    expect((await request(app).get(forged).redirects(0)).status).toBe(400);
    expect((await request(app).get('/c/not-a-token/l0').redirects(0)).status).toBe(400);
    expect((await request(app).get(`/c/${token}/https:%2F%2Fevil.example`).redirects(0)).status).toBe(400);
    const m = messageId.toHexString();
    const secret = Buffer.from(SECRET);
    const expired = signToken(secret, { p: 'c', m, c: 'dan' }, Date.now() - 400 * 86_400_000);
    expect((await request(app).get(`/c/${expired}/l0`).redirects(0)).status).toBe(404);
    expect((await request(app).get(`/c/${token}/l99`).redirects(0)).status).toBe(404);
    const otherMessage = signToken(secret, { p: 'c', m: new ObjectId().toHexString(), c: 'dan' });
    expect((await request(app).get(`/c/${otherMessage}/l0`).redirects(0)).status).toBe(404);
    const [pixel] = linkPaths(mail, 'o');
    expect(
      (
        await request(app)
          .get(`${pixel!.replace('/o/', '/c/')}/l0`)
          .redirects(0)
      ).status,
    ).toBe(400);
    const otherSecret = signToken(Buffer.alloc(40, 9), { p: 'c', m, c: 'dan' });
    expect((await request(app).get(`/c/${otherSecret}/l0`).redirects(0)).status).toBe(400);
  });
});

describe('unsubscribe', () => {
  it('one-click POST stops marketing at once; transactional mail still allowed', async () => {
    const { mail } = await sendCartMail('ana', 'ana@example.com');
    const header = /^List-Unsubscribe: <([^>]+)>/m.exec(mail.raw.replace(/\r\n[ \t]+/g, ' '))![1]!;
    expect(linkPaths(mail, 'u')).toContain(new URL(header).pathname);
    expect(await canSendMarketing(database(), { _id: 'ana' })).toEqual({ ok: true });
    const res = await request(app).post(new URL(header).pathname).type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    expect(await canSendMarketing(database(), { _id: 'ana' })).toEqual({ ok: false, reason: 'unsubscribed' });
    expect(await canSend(database(), { _id: 'ana' }, 'transactional')).toEqual({ ok: true });
    expect((await database().models.Customer.collection.findOne({ _id: 'ana' as never }))!.consent.email.status).toBe(
      'denied',
    );
    // Mail clients retry: a second POST changes nothing more.
    expect(
      (await request(app).post(new URL(header).pathname).type('form').send('List-Unsubscribe=One-Click')).status,
    ).toBe(200);
    expect(await events('email_unsubscribed', 'ana')).toHaveLength(1);
  });

  it('the List-Unsubscribe mailto works too: a mail to it unsubscribes', async () => {
    const { mail } = await sendCartMail('fay', 'fay@example.com');
    const mailto = new URL(/^List-Unsubscribe: <[^>]+>, <([^>]+)>/m.exec(mail.raw.replace(/\r\n[ \t]+/g, ' '))![1]!);
    expect(mailto.pathname).toBe('unsubscribe@shop.test');
    const services = await campaignServices();
    const subject = mailto.searchParams.get('subject')!;
    expect(
      (
        await services.mailer.send({
          to: mailto.pathname,
          subject,
          text: '',
          html: '',
          headers: {},
          messageId: '<reply-1@example.com>',
        })
      ).ok,
    ).toBe(true);
    for (let i = 0; i < 50 && (await canSendMarketing(database(), { _id: 'fay' })).ok; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await canSendMarketing(database(), { _id: 'fay' })).toEqual({ ok: false, reason: 'unsubscribed' });
    expect((await events('email_unsubscribed', 'fay'))[0]).toMatchObject({ props: { via: 'mailto' } });
  });

  it('GET shows the preference centre; choosing topics switches the others off', async () => {
    const { mail } = await sendCartMail('bo', 'bo@example.com');
    const [prefs] = linkPaths(mail, 'u');
    const page = await request(app).get(prefs!);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Unsubscribe from all marketing email');
    expect(page.text).toContain('bo@example.com');
    expect(await events('email_unsubscribed', 'bo')).toHaveLength(0);
    const saved = await request(app).post(prefs!).type('form').send('action=topics&topic=news&topic=reminders');
    expect(saved.status).toBe(200);
    expect((await database().models.Customer.collection.findOne({ _id: 'bo' as never }))!.traits.emailTopics).toEqual([
      'news',
      'reminders',
    ]);
    expect(await canSendMarketing(database(), { _id: 'bo' }, 'offers')).toEqual({ ok: false, reason: 'topic_off' });
    expect(await canSendMarketing(database(), { _id: 'bo' }, 'reminders')).toEqual({ ok: true });
    expect((await request(app).post(prefs!).type('form').send('action=topics&topic=spam')).status).toBe(400);
  });
});

describe('double opt-in', () => {
  const signup = (body: object) =>
    request(app).post('/v1/signups').set('Authorization', `Bearer ${adminKey}`).send(body);

  it('subscribes a website signup only after the confirmation link, recording time, source and text', async () => {
    const first = await signup({ customerId: 'cy', email: 'Cy@Example.com', firstName: 'Cy', source: 'website' });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('confirmation_sent');
    expect(await canSendMarketing(database(), { _id: 'cy' })).toEqual({ ok: false, reason: 'no_consent' });
    const mails = sink.received().filter((m) => m.to.includes('cy@example.com'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).not.toMatch(/List-Unsubscribe/);
    const [confirm] = linkPaths(mails[0]!, 'confirm');
    expect(confirm).toBeDefined();
    expect((await signup({ customerId: 'cy', email: 'cy@example.com', source: 'website' })).body.status).toBe(
      'confirmation_already_sent',
    );
    expect(sink.received().filter((m) => m.to.includes('cy@example.com'))).toHaveLength(1);

    const forged = await request(app).get(`${confirm!.slice(0, -2)}xx`);
    expect(forged.status).toBe(400);
    const page = await request(app).get(confirm!);
    expect(page.status).toBe(200);
    const customer = await database().models.Customer.collection.findOne({ _id: 'cy' as never });
    expect(customer!.consent.email).toMatchObject({ status: 'granted', source: 'website_double_opt_in' });
    expect(customer!.consent.email.updatedAt).toBeInstanceOf(Date);
    const consent = (await events('identify', 'cy')).find((e) => e.props.consent?.email === true);
    expect(consent).toMatchObject({
      props: {
        consentSource: 'website_double_opt_in',
        consentTextId: 'website-v1',
        confirmedAddress: 'cy@example.com',
      },
    });
    expect(consent!.props.consentText).toMatch(/unsubscribe at any time/);
    expect(await canSendMarketing(database(), { _id: 'cy' })).toEqual({ ok: true });
  });

  it('subscribes a checkout signup at once, and validates the body', async () => {
    expect((await signup({ customerId: 'ed', email: 'ed@example.com', source: 'checkout' })).body).toEqual({
      status: 'subscribed',
    });
    expect(await canSendMarketing(database(), { _id: 'ed' })).toEqual({ ok: true });
    const bad = await signup({ customerId: 'ed', email: 'not-an-address', source: 'website' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe('body.email');
  });
});
