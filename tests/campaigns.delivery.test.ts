import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRenderer } from '../src/campaigns/content/renderer.js';
import type { Renderer } from '../src/campaigns/content/types.js';
import { canSend, canSendMarketing, decideSend, loadSuppressions } from '../src/campaigns/consent/canSend.js';
import { composeMail } from '../src/campaigns/delivery/composeMail.js';
import { classifySmtpError, createMailer } from '../src/campaigns/delivery/mailer.js';
import { recordDeliveryFailure } from '../src/campaigns/delivery/recordFailure.js';
import { startSmtpSink } from '../src/campaigns/delivery/smtpSink.js';
import type { Mailer, SinkReply, SmtpSink } from '../src/campaigns/delivery/types.js';
import { addCustomers } from './helpers/customers.js';
import { useTestDatabase } from './helpers/db.js';
import { cartMessageData } from './helpers/messageData.js';

const database = useTestDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-outbox-'));
const replies = new Map<string, SinkReply>([
  ['gone@example.com', { code: 550, message: '5.1.1 mailbox unavailable' }],
  ['busy@example.com', { code: 421, message: '4.7.0 try again later' }],
  ['slow@example.com', 'hang'],
]);
let sink: SmtpSink;
let mailer: Mailer;
let renderer: Renderer;

beforeAll(async () => {
  sink = await startSmtpSink({ dir, onRecipient: (address) => replies.get(address) ?? 'accept' });
  mailer = createMailer({
    url: sink.url,
    from: 'Shop <shop@shop.example.com>',
    maxConnections: 2,
    socketTimeoutMs: 800,
    greetingTimeoutMs: 800,
    connectionTimeoutMs: 800,
  });
  renderer = await createRenderer({
    publicUrl: 'https://t.example',
    shopUrl: 'https://shop.example.com',
    secret: Buffer.alloc(32, 3),
    mailDomain: 'shop.example.com',
    steps: ['cart_1h', 'post_purchase_confirmation'],
  });
  await addCustomers(database(), [
    { id: 'ok', email: 'ok@example.com', consent: { email: true } },
    { id: 'gone', email: 'gone@example.com', consent: { email: true } },
  ]);
}, 60_000);

