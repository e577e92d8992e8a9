import { z } from 'zod';
import type { Database } from '../db/database.js';
import {
  dropUndefined,
  type WebhookPayload,
  orderAnonymousId,
  orderLinkEvent,
  storedOrderRevenue,
  type LineItem,
} from './commerceEvents.js';
import { objectsOf, scalarNumber as num, scalarText as str } from './payloadValues.js';

type P = WebhookPayload;

/**
 * WooCommerce webhook payloads (REST API v3 shapes, the webhook's "API version") → Breadcrumb
 * events. Event ids come from WooCommerce's own ids, so order.created followed by order.updated
 * stores the order once, and a repeated delivery stores nothing twice.
 */
export const wooCommerceTopics = [
  'order.created',
  'order.updated',
  'order.deleted',
  'customer.created',
  'customer.updated',
  'product.created',
  'product.updated',
  'product.deleted',
] as const;
export type WooCommerceTopic = (typeof wooCommerceTopics)[number];

const wooId = z.number().int().positive();
/** WooCommerce writes GMT times without an offset: `2026-03-22T16:28:02`. */
const gmt = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'must be a GMT time like 2026-03-22T16:28:02');
const amount = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal amount in a string, like "12.50"');

/**
 * What each topic's body must hold: the fields read below, by the types WooCommerce sends. A body
 * of another resource under a topic (a customer as an order) is refused naming the missing field.
 */
const orderSchema = z.looseObject({
  id: wooId,
  status: z.string().min(1),
  currency: z.string().length(3),
  total: amount,
  customer_id: z.number().int().min(0),
  billing: z.looseObject({ email: z.string().optional() }),
  line_items: z.array(
    z.looseObject({ product_id: z.number().int().min(0), quantity: z.number(), price: z.number().or(amount) }),
  ),
  date_created_gmt: gmt,
  date_modified_gmt: gmt,
  refunds: z.array(z.looseObject({ id: wooId, total: amount })).optional(),
});
const customerSchema = z.looseObject({
  id: wooId,
  email: z.string().min(1),
  username: z.string(),
  date_modified_gmt: gmt.nullable(),
  date_created_gmt: gmt,
});
const productSchema = z.looseObject({
  id: wooId,
  name: z.string(),
  price: amount.or(z.literal('')),
  categories: z.array(z.looseObject({ name: z.string() })),
  date_modified_gmt: gmt,
});
/** A deletion names the resource only (`{"id": 123}`): anything more is another topic's body. */
const deletedSchema = z.strictObject({ id: wooId });

export function wooCommerceSchema(topic: WooCommerceTopic): z.ZodType {
  if (topic.endsWith('.deleted')) return deletedSchema;
  if (topic.startsWith('order.')) return orderSchema;
  return topic.startsWith('customer.') ? customerSchema : productSchema;
}

export const gmtDate = (v: unknown) => (str(v) ? new Date(`${str(v)}Z`) : undefined);
const gmtIso = (v: unknown) => gmtDate(v)?.toISOString();

/** The resource's last change, for refusing replays of old deliveries; a deletion has none. */
export function wooCommerceChangedAt(_topic: WooCommerceTopic, p: P): { field: string; at: Date } | undefined {
  const at = gmtDate(p.date_modified_gmt);
  return at ? { field: 'date_modified_gmt', at } : undefined;
}

/** Statuses of an order that was placed: pending (unpaid), failed and drafts are not orders yet. */
const placed = new Set(['processing', 'on-hold', 'completed', 'refunded']);

function lineItems(items: unknown): LineItem[] {
  return objectsOf(items).map((li) => ({
    productId: str(li.product_id) ?? str(li.sku) ?? 'unknown',
    name: str(li.name),
    price: num(li.price) ?? 0,
    quantity: num(li.quantity) ?? 1,
  }));
}

const customerOf = (p: P) => (num(p.customer_id) ? str(p.customer_id) : undefined);

function orderCompleted(p: P) {
  return {
    customerId: customerOf(p),
    anonymousId: orderAnonymousId('woocommerce', str(p.id)),
    eventId: `woocommerce:order:${str(p.id)}`,
    type: 'order_completed',
    timestamp: gmtIso(p.date_created_gmt),
    properties: {
      orderId: str(p.id),
      revenue: num(p.total) ?? 0,
      discount: num(p.discount_total) ?? 0,
      shipping: num(p.shipping_total) ?? 0,
      currency: str(p.currency),
      couponCode: str(objectsOf(p.coupon_lines)[0]?.code),
      items: lineItems(p.line_items),
    },
  };
}

/** A refund or cancellation, sent under the order's anonymous id so it reaches whoever placed it. */
function reversal(p: P, suffix: string, amount: number, reason: string | undefined) {
  return {
    customerId: customerOf(p),
    anonymousId: orderAnonymousId('woocommerce', str(p.id)),
    eventId: `woocommerce:${suffix}`,
    type: 'order_refunded',
    timestamp: gmtIso(p.date_modified_gmt),
    properties: { orderId: str(p.id), amount, reason },
  };
}

