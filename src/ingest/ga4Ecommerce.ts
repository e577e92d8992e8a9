import { objectsOf, scalarNumber as num, scalarText as str } from './payloadValues.js';
import { fieldPath } from './ga4Payload.js';
import type { ValidationMessage } from './ga4Rules.js';

/**
 * GA4's recommended e-commerce events (https://developers.google.com/analytics/devguides/collection/ga4/reference/events)
 * mapped to Breadcrumb event types; the table is docs/ga4.md. GA4 leaves most parameters
 * optional; what a mapping needs to make a usable event (an order id, an item's id and price) is
 * checked first and answered in GA4's codes, on /debug/mp/collect as on /mp/collect.
 */
type Params = Record<string, unknown>;

export interface Ga4Mapping {
  /** The parameters the mapping translates; every other one is kept as sent. */
  reads: readonly string[];
  /** What the mapping needs beyond GA4's rules, as messages under `at` (`events[i].params`). */
  requires(p: Params, at: PropertyKey[]): ValidationMessage[];
  /** One Breadcrumb event (type and properties) per thing that happened: a cart event per item. */
  map(p: Params): { type: string; properties: Params }[];
}

const need = (path: PropertyKey[], code: ValidationMessage['validationCode'], description: string) => [
  { fieldPath: fieldPath(path), description, validationCode: code },
];

/** A money amount (number, or a string holding one) when present: ≥ 0 and ≤ 1e9. */
function money(p: Params, key: string, at: PropertyKey[], required = false): ValidationMessage[] {
  if (p[key] === undefined) return required ? need([...at, key], 'VALUE_REQUIRED', `${key} is required`) : [];
  const n = num(p[key]);
  if (n === undefined) return need([...at, key], 'VALUE_INVALID', `${key} must be a number`);
  return n >= 0 && n <= 1e9 ? [] : need([...at, key], 'VALUE_OUT_OF_BOUNDS', `${key} must be between 0 and 1e9`);
}

/** GA4: `currency` is ISO 4217, and required when `value` is set (revenue needs its currency). */
function currency(p: Params, at: PropertyKey[]): ValidationMessage[] {
  if (p.currency === undefined)
    return p.value === undefined ? [] : need([...at, 'currency'], 'VALUE_REQUIRED', 'currency is required with value');
  return typeof p.currency === 'string' && /^[A-Za-z]{3}$/.test(p.currency)
    ? []
    : need([...at, 'currency'], 'VALUE_INVALID', 'currency must be a 3-letter ISO 4217 code');
}

/** Items as our product events need them: an id or a name, a price where it is required, a whole quantity. */
function items(p: Params, at: PropertyKey[], opts: { required: boolean; price: boolean }): ValidationMessage[] {
  const list = objectsOf(p.items);
  if (list.length === 0)
    return opts.required ? need([...at, 'items'], 'VALUE_REQUIRED', 'items must hold at least one item') : [];
  return list.flatMap((it, j) => {
    const path = [...at, 'items', j];
    const out: ValidationMessage[] = [];
    if (!str(it.item_id) && !str(it.item_name))
      out.push(...need([...path, 'item_id'], 'VALUE_REQUIRED', 'an item needs item_id or item_name'));
    out.push(...money(it, 'price', path, opts.price));
    const q = it.quantity === undefined ? 1 : num(it.quantity);
    if (q === undefined || !Number.isInteger(q) || q < 1 || q > 100_000)
      out.push(...need([...path, 'quantity'], 'VALUE_OUT_OF_BOUNDS', 'quantity must be a whole number from 1'));
    return out;
  });
}

const itemReads = ['item_id', 'item_name', 'item_category', 'price', 'quantity'];
function lineItem(it: Params) {
  const rest = Object.fromEntries(Object.entries(it).filter(([k]) => !itemReads.includes(k)));
  return {
    ...rest,
    productId: str(it.item_id ?? it.item_name),
    name: str(it.item_name),
    category: str(it.item_category),
    price: num(it.price),
    quantity: num(it.quantity) ?? 1,
  };
}
const product = (it: Params) => {
  const { productId, category, price } = lineItem(it);
  return { productId, category, price };
};

/** GA4 has no checkout id: one sent as `checkout_id` or `transaction_id` wins, else the session's. */
const checkoutId = (p: Params) => str(p.checkout_id ?? p.transaction_id ?? p.session_id) ?? 'unknown';
const checkoutReads = ['checkout_id', 'transaction_id'];

