import { z } from 'zod';
import type { Database } from '../db/database.js';
import {
  cartSnapshotEvents,
  type WebhookPayload,
  dropUndefined,
  orderAnonymousId,
  orderLinkEvent,
  storedOrderRevenue,
  type LineItem,
} from './commerceEvents.js';
import { objectsOf, scalarNumber as num, scalarText as str } from './payloadValues.js';

type P = WebhookPayload;

/**
 * Magento 2 / Adobe Commerce observer events, as the Adobe Commerce Webhooks module sends them
 * (`{"eventName": "observer.sales_order_save_after", "data": {"order": {…}}}`) or the observer of
 * docs/connectors.md does on Magento Open Source → Breadcrumb events. Event ids come from
 * Magento's entity ids, so every save of an order stores it once.
 */
export const magentoTopics = [
  'sales_order_place_after',
  'sales_order_save_after',
  'sales_order_creditmemo_save_after',
  'customer_save_after_data_object',
  'sales_quote_save_after',
] as const;
export type MagentoTopic = (typeof magentoTopics)[number];

/** Where each event puts its object in `data` (Magento's event argument names). */
const objectKey: Record<MagentoTopic, string> = {
  sales_order_place_after: 'order',
  sales_order_save_after: 'order',
  sales_order_creditmemo_save_after: 'creditmemo',
  customer_save_after_data_object: 'customer_data_object',
  sales_quote_save_after: 'quote',
};

/** The topic of a signed body: its eventName, with or without the webhook method's `observer.`. */
export const magentoTopicOf = (p: P) => str(p.eventName)?.replace(/^observer\./, '');

/** Magento's model data holds numbers as strings ("99.5000", "12"): either is read. */
const numeric = z.number().or(z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a number'));
const magentoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/, 'must be a UTC time like 2026-03-22 16:28:02');

const order = z.looseObject({
  entity_id: numeric,
  state: z.string().min(1),
  grand_total: numeric,
  order_currency_code: z.string().length(3),
  items: z.array(z.looseObject({ product_id: numeric, qty_ordered: numeric, price: numeric })),
  created_at: magentoTime,
  updated_at: magentoTime,
});

/** What each event's object must hold: the fields read below. */
const objects: Record<MagentoTopic, z.ZodType> = {
  sales_order_place_after: order,
  sales_order_save_after: order,
  sales_order_creditmemo_save_after: z.looseObject({
    entity_id: numeric,
    order_id: numeric,
    grand_total: numeric,
    created_at: magentoTime,
  }),
  customer_save_after_data_object: z.looseObject({
    id: numeric,
    email: z.string().min(1),
    created_at: magentoTime,
    updated_at: magentoTime,
  }),
  sales_quote_save_after: z.looseObject({
    entity_id: numeric,
    items: z.array(z.looseObject({ product_id: numeric, qty: numeric, price: numeric })),
    updated_at: magentoTime,
  }),
};

export function magentoSchema(topic: MagentoTopic): z.ZodType {
  return z.looseObject({ eventName: z.string(), data: z.looseObject({ [objectKey[topic]]: objects[topic] }) });
}

const objectOf = (topic: MagentoTopic, p: P): P => p.data[objectKey[topic]];
const utc = (v: unknown) => (str(v) ? new Date(`${str(v)!.replace(' ', 'T')}Z`) : undefined);
const utcIso = (v: unknown) => utc(v)?.toISOString();

/** When the object last changed, for refusing replays of old deliveries. */
export function magentoChangedAt(topic: MagentoTopic, p: P): { field: string; at: Date } | undefined {
  const o = objectOf(topic, p);
  const field = o.updated_at ? 'updated_at' : 'created_at';
  const at = utc(o[field]);
  return at ? { field: `data.${objectKey[topic]}.${field}`, at } : undefined;
}

/** A configurable product is a parent row with the price and a child row without: the parent counts. */
function lineItems(items: unknown, qtyField: string): LineItem[] {
  return objectsOf(items)
    .filter((li) => !li.parent_item_id)
    .map((li) => ({
      productId: str(li.product_id) ?? str(li.sku) ?? 'unknown',
      name: str(li.name),
      price: num(li.price) ?? 0,
      quantity: num(li[qtyField]) ?? 1,
    }));
}

const customerOf = (o: P) => (num(o.customer_id) ? str(o.customer_id) : undefined);
const quoteAnonymousId = (quoteId: unknown) => (str(quoteId) ? `magento-quote:${str(quoteId)}` : undefined);
/** States of a placed order; pending_payment waits for a payment page and is not a sale yet. */
const placed = new Set(['new', 'processing', 'complete', 'closed', 'holded', 'payment_review']);

