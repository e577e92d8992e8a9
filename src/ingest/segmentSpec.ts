import { z } from 'zod';
import { isTimeZone, timestampSchema } from './eventSchemas.js';
import { checkExtras } from './extraProperties.js';
import { objectsOf, scalarNumber as num, scalarText as str } from './payloadValues.js';

/**
 * The Segment HTTP Tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/),
 * the E-commerce Spec v2 and the Email spec, mapped to Breadcrumb events (the table is
 * docs/segment-spec.md). Properties a mapping does not translate are kept as sent, within
 * EXTRA_LIMITS; unknown track names become `custom` events with their name. Nothing a store
 * sends is silently lost: it is stored, or the message is refused naming the field.
 */
export const segmentMessageSchema = z.looseObject({
  type: z.enum(['track', 'identify', 'page', 'screen', 'alias', 'group']),
  messageId: z.string().max(200).optional(),
  userId: z.union([z.string(), z.number()]).optional(),
  anonymousId: z.union([z.string(), z.number()]).optional(),
  previousId: z.union([z.string(), z.number()]).optional(),
  groupId: z.union([z.string(), z.number()]).optional(),
  event: z.string().max(200).optional(),
  name: z.string().max(500).optional(),
  timestamp: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  traits: z.record(z.string(), z.unknown()).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});
export type SegmentMessage = z.output<typeof segmentMessageSchema>;

export const segmentBatchSchema = z.looseObject({ batch: z.array(z.unknown()).min(1).max(2500) });

type Props = Record<string, unknown>;
/** A message's field and why it cannot be stored (the field as the client named it). */
export interface SegmentRefusal {
  field: string;
  reason: string;
}
type Mapped<T> = { ok: true; value: T } | { ok: false; error: SegmentRefusal };

const steps = ['contact', 'shipping', 'payment', 'review'] as const;

interface TrackMapping {
  type: string;
  /** The spec properties the mapping translates; every other property is kept as sent. */
  reads: readonly string[];
  map: (p: Props) => Props;
}

const productReads = ['product_id', 'sku', 'id', 'category', 'name', 'price', 'quantity'] as const;
function product(p: Props) {
  return {
    productId: str(p.product_id ?? p.sku ?? p.id),
    category: str(p.category),
    name: str(p.name),
    price: num(p.price),
    quantity: num(p.quantity) ?? 1,
  };
}

function checkoutStep(p: Props) {
  const index = Math.min(Math.max(Math.round(num(p.step) ?? 1), 1), 4);
  return { checkoutId: str(p.checkout_id ?? p.order_id), step: steps[index - 1], stepIndex: index };
}

const emailReads = ['campaign_id', 'campaign_name', 'email_id', 'email_subject'] as const;
function email(p: Props) {
  return {
    campaignId: str(p.campaign_id ?? p.campaign_name),
    messageId: str(p.email_id),
    subject: str(p.email_subject),
  };
}

const track = (type: string, reads: readonly string[], map: (p: Props) => Props): TrackMapping => ({
  type,
  reads,
  map,
});