afterAll(async () => {
  await mailer?.close();
  await sink?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const mailFor = (to: string, messageId: string, step: 'cart_1h' | 'post_purchase_confirmation' = 'cart_1h') =>
  composeMail(
    renderer.render(
      step,
      {},
      {
        ...cartMessageData(messageId, to.split('@')[0]!, to),
        order: { orderId: 'o-1', items: [], total: 30, currency: 'USD' },
      },
    ),
    { to, messageId, domain: 'shop.example.com' },
  );

/** Header block of a raw message with folded lines unfolded. */
const headersOf = (raw: string) => raw.split('\r\n\r\n', 1)[0]!.replace(/\r\n[ \t]+/g, ' ');

describe('sending through a real SMTP server', () => {
  it('delivers marketing mail with RFC 8058 one-click headers, a text part and the pixel, kept as .eml', async () => {
    const sent = await mailer.send(mailFor('ok@example.com', '6661f0c2a1b2c3d4e5f60001'));
    expect(sent.ok).toBe(true);
    const received = sink.received().find((m) => m.messageId === '<6661f0c2a1b2c3d4e5f60001@shop.example.com>');
    expect(received).toBeDefined();
    expect(fs.readFileSync(received!.file, 'utf8')).toBe(received!.raw);
    const headers = headersOf(received!.raw);
    expect(headers).toMatch(
      /^List-Unsubscribe: <https:\/\/t\.example\/u\/[\w.-]+>, <mailto:unsubscribe@shop\.example\.com\?subject=unsubscribe%20[\w.-]+>$/m,
    );
    expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(received!.raw).toMatch(/Content-Type: text\/plain/);
    expect(received!.raw).toMatch(/Content-Type: text\/html/);
    expect(received!.raw.replace(/=\r\n/g, '')).toContain('https://t.example/o/');
    expect(received!.to).toEqual(['ok@example.com']);
  });

  it('sends transactional mail without unsubscribe headers', async () => {
    const sent = await mailer.send(mailFor('ok@example.com', '6661f0c2a1b2c3d4e5f60002', 'post_purchase_confirmation'));
    expect(sent.ok).toBe(true);
    const received = sink.received().find((m) => m.messageId === '<6661f0c2a1b2c3d4e5f60002@shop.example.com>')!;
    expect(headersOf(received.raw)).not.toMatch(/List-Unsubscribe/);
  });

  it('classifies 550 as a hard bounce, which suppresses the address for every kind of mail', async () => {
    const sent = await mailer.send(mailFor('gone@example.com', '6661f0c2a1b2c3d4e5f60003'));
    expect(sent).toMatchObject({ ok: false, error: { type: 'hard_bounce', smtpCode: 550 } });
    expect(await canSendMarketing(database(), { _id: 'gone' })).toEqual({ ok: true });
    if (sent.ok) return;
    expect(
      await recordDeliveryFailure(
        database(),
        { messageId: '6661f0c2a1b2c3d4e5f60003', customerId: 'gone', to: 'gone@example.com' },
        sent.error,
      ),
    ).toEqual({ suppressed: true });
    expect(await canSendMarketing(database(), { _id: 'gone' })).toEqual({ ok: false, reason: 'suppressed' });
    expect(await canSend(database(), { _id: 'gone' }, 'transactional')).toEqual({ ok: false, reason: 'suppressed' });
    expect((await loadSuppressions(database())).get('gone@example.com')).toBe('bounce');
    const bounce = await database().models.Event.collection.findOne({ eventId: 'bounce:6661f0c2a1b2c3d4e5f60003' });
    expect(bounce).toMatchObject({
      type: 'email_bounced',
      customerId: 'gone',
      props: { bounceType: 'hard', smtpCode: 550 },
    });
    expect(sink.received().some((m) => m.to.includes('gone@example.com'))).toBe(false);
  });

  it('classifies 421 as transient and changes nothing', async () => {
    // A fresh pool: on a reused connection nodemailer reports the dropped connection, not the 421.
    const fresh = createMailer({ url: sink.url, from: 'shop@shop.example.com' });
    const sent = await fresh.send(mailFor('busy@example.com', '6661f0c2a1b2c3d4e5f60004'));
    await fresh.close();
    expect(sent).toMatchObject({ ok: false, error: { type: 'transient', smtpCode: 421 } });
    if (!sent.ok)
      expect(
        await recordDeliveryFailure(
          database(),
          { messageId: 'x', customerId: 'busy', to: 'busy@example.com' },
          sent.error,
        ),
      ).toEqual({ suppressed: false });
  });

  // The deadline is the check: nodemailer's default timeouts (30 s and more) would miss it, the mailer's 800 ms do not.
  it('classifies a server that stops answering as a timeout', { timeout: 15_000 }, async () => {
    const sent = await mailer.send(mailFor('slow@example.com', '6661f0c2a1b2c3d4e5f60005'));
    expect(sent).toMatchObject({ ok: false, error: { type: 'timeout' } });
    // The pool recovers: the next mail goes through.
    expect((await mailer.send(mailFor('ok@example.com', '6661f0c2a1b2c3d4e5f60006'))).ok).toBe(true);
  });

  it('classifies a refused connection as transient', async () => {
    const closed = createMailer({ host: '127.0.0.1', port: 1, from: 'a@b.c', connectionTimeoutMs: 500 });
    const sent = await closed.send(mailFor('ok@example.com', '6661f0c2a1b2c3d4e5f60007'));
    await closed.close();
    expect(sent).toMatchObject({ ok: false, error: { type: 'transient' } });
  });
});

describe('send decisions', () => {
  const granted = { _id: 'c', email: 'c@example.com', consent: { email: { status: 'granted' } } };
  it('needs consent for marketing only, and lets no mail through a bounce', () => {
    expect(decideSend(granted, 'marketing', undefined)).toEqual({ ok: true });
    expect(decideSend({ ...granted, consent: { email: { status: 'unknown' } } }, 'marketing', undefined)).toEqual({
      ok: false,
      reason: 'no_consent',
    });
    expect(decideSend({ ...granted, consent: { email: { status: 'unknown' } } }, 'transactional', undefined)).toEqual({
      ok: true,
    });
    expect(decideSend(granted, 'marketing', 'unsubscribe')).toEqual({ ok: false, reason: 'unsubscribed' });
    expect(decideSend(granted, 'transactional', 'unsubscribe')).toEqual({ ok: true });
    expect(decideSend(granted, 'transactional', 'bounce')).toEqual({ ok: false, reason: 'suppressed' });
    expect(decideSend({ _id: 'x' }, 'transactional', undefined)).toEqual({ ok: false, reason: 'no_address' });
    expect(decideSend({ ...granted, traits: { emailTopics: ['news'] } }, 'marketing', undefined, 'offers')).toEqual({
      ok: false,
      reason: 'topic_off',
    });
    expect(decideSend({ ...granted, traits: { emailTopics: ['news'] } }, 'marketing', undefined, 'news')).toEqual({
      ok: true,
    });
  });

  it('treats 5xx as permanent except 503, 4xx as transient', () => {
    expect(classifySmtpError(Object.assign(new Error('x'), { responseCode: 554 })).type).toBe('hard_bounce');
    expect(classifySmtpError(Object.assign(new Error('x'), { responseCode: 503 })).type).toBe('transient');
    expect(classifySmtpError(Object.assign(new Error('x'), { responseCode: 451 })).type).toBe('transient');
    expect(classifySmtpError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })).type).toBe('timeout');
  });
});