async function orderEvents(o: P, database: Database): Promise<unknown[]> {
  const orderId = str(o.entity_id);
  const events: unknown[] = [];
  if (placed.has(str(o.state) ?? ''))
    events.push(
      {
        customerId: customerOf(o),
        // The quote's id ties the order to the cart events it came from.
        anonymousId: quoteAnonymousId(o.quote_id) ?? orderAnonymousId('magento', orderId),
        eventId: `magento:order:${orderId}`,
        type: 'order_completed',
        timestamp: utcIso(o.created_at),
        properties: {
          orderId,
          orderNumber: str(o.increment_id),
          revenue: num(o.grand_total) ?? 0,
          subtotal: num(o.subtotal),
          discount: Math.abs(num(o.discount_amount) ?? 0),
          shipping: num(o.shipping_amount) ?? 0,
          currency: str(o.order_currency_code),
          couponCode: str(o.coupon_code),
          items: lineItems(o.items, 'qty_ordered'),
        },
      },
      ...orderLinkEvent('magento', {
        orderId,
        customerId: customerOf(o),
        email: str(o.customer_email),
        at: utcIso(o.created_at),
      }),
    );
  // Refunds come as credit memos; a cancellation (of an order not invoiced) reverses a stored order.
  if (
    o.state === 'canceled' &&
    (events.length || (await storedOrderRevenue(database, 'magento', orderId)) !== undefined)
  )
    events.push({
      customerId: customerOf(o),
      anonymousId: orderAnonymousId('magento', orderId),
      eventId: `magento:order:${orderId}:canceled`,
      type: 'order_refunded',
      timestamp: utcIso(o.updated_at),
      properties: { orderId, amount: num(o.grand_total) ?? 0, reason: 'canceled' },
    });
  return events;
}

function creditmemo(o: P) {
  return [
    {
      anonymousId: orderAnonymousId('magento', str(o.order_id)),
      eventId: `magento:creditmemo:${str(o.entity_id)}`,
      type: 'order_refunded',
      timestamp: utcIso(o.created_at),
      properties: { orderId: str(o.order_id), amount: num(o.grand_total) ?? 0, items: lineItems(o.items, 'qty') },
    },
  ];
}

function customer(o: P) {
  const subscribed = o.extension_attributes?.is_subscribed;
  return [
    {
      customerId: str(o.id),
      eventId: `magento:customer:${str(o.id)}:${str(o.updated_at)}`,
      type: 'identify',
      timestamp: utcIso(o.updated_at),
      properties: {
        traits: {
          email: str(o.email),
          firstName: str(o.firstname),
          lastName: str(o.lastname),
          signedUpAt: utcIso(o.created_at),
        },
        ...(typeof subscribed === 'boolean' ? { consent: { email: subscribed } } : {}),
      },
    },
  ];
}

/** A quote is the cart; once converted to an order (inactive) the order tells the rest. */
function quote(o: P) {
  if (o.is_active === false || o.is_active === 0 || o.is_active === '0') return [];
  return cartSnapshotEvents({
    source: 'magento',
    cartId: str(o.entity_id) ?? '',
    anonymousId: quoteAnonymousId(o.entity_id),
    customerId: customerOf(o),
    at: utcIso(o.updated_at),
    items: lineItems(o.items, 'qty'),
  });
}

export async function fromMagento(topic: MagentoTopic, p: P, database: Database): Promise<unknown[]> {
  const o = objectOf(topic, p);
  const events =
    topic === 'sales_order_place_after' || topic === 'sales_order_save_after'
      ? await orderEvents(o, database)
      : topic === 'sales_order_creditmemo_save_after'
        ? creditmemo(o)
        : topic === 'customer_save_after_data_object'
          ? customer(o)
          : quote(o);
  return events.map(dropUndefined);
}

/**
 * The object state a delivery carries: the same state again is a redelivery. An order's state and
 * a quote's items are part of it, as either can change within the second of the last save.
 */
export function magentoStateKey(topic: MagentoTopic, p: P): string {
  const o = objectOf(topic, p);
  const kind = objectKey[topic] === 'customer_data_object' ? 'customer' : objectKey[topic];
  const id = str(o.entity_id ?? o.id);
  const detail =
    kind === 'order'
      ? `:${str(o.state)}`
      : kind === 'quote'
        ? `:${lineItems(o.items, 'qty')
            .map((li) => `${li.productId}x${li.quantity}`)
            .join(',')}`
        : '';
  return `magento:${kind}:${id}:${str(o.updated_at ?? o.created_at)}${detail}`;
}
