import type { Database } from '../db/database.js';
import { scalarNumber } from './payloadValues.js';

/**
 * Event shapes every shop platform's webhooks share (Shopify, WooCommerce, Magento): the
 * platform modules read their own payloads and build these, so a cart or an order means the
 * same events whichever shop sent it.
 */

/** A platform's webhook JSON: untyped, read defensively with payloadValues.ts after its zod check. */
export type WebhookPayload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- third-party JSON

export interface LineItem {
  productId: string;
  name?: string;
  category?: string;
  price: number;
  quantity: number;
}

/**
 * A cart webhook carries the whole cart, not what changed: each (item, quantity) pair is one add
 * event, so repeating an unchanged cart adds nothing, and the cart is viewed once per change.
 */
export function cartSnapshotEvents(cart: {
  /** Platform prefix of the event ids, e.g. `shopify`. */
  source: string;
  cartId: string;
  anonymousId?: string;
  customerId?: string;
  at?: string;
  items: LineItem[];
}): Record<string, unknown>[] {
  const { source, cartId, anonymousId, customerId, at, items } = cart;
  return [
    ...items.map((li) => ({
      anonymousId,
      customerId,
      eventId: `${source}:cart:${cartId}:${li.productId}:${li.quantity}`,
      type: 'cart_item_added',
      timestamp: at,
      properties: { cartId, ...li },
    })),
    {
      anonymousId,
      customerId,
      eventId: `${source}:cart:${cartId}:viewed:${at}`,
      type: 'cart_viewed',
      timestamp: at,
      properties: { cartId, value: items.reduce((s, li) => s + li.price * li.quantity, 0) },
    },
  ];
}

/**
 * Links `<source>-order:<id>` to the customer who placed it: refund and deletion webhooks name only
 * the order, and their events (sent under that anonymous id) reach the customer through it.
 */
export function orderLinkEvent(
  source: string,
  order: { orderId?: string; customerId?: string; email?: string; at?: string },
): Record<string, unknown>[] {
  if (!order.customerId) return [];
  return [
    {
      customerId: order.customerId,
      anonymousId: orderAnonymousId(source, order.orderId),
      eventId: `${source}:order:${order.orderId}:link`,
      type: 'identify',
      timestamp: order.at,
      properties: { traits: { email: order.email } },
    },
  ];
}

export const orderAnonymousId = (source: string, orderId: string | undefined) => `${source}-order:${orderId}`;

/** Payload fields that were absent are left out of the event rather than stored as null. */
export function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, dropUndefined(v)]),
    );
  return value;
}

/**
 * The revenue stored for a platform's order (`<source>:order:<id>`), or undefined for an order
 * never stored: a cancellation reverses only an order that was stored as a sale.
 */
export async function storedOrderRevenue(
  database: Database,
  source: string,
  orderId: string | undefined,
): Promise<number | undefined> {
  const order = await database.collections.events.findOne(
    { eventId: `${source}:order:${orderId}` },
    { projection: { 'props.revenue': 1 } },
  );
  return order ? (scalarNumber(order.props?.revenue) ?? 0) : undefined;
}
