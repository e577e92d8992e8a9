import {
  cartSnapshotEvents,
  dropUndefined,
  orderAnonymousId,
  orderLinkEvent,
  type WebhookPayload,
} from './commerceEvents.js';
import { objectsOf, scalarNumber as num, scalarText as str } from './payloadValues.js';

type P = WebhookPayload;

/**
 * Shopify webhook payloads (Admin API REST shapes) → Breadcrumb events. Every eventId is derived
 * from Shopify's own ids, so a re-delivered or repeated webhook (orders/create then orders/paid,
 * successive checkouts/update) stores nothing twice.
 */
export const shopifyTopics = [
  'orders/create',
  'orders/paid',
  'orders/cancelled',
  'refunds/create',
  'checkouts/create',
  'checkouts/update',
  'carts/update',
  'customers/create',
  'customers/update',
] as const;
export type ShopifyTopic = (typeof shopifyTopics)[number];

const cartAnonymousId = (token: unknown) => (str(token) ? `shopify-cart:${str(token)}` : undefined);

function lineItems(items: unknown) {
  return objectsOf(items).map((li) => ({
    productId: str(li.product_id ?? li.variant_id ?? li.sku) ?? 'unknown',
    name: str(li.title ?? li.name),
    category: str(li.product_type),
    price: num(li.price) ?? 0,
    quantity: num(li.quantity) ?? 1,
  }));
}

function who(p: P): { customerId?: string; anonymousId?: string } {
  return { customerId: str(p.customer?.id), anonymousId: cartAnonymousId(p.cart_token) };
}

function order(p: P) {
  return {
    ...who(p),
    eventId: `shopify:order:${str(p.id)}`,
    type: 'order_completed',
    timestamp: str(p.created_at ?? p.processed_at),
    properties: {
      orderId: str(p.id),
      checkoutId: str(p.checkout_token ?? p.checkout_id),
      cartId: str(p.cart_token),
      revenue: num(p.total_price) ?? 0,
      subtotal: num(p.subtotal_price),
      discount: num(p.total_discounts) ?? 0,
      shipping: num(p.total_shipping_price_set?.shop_money?.amount) ?? 0,
      currency: str(p.currency) ?? 'USD',
      couponCode: str(p.discount_codes?.[0]?.code),
      items: lineItems(p.line_items),
    },
  };
}

/**
 * A checkout is visible step by step so abandoned ones show where people left: contact is done
 * once there is an email, shipping once a shipping rate is chosen, and the furthest step
 * reached is "viewed". A completed checkout has an order of its own and adds nothing here.
 */
function checkout(p: P) {
  const token = str(p.token ?? p.id);
  const base = { ...who(p), anonymousId: cartAnonymousId(p.cart_token) };
  const at = str(p.updated_at ?? p.created_at);
  const value = num(p.total_price);
  const events: P[] = [
    {
      ...base,
      eventId: `shopify:checkout:${token}:started`,
      type: 'checkout_started',
      timestamp: str(p.created_at),
      properties: { checkoutId: token, cartId: str(p.cart_token), value, itemCount: lineItems(p.line_items).length },
    },
  ];
  const contact = Boolean(p.email || p.phone);
  const shipping = Boolean(p.shipping_line || (Array.isArray(p.shipping_lines) && p.shipping_lines.length));
  const furthest = shipping ? 3 : contact ? 2 : 1;
  const steps = ['contact', 'shipping', 'payment', 'review'] as const;
  if (contact)
    events.push({
      ...base,
      eventId: `shopify:checkout:${token}:completed:contact`,
      type: 'checkout_step_completed',
      timestamp: at,
      properties: { checkoutId: token, step: 'contact', stepIndex: 1 },
    });
  if (shipping)
    events.push({
      ...base,
      eventId: `shopify:checkout:${token}:completed:shipping`,
      type: 'checkout_step_completed',
      timestamp: at,
      properties: { checkoutId: token, step: 'shipping', stepIndex: 2 },
    });
  events.push({
    ...base,
    eventId: `shopify:checkout:${token}:viewed:${steps[furthest - 1]}`,
    type: 'checkout_step_viewed',
    timestamp: at,
    properties: { checkoutId: token, step: steps[furthest - 1], stepIndex: furthest },
  });
  if (p.email && base.customerId)
    events.unshift({
      customerId: base.customerId,
      anonymousId: base.anonymousId,
      eventId: `shopify:checkout:${token}:identify`,
      type: 'identify',
      timestamp: str(p.created_at),
      properties: { traits: { email: str(p.email) } },
    });
  return p.completed_at ? [] : events;
}

