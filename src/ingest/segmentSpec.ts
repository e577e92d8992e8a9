import { z } from 'zod';
import { objectsOf, scalarNumber as num, scalarText as str } from './payloadValues.js';

/**
 * The Segment HTTP Tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/)
 * and the E-commerce Spec v2 event names, mapped to Breadcrumb events. Unknown track names are
 * kept as `custom` events with their name, so nothing a store sends is silently lost.
 */
export const segmentMessageSchema = z.looseObject({
  type: z.enum(['track', 'identify', 'page', 'screen', 'alias', 'group']),
  messageId: z.string().max(200).optional(),
  userId: z.union([z.string(), z.number()]).optional(),
  anonymousId: z.union([z.string(), z.number()]).optional(),
  previousId: z.union([z.string(), z.number()]).optional(),
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
const steps = ['contact', 'shipping', 'payment', 'review'] as const;

function product(p: Props) {
  return { productId: str(p.product_id ?? p.sku ?? p.id), category: str(p.category), name: str(p.name), price: num(p.price), quantity: num(p.quantity) ?? 1 };
}

function checkoutStep(p: Props) {
  const index = Math.min(Math.max(Math.round(num(p.step) ?? 1), 1), 4);
  return { checkoutId: str(p.checkout_id ?? p.order_id), step: steps[index - 1], stepIndex: index };
}

/** Segment E-commerce Spec v2 (and Email spec) names → our type and properties. */
const trackMappings: Record<string, (p: Props) => { type: string; properties: Props }> = {
  'Products Searched': (p) => ({ type: 'products_searched', properties: { query: str(p.query) ?? '' } }),
  'Product List Viewed': (p) => ({ type: 'category_viewed', properties: { category: str(p.category ?? p.list_id) ?? 'unknown' } }),
  'Product Category Viewed': (p) => ({ type: 'category_viewed', properties: { category: str(p.category) ?? 'unknown' } }),
  'Product Viewed': (p) => ({ type: 'product_viewed', properties: product(p) }),
  'Product Added': (p) => ({ type: 'cart_item_added', properties: { cartId: str(p.cart_id) ?? 'default', ...product(p) } }),
  'Product Removed': (p) => ({ type: 'cart_item_removed', properties: { cartId: str(p.cart_id) ?? 'default', ...product(p) } }),
  'Cart Viewed': (p) => ({ type: 'cart_viewed', properties: { cartId: str(p.cart_id) ?? 'default', value: num(p.value) } }),
  'Checkout Started': (p) => ({
    type: 'checkout_started',
    properties: { checkoutId: str(p.checkout_id ?? p.order_id) ?? 'unknown', cartId: str(p.cart_id), value: num(p.value ?? p.revenue ?? p.total), itemCount: Array.isArray(p.products) ? p.products.length : undefined },
  }),
  'Checkout Step Viewed': (p) => ({ type: 'checkout_step_viewed', properties: checkoutStep(p) }),
  'Checkout Step Completed': (p) => ({ type: 'checkout_step_completed', properties: checkoutStep(p) }),
  'Order Completed': (p) => ({
    type: 'order_completed',
    properties: {
      orderId: str(p.order_id) ?? '',
      checkoutId: str(p.checkout_id),
      revenue: num(p.revenue ?? p.total ?? p.subtotal) ?? 0,
      subtotal: num(p.subtotal),
      discount: num(p.discount) ?? 0,
      shipping: num(p.shipping) ?? 0,
      currency: str(p.currency)?.toUpperCase() ?? 'USD',
      couponCode: str(p.coupon),
      items: objectsOf(p.products).map(product),
    },
  }),
  'Order Refunded': (p) => ({ type: 'order_refunded', properties: { orderId: str(p.order_id) ?? '', amount: num(p.total ?? p.revenue) ?? 0 } }),
  'Email Delivered': (p) => ({ type: 'email_delivered', properties: email(p) }),
  'Email Opened': (p) => ({ type: 'email_opened', properties: email(p) }),
  'Email Link Clicked': (p) => ({ type: 'email_clicked', properties: { ...email(p), url: str(p.link_url) } }),
  'Email Bounced': (p) => ({ type: 'email_bounced', properties: email(p) }),
  'Email Marked as Spam': (p) => ({ type: 'email_complained', properties: email(p) }),
  Unsubscribed: (p) => ({ type: 'email_unsubscribed', properties: email(p) }),
  'Application Opened': () => ({ type: 'app_opened', properties: {} }),
};

function email(p: Props) {
  return { campaignId: str(p.campaign_id ?? p.campaign_name), messageId: str(p.email_id) };
}

function drop<T extends Props>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** One Segment message → one Breadcrumb event (still to be validated), or null for `group`. */
export function fromSegment(m: SegmentMessage): Record<string, unknown> | null {
  const context = (m.context ?? {}) as { device?: { type?: string }; campaign?: { source?: string; medium?: string; name?: string }; page?: { path?: string }; traits?: Props };
  const deviceType = context.device?.type;
  const base = drop({
    eventId: m.messageId,
    customerId: str(m.userId),
    anonymousId: str(m.anonymousId),
    timestamp: m.timestamp,
    device: deviceType === 'mobile' || deviceType === 'tablet' ? deviceType : deviceType ? 'desktop' : undefined,
  } as Props);
  const p = (m.properties ?? {}) as Props;
  switch (m.type) {
    case 'track': {
      const map = trackMappings[m.event ?? ''];
      const mapped = map ? map(p) : { type: 'custom', properties: { ...p, name: m.event ?? 'unnamed' } };
      return { ...base, type: mapped.type, properties: drop(mapped.properties) };
    }
    case 'identify': {
      const t = { ...(m.traits ?? {}) } as Props;
      const traits = drop({ ...t, email: str(t.email), firstName: str(t.firstName ?? t.first_name), lastName: str(t.lastName ?? t.last_name), country: str((t.address as Props | undefined)?.country ?? t.country) } as Props);
      for (const k of ['first_name', 'last_name', 'address']) delete traits[k];
      return { ...base, type: 'identify', properties: { traits } };
    }
    case 'page':
    case 'screen':
      return {
        ...base,
        type: 'page_viewed',
        channel: m.type === 'screen' ? 'app' : 'web',
        properties: drop({ path: str(p.path ?? context.page?.path ?? m.name), utmSource: context.campaign?.source, utmMedium: context.campaign?.medium, utmCampaign: context.campaign?.name }),
      };
    case 'alias':
      // alias(previousId → userId) is an identity link: an identify with both ids and no traits.
      return { ...base, anonymousId: str(m.previousId), type: 'identify', properties: { traits: {} } };
    default:
      return null;
  }
}