/** Segment E-commerce Spec v2 and Email spec names → our type and properties. */
const trackMappings: Record<string, TrackMapping> = {
  'Products Searched': track('products_searched', ['query'], (p) => ({ query: str(p.query) ?? '' })),
  'Product List Viewed': track('category_viewed', ['category', 'list_id'], (p) => ({
    category: str(p.category ?? p.list_id) ?? 'unknown',
  })),
  'Product Category Viewed': track('category_viewed', ['category'], (p) => ({
    category: str(p.category) ?? 'unknown',
  })),
  'Product Viewed': track('product_viewed', productReads, product),
  'Product Added': track('cart_item_added', [...productReads, 'cart_id'], (p) => ({
    cartId: str(p.cart_id) ?? 'default',
    ...product(p),
  })),
  'Product Removed': track('cart_item_removed', [...productReads, 'cart_id'], (p) => ({
    cartId: str(p.cart_id) ?? 'default',
    ...product(p),
  })),
  'Cart Viewed': track('cart_viewed', ['cart_id', 'value'], (p) => ({
    cartId: str(p.cart_id) ?? 'default',
    value: num(p.value),
  })),
  'Checkout Started': track(
    'checkout_started',
    ['checkout_id', 'order_id', 'cart_id', 'value', 'revenue', 'total'],
    (p) => ({
      checkoutId: str(p.checkout_id ?? p.order_id) ?? 'unknown',
      cartId: str(p.cart_id),
      value: num(p.value ?? p.revenue ?? p.total),
      itemCount: Array.isArray(p.products) ? p.products.length : undefined,
    }),
  ),
  'Checkout Step Viewed': track('checkout_step_viewed', ['checkout_id', 'order_id', 'step'], checkoutStep),
  'Checkout Step Completed': track('checkout_step_completed', ['checkout_id', 'order_id', 'step'], checkoutStep),
  'Order Completed': track(
    'order_completed',
    [
      'order_id',
      'checkout_id',
      'revenue',
      'total',
      'subtotal',
      'discount',
      'shipping',
      'currency',
      'coupon',
      'products',
    ],
    (p) => ({
      orderId: str(p.order_id) ?? '',
      checkoutId: str(p.checkout_id),
      revenue: num(p.revenue ?? p.total ?? p.subtotal) ?? 0,
      subtotal: num(p.subtotal),
      discount: num(p.discount) ?? 0,
      shipping: num(p.shipping) ?? 0,
      currency: str(p.currency)?.toUpperCase() ?? 'USD',
      couponCode: str(p.coupon),
      items: objectsOf(p.products).map(product),
    }),
  ),
  'Order Refunded': track('order_refunded', ['order_id', 'total', 'revenue'], (p) => ({
    orderId: str(p.order_id) ?? '',
    amount: num(p.total ?? p.revenue) ?? 0,
  })),
  'Email Delivered': track('email_delivered', emailReads, email),
  'Email Opened': track('email_opened', emailReads, email),
  'Email Link Clicked': track('email_clicked', [...emailReads, 'link_url'], (p) => ({
    ...email(p),
    url: str(p.link_url),
  })),
  // `bounce_type` is not in the spec; senders that know a soft bounce say so, and a soft bounce suppresses no one.
  'Email Bounced': track('email_bounced', [...emailReads, 'bounce_type'], (p) => ({
    ...email(p),
    bounceType: p.bounce_type === 'soft' ? 'soft' : 'hard',
  })),
  'Email Marked as Spam': track('email_complained', emailReads, email),
  Unsubscribed: track('email_unsubscribed', emailReads, email),
  'Application Opened': track('app_opened', [], () => ({})),
};

/** Event types whose pages have a time on page (the browsing features read `timeOnPageSec`). */
const timedTypes = new Set(['page_viewed', 'category_viewed', 'product_viewed']);
/** Names stores give the time on a page (not in the spec), with their unit in seconds. */
const dwellUnits: Record<string, number> = { time_on_page_ms: 0.001, time_on_page_sec: 1 };

/** `timeOnPageSec` from `time_on_page_ms` or `time_on_page_sec`; a value that is no duration refuses the message. */
function timeOnPage(p: Props): Mapped<number | undefined> {
  for (const [key, unit] of Object.entries(dwellUnits)) {
    if (p[key] === undefined) continue;
    const seconds = (num(p[key]) ?? NaN) * unit;
    if (!(seconds >= 0 && seconds <= 86_400))
      return {
        ok: false,
        error: {
          field: `properties.${key}`,
          reason: `expected a time on page between 0 and ${86_400 / unit} (${key.endsWith('_ms') ? 'milliseconds' : 'seconds'})`,
        },
      };
    return { ok: true, value: Math.round(seconds * 1000) / 1000 };
  }
  return { ok: true, value: undefined };
}

function drop<T extends Props>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** The properties a mapping did not translate, checked against the bounds, under the mapped ones. */
function withExtras(p: Props, reads: readonly string[], mapped: Props, type: string): Mapped<Props> {
  const timed = timedTypes.has(type);
  const skip = new Set([...reads, ...(timed ? Object.keys(dwellUnits) : [])]);
  const extras = Object.fromEntries(Object.entries(p).filter(([k]) => !skip.has(k)));
  const bad = checkExtras(extras, ['properties']);
  if (bad) return { ok: false, error: { field: bad.path.join('.'), reason: bad.reason } };
  const out: Props = { ...extras, ...drop(mapped) };
  if (timed) {
    const seconds = timeOnPage(p);
    if (!seconds.ok) return seconds;
    if (seconds.value !== undefined) out.timeOnPageSec = seconds.value;
  }
  return { ok: true, value: out };
}

/** Locale tags as libraries send them (`en-US`, `pt_BR`); anything else says nothing usable. */
const localePattern = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/;

/**
 * Identify traits in the names our customer profile uses: `createdAt` is the signup date
 * (`signedUpAt`), and the time zone and locale the library saw in `context` fill in when the
 * traits do not say. Context values that are not a zone or a locale are left out (a library
 * filled them, the customer did not say them); a `createdAt` that is no date refuses the message.
 */