function cart(p: P) {
  const token = str(p.token ?? p.id) ?? '';
  const at = str(p.updated_at ?? p.created_at);
  return cartSnapshotEvents({
    source: 'shopify',
    cartId: token,
    anonymousId: cartAnonymousId(token),
    at,
    items: lineItems(p.line_items),
  });
}

function customer(p: P) {
  const state = (c: P | undefined, legacy: unknown) =>
    c?.state ? c.state === 'subscribed' : typeof legacy === 'boolean' ? legacy : undefined;
  const consent = {
    email: state(p.email_marketing_consent, p.accepts_marketing),
    sms: state(p.sms_marketing_consent, undefined),
  };
  return [
    {
      customerId: str(p.id),
      eventId: `shopify:customer:${str(p.id)}:${str(p.updated_at ?? p.created_at)}`,
      type: 'identify',
      timestamp: str(p.updated_at ?? p.created_at),
      properties: {
        traits: {
          email: str(p.email),
          firstName: str(p.first_name),
          lastName: str(p.last_name),
          country: str(p.default_address?.country),
        },
        ...(consent.email !== undefined || consent.sms !== undefined ? { consent } : {}),
      },
    },
  ];
}

/** The events a webhook means; validated afterwards like any other event. */
export function fromShopify(topic: ShopifyTopic, p: P): unknown[] {
  const events: unknown[] = (() => {
    switch (topic) {
      case 'orders/create':
      case 'orders/paid':
        // The identify links `shopify-order:<id>` to the customer: refund webhooks name only the order.
        return [
          order(p),
          ...orderLinkEvent('shopify', {
            orderId: str(p.id),
            customerId: str(p.customer?.id),
            email: str(p.email ?? p.customer?.email),
            at: str(p.created_at),
          }),
        ];
      case 'orders/cancelled':
        return [
          {
            ...who(p),
            eventId: `shopify:order:${str(p.id)}:cancelled`,
            type: 'order_refunded',
            timestamp: str(p.cancelled_at ?? p.updated_at),
            properties: { orderId: str(p.id), amount: num(p.total_price) ?? 0, reason: str(p.cancel_reason) },
          },
        ];
      case 'refunds/create': {
        const amount = objectsOf(p.transactions)
          .filter((t) => t.kind === 'refund')
          .reduce((s, t) => s + (num(t.amount) ?? 0), 0);
        const items = objectsOf(p.refund_line_items).flatMap((r) =>
          lineItems([r.line_item]).map((li) => ({ ...li, quantity: num(r.quantity) ?? 1 })),
        );
        const fallback = items.reduce((s, li) => s + li.price * li.quantity, 0);
        return [
          {
            anonymousId: orderAnonymousId('shopify', str(p.order_id)),
            eventId: `shopify:refund:${str(p.id)}`,
            type: 'order_refunded',
            timestamp: str(p.created_at),
            properties: { orderId: str(p.order_id), amount: amount || fallback, items },
          },
        ];
      }
      case 'checkouts/create':
      case 'checkouts/update':
        return checkout(p);
      case 'carts/update':
        return cart(p);
      case 'customers/create':
      case 'customers/update':
        return customer(p);
    }
  })();
  return events.map(dropUndefined);
}