const none = () => [];
const cartEvent = (type: string): Ga4Mapping => ({
  reads: ['items', 'cart_id', 'value', 'currency'],
  requires: (p, at) => [...items(p, at, { required: true, price: true }), ...money(p, 'value', at), ...currency(p, at)],
  map: (p) =>
    objectsOf(p.items).map((it) => ({
      type,
      properties: { cartId: str(p.cart_id) ?? 'default', ...product(it), quantity: num(it.quantity) ?? 1 },
    })),
});
const checkoutStep = (step: 'shipping' | 'payment', stepIndex: number): Ga4Mapping => ({
  reads: checkoutReads,
  requires: (p, at) => [...money(p, 'value', at), ...currency(p, at)],
  map: (p) => [{ type: 'checkout_step_completed', properties: { checkoutId: checkoutId(p), step, stepIndex } }],
});
const one = (type: string, properties: Params) => [{ type, properties }];
const drop = (o: Params) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const ga4Mappings: Record<string, Ga4Mapping> = {
  view_item: {
    reads: ['items'],
    requires: (p, at) => [...items(p, at, { required: true, price: false }), ...currency(p, at)],
    map: (p) => objectsOf(p.items).map((it) => ({ type: 'product_viewed', properties: drop(product(it)) })),
  },
  view_item_list: {
    reads: ['item_list_name', 'item_list_id', 'items'],
    requires: none,
    map: (p) =>
      one('category_viewed', {
        category: str(p.item_list_name ?? p.item_list_id ?? objectsOf(p.items)[0]?.item_category) ?? 'unknown',
      }),
  },
  add_to_cart: cartEvent('cart_item_added'),
  remove_from_cart: cartEvent('cart_item_removed'),
  view_cart: {
    reads: ['cart_id', 'value'],
    requires: (p, at) => [...money(p, 'value', at), ...currency(p, at)],
    map: (p) => one('cart_viewed', drop({ cartId: str(p.cart_id) ?? 'default', value: num(p.value) })),
  },
  begin_checkout: {
    reads: [...checkoutReads, 'cart_id', 'value', 'items'],
    requires: (p, at) => [...money(p, 'value', at), ...currency(p, at)],
    map: (p) =>
      one(
        'checkout_started',
        drop({
          checkoutId: checkoutId(p),
          cartId: str(p.cart_id),
          value: num(p.value),
          itemCount: objectsOf(p.items).length || undefined,
        }),
      ),
  },
  add_shipping_info: checkoutStep('shipping', 2),
  add_payment_info: checkoutStep('payment', 3),
  purchase: {
    reads: ['transaction_id', 'checkout_id', 'value', 'shipping', 'currency', 'coupon', 'items'],
    requires: (p, at) => [
      ...(str(p.transaction_id)
        ? []
        : need([...at, 'transaction_id'], 'VALUE_REQUIRED', 'a purchase needs its order id')),
      ...money(p, 'value', at),
      ...money(p, 'shipping', at),
      ...money(p, 'tax', at),
      ...currency(p, at),
      ...items(p, at, { required: false, price: true }),
    ],
    map: (p) => {
      const lines = objectsOf(p.items).map(lineItem);
      const itemsTotal = lines.reduce((a, l) => a + (l.price ?? 0) * l.quantity, 0);
      return one(
        'order_completed',
        drop({
          orderId: str(p.transaction_id),
          checkoutId: str(p.checkout_id),
          revenue: num(p.value) ?? itemsTotal,
          shipping: num(p.shipping) ?? 0,
          currency: str(p.currency)?.toUpperCase() ?? 'USD',
          couponCode: str(p.coupon),
          items: lines,
        }),
      );
    },
  },
  refund: {
    reads: ['transaction_id', 'value', 'items'],
    requires: (p, at) => [
      ...(str(p.transaction_id)
        ? []
        : need([...at, 'transaction_id'], 'VALUE_REQUIRED', 'a refund needs its order id')),
      ...money(p, 'value', at),
      ...currency(p, at),
      ...items(p, at, { required: false, price: true }),
    ],
    map: (p) => {
      const lines = objectsOf(p.items).map(lineItem);
      const amount = num(p.value) ?? lines.reduce((a, l) => a + (l.price ?? 0) * l.quantity, 0);
      return one(
        'order_refunded',
        drop({ orderId: str(p.transaction_id), amount, items: lines.length ? lines : undefined }),
      );
    },
  },
  search: {
    reads: ['search_term'],
    requires: none,
    map: (p) => one('products_searched', { query: str(p.search_term) ?? '' }),
  },
};
