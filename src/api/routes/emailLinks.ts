import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { escapeHtml } from '../../campaigns/content/compileTemplate.js';
import { emailTopics, type EmailTopic } from '../../campaigns/content/types.js';
import { confirmSubscription } from '../../campaigns/consent/doubleOptIn.js';
import {
  preferencesOf,
  recordClick,
  recordOpen,
  saveTopics,
  unsubscribe,
} from '../../campaigns/tracking/recordEngagement.js';
import { trackingSecret } from '../../campaigns/tracking/secret.js';
import { verifyToken, type TokenError, type TokenPurpose } from '../../campaigns/tracking/tokens.js';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../errors.js';

/** A 1×1 transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** A forged or mangled link is the caller's mistake (400); an expired one is simply gone (404). */
function refuse(error: TokenError | 'unknown_link' | 'unknown_customer' | 'address_changed'): never {
  if (error === 'expired') throw new AppError('not_found', 'this link has expired');
  if (error === 'unknown_link' || error === 'unknown_customer')
    throw new AppError('not_found', 'this link does not exist');
  if (error === 'address_changed')
    throw new AppError('bad_request', 'this link confirms an address the account no longer uses');
  throw new AppError('bad_request', 'this link is not valid');
}

function verified<P extends TokenPurpose>(req: Request, purpose: P) {
  const result = verifyToken(trackingSecret(), String(req.params.token ?? ''), purpose);
  if (!result.ok) refuse(result.error);
  return result.value;
}

const hit = (req: Request) => ({ userAgent: req.get('user-agent'), ip: req.ip, at: new Date() });

function page(res: Response, status: number, title: string, body: string): void {
  const shop = escapeHtml(config().SHOP_NAME);
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} · ${shop}</title>` +
        `<style>body{font-family:Helvetica,Arial,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#333}button{font-size:1rem;padding:.5rem 1rem;margin:.5rem 0}label{display:block;margin:.3rem 0}</style></head>` +
        `<body><h1>${escapeHtml(title)}</h1>${body}<p><small>${shop}</small></p></body></html>`,
    );
}

const topicLabels: Record<EmailTopic, string> = {
  reminders: 'Reminders about carts and products I looked at',
  recommendations: 'Recommendations and new arrivals',
  offers: 'Offers and discounts',
  news: 'News, tips and stories',
};

const preferenceForm = z.object({
  action: z.enum(['all', 'topics']).optional(),
  topic: z.union([z.enum(emailTopics), z.array(z.enum(emailTopics))]).optional(),
});

/**
 * The links inside our mail, mounted outside /v1 (they carry signed tokens, not API keys):
 * the open pixel, tracked clicks, the one-click unsubscribe and preference centre, and the
 * double opt-in confirmation.
 */
