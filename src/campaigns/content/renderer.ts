import mjml2html from 'mjml';
import { signToken } from '../tracking/tokens.js';
import { fillSubject, templateInfo } from './catalog.js';
import { compileTemplate, type CompiledTemplate, type FillContext } from './compileTemplate.js';
import { mjmlToText, templateSource } from './templateSource.js';
import {
  stepTemplateKeys,
  type ContentLength,
  type MessageData,
  type MessageKind,
  type Renderer,
  type RendererOptions,
  type Rendered,
  type StepTemplateKey,
  type TemplateVariant,
  type TrackedLink,
} from './types.js';

interface Compiled {
  html: CompiledTemplate;
  text: CompiledTemplate;
}

const lengths: readonly ContentLength[] = ['full', 'short'];

/** MJML → HTML with our placeholders still in it, then both parts parsed into fill functions. */
export async function compileStep(step: StepTemplateKey, length: ContentLength): Promise<Compiled> {
  const source = templateSource(step, length);
  const { html, errors } = await mjml2html(source, { validationLevel: 'strict', keepComments: false });
  if (errors.length) throw new Error(`${step}.mjml (${length}): ${errors.map((e) => e.formattedMessage).join('; ')}`);
  // MJML indents its output; dropping the indentation (never whitespace inside a line) shrinks
  // every mail by about a third, and each render builds and sends that much less.
  const compact = html.replace(/[ \t]*\n\s*/g, '\n');
  return {
    html: compileTemplate(compact, 'html', `${step}.mjml`),
    text: compileTemplate(mjmlToText(source), 'text', `${step}.mjml (text)`),
  };
}

const stars = (rating: number) => {
  const full = Math.max(0, Math.min(5, Math.round(rating)));
  return '★'.repeat(full) + '☆'.repeat(5 - full);
};

/** One recipient's view of a step: the values templates read, and the fill context recording links. */
export interface PreparedView {
  length: ContentLength;
  kind: MessageKind;
  subject: string;
  view: object;
  ctx: FillContext;
  links: TrackedLink[];
  unsubscribeUrl?: string;
}

/**
 * Everything per recipient except filling the template: the content length (the variant's, else
 * by engagement), the subject line, signed tracking links (recorded in `links` as the fill
 * meets them), the open pixel and, for marketing mail, the unsubscribe link.
 */
export function prepareView(
  opts: RendererOptions,
  step: StepTemplateKey,
  variant: TemplateVariant,
  data: MessageData,
): PreparedView {
  const base = opts.publicUrl.replace(/\/+$/, '');
  const shopName = opts.shopName ?? 'Breadcrumb Shop';
  const info = templateInfo(step);
  const m = data.messageId;
  const c = data.customerId;

  const links: TrackedLink[] = [];
  const trackedByUrl = new Map<string, string>();
  let clickBase: string | undefined;
  const ctx: FillContext = {
    track(url) {
      let tracked = trackedByUrl.get(url);
      if (!tracked) {
        const l = `l${links.length}`;
        links.push({ id: l, url });
        clickBase ??= `${base}/c/${signToken(opts.secret, { p: 'c', m, c })}/`;
        tracked = clickBase + l;
        trackedByUrl.set(url, tracked);
      }
      return tracked;
    },
  };

  const product = data.cart?.items[0] ?? data.order?.items[0] ?? data.viewedProducts[0];
  const category = data.favouriteCategory ?? product?.category;
  const incentive = data.incentive;
  const offer = incentive ? (incentive.type === 'discount' ? `${incentive.percent}% off` : 'free shipping') : undefined;
  const subject = fillSubject(info.subjects, variant.subject ?? 0, {
    shop: shopName,
    firstName: data.firstName,
    product: product?.name,
    category,
    percent: incentive?.type === 'discount' ? String(incentive.percent) : undefined,
    offer,
    orderId: data.order?.orderId,
  });
  const unsubscribeUrl =
    info.kind === 'marketing' ? `${base}/u/${signToken(opts.secret, { p: 'u', m, c })}` : undefined;
  const view = {
    ...data,
    subject,
    shopName,
    shopUrl: opts.shopUrl,
    greetingName: data.firstName || 'there',
    product,
    category,
    offer,
    reviews: data.reviews.length ? data.reviews.map((r) => ({ ...r, stars: stars(r.rating) })) : data.reviews,
    pixelUrl: `${base}/o/${signToken(opts.secret, { p: 'o', m, c })}`,
    unsubscribeUrl,
    preferencesUrl: unsubscribeUrl,
  };
  const prepared: PreparedView = {
    length: variant.length ?? (data.engagement === 'low' ? 'short' : 'full'),
    kind: info.kind,
    subject,
    view,
    ctx,
    links,
  };
  if (unsubscribeUrl) prepared.unsubscribeUrl = unsubscribeUrl;
  return prepared;
}

/** The Rendered message from a prepared view and its filled parts. */
export function finish(prepared: PreparedView, html: string, text: string, mailDomain: string): Rendered {
  const rendered: Rendered = {
    subject: prepared.subject,
    html,
    text: text.replace(/\n{3,}/g, '\n\n'),
    links: prepared.links,
    kind: prepared.kind,
  };
  if (prepared.unsubscribeUrl) {
    const token = prepared.unsubscribeUrl.slice(prepared.unsubscribeUrl.lastIndexOf('/') + 1);
    rendered.unsubscribe = {
      url: prepared.unsubscribeUrl,
      mailto: `mailto:unsubscribe@${mailDomain}?subject=unsubscribe%20${token}`,
    };
  }
  return rendered;
}

/**
 * Compiles every step at both content lengths (MJML runs here, ~2–25 ms each, never per
 * recipient) and returns the per-recipient fill: escaped values, signed tracked links recorded in
 * `links`, the open pixel, unsubscribe links for marketing mail, and the plain-text part.
 */
export async function createRenderer(opts: RendererOptions): Promise<Renderer> {
  const compiled = new Map<string, Compiled>();
  for (const step of opts.steps ?? stepTemplateKeys) {
    for (const length of lengths) compiled.set(`${step}:${length}`, await compileStep(step, length));
  }
  return {
    render(step, variant, data) {
      const prepared = prepareView(opts, step, variant, data);
      const template = compiled.get(`${step}:${prepared.length}`);
      if (!template) throw new Error(`template ${step} was not compiled (createRenderer steps option)`);
      // Both fills share the view's link list: a URL in both parts is one link, one id.
      const html = template.html(prepared.view, prepared.ctx);
      return finish(prepared, html, template.text(prepared.view, prepared.ctx), opts.mailDomain);
    },
  };
}