function identifyTraits(m: SegmentMessage, context: { timezone?: unknown; locale?: unknown }): Mapped<Props> {
  const t = { ...(m.traits ?? {}) } as Props;
  const traits = drop({
    ...t,
    email: str(t.email),
    firstName: str(t.firstName ?? t.first_name),
    lastName: str(t.lastName ?? t.last_name),
    country: str((t.address as Props | undefined)?.country ?? t.country),
  } as Props);
  for (const k of ['first_name', 'last_name', 'address', 'createdAt', 'created_at']) delete traits[k];
  const createdAt = t.createdAt ?? t.created_at;
  if (createdAt !== undefined) {
    const field = t.createdAt !== undefined ? 'traits.createdAt' : 'traits.created_at';
    const parsed = timestampSchema.safeParse(createdAt);
    if (!parsed.success)
      return {
        ok: false,
        error: {
          field,
          reason: `expected an ISO 8601 date or epoch milliseconds, not in the future: ${parsed.error.issues[0]!.message}`,
        },
      };
    traits.signedUpAt = parsed.data.toISOString();
  }
  if (traits.timezone === undefined && typeof context.timezone === 'string' && isTimeZone(context.timezone))
    traits.timezone = context.timezone;
  if (traits.locale === undefined && typeof context.locale === 'string' && localePattern.test(context.locale))
    traits.locale = context.locale.replace('_', '-');
  return { ok: true, value: traits };
}

/**
 * The location and weather parts of Segment's `context` we keep (country, region and city of
 * `context.location`, which also carries coordinates and speed we do not want; `context.weather`
 * as {tempC, condition}); the event schema then checks their types.
 */
function eventContext(context: Record<string, unknown>): Props | undefined {
  const pick = (v: unknown, keys: string[]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? drop(Object.fromEntries(keys.map((k) => [k, (v as Props)[k]])))
      : undefined;
  const location = pick(context.location, ['country', 'region', 'city']);
  const weather = pick(context.weather, ['tempC', 'condition']);
  const out = drop({
    location: location && Object.keys(location).length ? location : undefined,
    weather: weather && Object.keys(weather).length ? weather : undefined,
  });
  return Object.keys(out).length ? out : undefined;
}

/** One Segment message → one Breadcrumb event (still to be validated), or the field that refuses it. */
export function fromSegment(m: SegmentMessage): Mapped<Props> {
  const context = (m.context ?? {}) as {
    device?: { type?: string };
    campaign?: { source?: string; medium?: string; name?: string };
    page?: { path?: string };
    timezone?: unknown;
    locale?: unknown;
  };
  const deviceType = context.device?.type;
  const base = drop({
    eventId: m.messageId,
    customerId: str(m.userId),
    anonymousId: str(m.anonymousId),
    timestamp: m.timestamp,
    device: deviceType === 'mobile' || deviceType === 'tablet' ? deviceType : deviceType ? 'desktop' : undefined,
    context: eventContext(m.context ?? {}),
  } as Props);
  const p = (m.properties ?? {}) as Props;
  const event = (type: string, properties: Mapped<Props>, extra: Props = {}): Mapped<Props> =>
    properties.ok ? { ok: true, value: { ...base, ...extra, type, properties: properties.value } } : properties;
  switch (m.type) {
    case 'track': {
      const map = trackMappings[m.event ?? ''];
      if (map) return event(map.type, withExtras(p, map.reads, map.map(p), map.type));
      return event('custom', withExtras(p, [], { name: m.event ?? 'unnamed' }, 'custom'));
    }
    case 'identify': {
      const traits = identifyTraits(m, context);
      return traits.ok ? event('identify', { ok: true, value: { traits: traits.value } }) : traits;
    }
    case 'page':
    case 'screen': {
      const page = {
        path: str(p.path ?? context.page?.path ?? m.name),
        utmSource: context.campaign?.source,
        utmMedium: context.campaign?.medium,
        utmCampaign: context.campaign?.name,
      };
      return event('page_viewed', withExtras(p, ['path'], page, 'page_viewed'), {
        channel: m.type === 'screen' ? 'app' : 'web',
      });
    }
    case 'alias':
      // alias(previousId → userId) is an identity link: an identify with both ids and no traits.
      return {
        ok: true,
        value: { ...base, anonymousId: str(m.previousId), type: 'identify', properties: { traits: {} } },
      };
    case 'group': {
      // A customer's company or account: kept as a custom event, since no feature reads it yet.
      const bad = checkExtras(m.traits ?? {}, ['traits']);
      if (bad) return { ok: false, error: { field: bad.path.join('.'), reason: bad.reason } };
      return event('custom', {
        ok: true,
        value: drop({ name: 'Group', groupId: str(m.groupId), traits: m.traits ?? {} }),
      });
    }
  }
}