export function emailLinksRouter(database: Database): Router {
  const router = express.Router();

  router.get('/o/:token', async (req, res) => {
    const claims = verified(req, 'o');
    await recordOpen(database, claims, hit(req));
    res.status(200).type('gif').set('Cache-Control', 'no-store, no-cache, must-revalidate, private').send(PIXEL);
  });

  router.get('/c/:token/:link', async (req, res) => {
    const claims = verified(req, 'c');
    const link = String(req.params.link);
    if (!/^l\d{1,4}$/.test(link)) refuse('malformed');
    const click = await recordClick(database, claims, link, hit(req));
    if (!click.ok) refuse(click.error);
    res.set('Cache-Control', 'no-store').redirect(302, click.value.url);
  });

  router.get('/u/:token', async (req, res) => {
    const claims = verified(req, 'u');
    const { email, topics: kept } = await preferencesOf(database, claims.c);
    const boxes = emailTopics
      .map(
        (t) =>
          `<label><input type="checkbox" name="topic" value="${t}"${!kept || kept.includes(t) ? ' checked' : ''}> ${escapeHtml(topicLabels[t])}</label>`,
      )
      .join('');
    const action = escapeHtml(req.originalUrl.split('?')[0]!);
    page(
      res,
      200,
      'Email preferences',
      `<p>Mail for <b>${escapeHtml(email ?? 'your address')}</b>.</p>` +
        `<form method="post" action="${action}"><fieldset><legend>Send me only</legend>${boxes}<button name="action" value="topics">Save my choices</button></fieldset></form>` +
        `<form method="post" action="${action}"><button name="action" value="all">Unsubscribe from all marketing email</button></form>`,
    );
  });

  // RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click`; no page, no confirmation.
  router.post('/u/:token', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    const claims = verified(req, 'u');
    const form = preferenceForm.safeParse(req.body ?? {});
    if (!form.success)
      throw new AppError(
        'validation_failed',
        `invalid form: ${form.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    if (form.data.action === 'topics') {
      const topics = form.data.topic === undefined ? [] : ([] as EmailTopic[]).concat(form.data.topic);
      await saveTopics(database, claims, topics);
      page(
        res,
        200,
        'Preferences saved',
        topics.length
          ? `<p>We will only send: ${topics.map((t) => escapeHtml(topicLabels[t])).join('; ')}.</p>`
          : '<p>You will get no marketing topics.</p>',
      );
      return;
    }
    await unsubscribe(database, claims, form.data.action === 'all' ? 'preference_centre' : 'one_click');
    page(
      res,
      200,
      'You are unsubscribed',
      '<p>You will get no more marketing email from us. Order and account messages still reach you.</p>',
    );
  });

  router.get('/confirm/:token', async (req, res) => {
    const confirmed = await confirmSubscription(database, trackingSecret(), String(req.params.token));
    if (!confirmed.ok) refuse(confirmed.error);
    page(
      res,
      200,
      'You are subscribed',
      `<p>Thank you: <b>${escapeHtml(confirmed.value.email)}</b> will now get our news and offers. Every email has a one-click unsubscribe link.</p>`,
    );
  });

  return router;
}

export function documentEmailLinks(registry: OpenAPIRegistry): void {
  const token = z.object({
    token: z.string().describe('signed token from the mail (HMAC-SHA256 over purpose, message, customer and expiry)'),
  });
  const tags = ['email links'];
  const bad = {
    400: { description: 'Forged or malformed token' },
    404: { description: 'Expired token, or a link the message does not contain' },
  };
  registry.registerPath({
    method: 'get',
    path: '/o/{token}',
    summary: 'Open pixel (1×1 GIF); stores email_opened, machine opens flagged',
    tags,
    request: { params: token },
    responses: { 200: { description: 'image/gif' }, ...bad },
  });
  registry.registerPath({
    method: 'get',
    path: '/c/{token}/{link}',
    summary: 'Tracked click: stores email_clicked and redirects to the URL recorded for that link of that message',
    tags,
    request: {
      params: token.extend({
        link: z
          .string()
          .regex(/^l\d{1,4}$/)
          .describe('link id (l0, l1, …) of the message'),
      }),
    },
    responses: { 302: { description: 'Redirect to the recorded URL' }, ...bad },
  });
  registry.registerPath({
    method: 'get',
    path: '/u/{token}',
    summary: 'Preference centre (HTML): unsubscribe from all, or choose topics',
    tags,
    request: { params: token },
    responses: { 200: { description: 'text/html' }, ...bad },
  });
  registry.registerPath({
    method: 'post',
    path: '/u/{token}',
    summary:
      'Unsubscribe at once (RFC 8058 one-click: body List-Unsubscribe=One-Click), or save topics (action=topics&topic=…)',
    tags,
    request: { params: token },
    responses: { 200: { description: 'text/html confirmation' }, ...bad },
  });
  registry.registerPath({
    method: 'get',
    path: '/confirm/{token}',
    summary: 'Double opt-in confirmation: grants email consent (time, source, text shown)',
    tags,
    request: { params: token },
    responses: { 200: { description: 'text/html' }, ...bad },
  });
}