/**
 * One order however many times it is created and updated: it is stored when a delivery first
 * shows it placed, each refund in `refunds` once, and a cancellation (or deletion) once, only for
 * an order that was stored: an unpaid order cancelled by its payment timeout was never a sale.
 * Deleting a placed order (WooCommerce moves it to the bin) takes its revenue back.
 */
async function orderEvents(topic: WooCommerceTopic, p: P, database: Database): Promise<unknown[]> {
  if (topic === 'order.deleted') {
    // The body names the order only: the amount reversed is what was stored for it.
    const revenue = await storedOrderRevenue(database, 'woocommerce', str(p.id));
    return revenue === undefined
      ? []
      : [
          {
            anonymousId: orderAnonymousId('woocommerce', str(p.id)),
            eventId: `woocommerce:order:${str(p.id)}:deleted`,
            type: 'order_refunded',
            properties: { orderId: str(p.id), amount: revenue, reason: 'deleted' },
          },
        ];
  }
  const status = str(p.status) ?? '';
  const refunds = objectsOf(p.refunds);
  const events: unknown[] = [];
  if (placed.has(status) || p.date_paid_gmt)
    events.push(
      orderCompleted(p),
      ...orderLinkEvent('woocommerce', {
        orderId: str(p.id),
        customerId: customerOf(p),
        email: str(p.billing?.email),
        at: gmtIso(p.date_created_gmt),
      }),
    );
  for (const r of refunds) events.push(reversal(p, `refund:${str(r.id)}`, Math.abs(num(r.total) ?? 0), str(r.reason)));
  // A refund made outside WooCommerce's refund screen changes the status without a refund record.
  if (status === 'refunded' && !refunds.length)
    events.push(reversal(p, `order:${str(p.id)}:refunded`, num(p.total) ?? 0, 'refunded'));
  if (
    status === 'cancelled' &&
    (events.length || (await storedOrderRevenue(database, 'woocommerce', str(p.id))) !== undefined)
  )
    events.push(reversal(p, `order:${str(p.id)}:cancelled`, num(p.total) ?? 0, 'cancelled'));
  return events;
}

function customer(p: P) {
  const at = gmtIso(p.date_modified_gmt ?? p.date_created_gmt);
  return [
    {
      customerId: str(p.id),
      eventId: `woocommerce:customer:${str(p.id)}:${at}`,
      type: 'identify',
      timestamp: at,
      properties: {
        traits: {
          email: str(p.email),
          firstName: str(p.first_name),
          lastName: str(p.last_name),
          country: str(p.billing?.country),
          signedUpAt: gmtIso(p.date_created_gmt),
        },
      },
    },
  ];
}

/** The events a delivery means; products go to the catalogue instead (`applyWooCommerceProduct`). */
export async function fromWooCommerce(topic: WooCommerceTopic, p: P, database: Database): Promise<unknown[]> {
  const events = topic.startsWith('order.')
    ? await orderEvents(topic, p, database)
    : topic.startsWith('customer.')
      ? customer(p)
      : [];
  return events.map(dropUndefined);
}

/**
 * Products are the catalogue, not behaviour: created and updated ones are written to `products`
 * (price and category feed the features), a deleted one is kept out of stock so past orders still
 * name it.
 */
export async function applyWooCommerceProduct(topic: WooCommerceTopic, p: P, database: Database): Promise<number> {
  if (!topic.startsWith('product.')) return 0;
  const { products } = database.collections;
  const _id = str(p.id)!;
  if (topic === 'product.deleted') {
    const r = await products.updateOne({ _id }, { $set: { inStock: false, updatedAt: new Date() } });
    return r.modifiedCount;
  }
  const r = await products.updateOne(
    { _id },
    {
      $set: dropUndefined({
        name: str(p.name) ?? _id,
        category: str(objectsOf(p.categories)[0]?.name) ?? 'uncategorized',
        price: num(p.price) ?? 0,
        tags: objectsOf(p.tags).flatMap((t) => str(t.name) ?? []),
        url: str(p.permalink),
        imageUrl: str(objectsOf(p.images)[0]?.src),
        inStock: str(p.stock_status) !== 'outofstock',
        updatedAt: new Date(),
      }) as Record<string, unknown>,
      $setOnInsert: { createdAt: new Date() },
    },
    { upsert: true },
  );
  return r.upsertedCount + r.modifiedCount;
}

/**
 * A delivery of a resource state seen before is a redelivery whatever its delivery id: WooCommerce
 * derives X-WC-Webhook-Delivery-ID from the webhook id and the current second, so two different
 * deliveries of one webhook within a second share it. An order's status is part of its state, as
 * a status change can land within the second of the last change.
 */
export function wooCommerceStateKey(topic: WooCommerceTopic, p: P): string {
  const resource = topic.split('.')[0];
  if (topic.endsWith('.deleted')) return `woocommerce:${resource}:${str(p.id)}:deleted`;
  const at = str(p.date_modified_gmt ?? p.date_created_gmt);
  return `woocommerce:${resource}:${str(p.id)}:${at}${resource === 'order' ? `:${str(p.status)}:${objectsOf(p.refunds).length}` : ''}`;
}
