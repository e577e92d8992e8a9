import { featureCatalog } from '../../features/catalog.js';
import { safeCategoryKey } from '../../features/weather.js';
import { checkoutSteps, devices, channels, type EventType } from '../../ingest/eventSchemas.js';

/**
 * The whitelist: every profile path and event property a rule may name, with its type. Nothing
 * else ever reaches a filter, so an attacker's field name can only be refused.
 */

export type FieldType = 'number' | 'string' | 'date' | 'boolean' | 'scalar';

const customerFields: Record<string, FieldType> = {
  email: 'string',
  firstName: 'string',
  lastName: 'string',
  timezone: 'string',
  country: 'string',
  hemisphere: 'string',
  signupSource: 'string',
  signedUpAt: 'date',
  createdAt: 'date',
  'consent.email.status': 'string',
  'consent.sms.status': 'string',
};

const scoreFields: Record<string, FieldType> = {
  cohort: 'string',
  churnRisk: 'number',
  firstPurchaseProbability: 'number',
  predictedLtv: 'number',
  purchaseProbability: 'number',
  expectedNextOrderAt: 'date',
  bestSendHour: 'number',
  sendHourConfidence: 'number',
  scoredAt: 'date',
};

const featureFields: Record<string, FieldType> = Object.fromEntries(
  featureCatalog.filter((f) => f.type !== 'map').map((f) => [f.name, f.type as FieldType]),
);
/** Features holding numbers by key: `features.weatherLift.outerwear` is a number. */
const mapFeatures = new Set(featureCatalog.filter((f) => f.type === 'map').map((f) => f.name));

/** The region's weather as of the rule's instant (src/weather/weatherTable.ts, RegionWeather). */
const weatherFields: Record<string, FieldType> = {
  coldSnap: 'boolean',
  tempC: 'number',
  anomalyC: 'number',
  minTempC7d: 'number',
  condition: 'string',
  forecast: 'boolean',
};

/** Free-form customer traits (`customer.traits.vipTier`): any identifier, values of any scalar type. */
const traitName = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** The type of a profile path (`features.recencyDays`), or undefined when it is not allowed. */
export function fieldType(path: string): FieldType | undefined {
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  const root = path.slice(0, dot);
  const rest = path.slice(dot + 1);
  if (root === 'features') {
    if (Object.hasOwn(featureFields, rest)) return featureFields[rest];
    const sub = rest.indexOf('.');
    const key = rest.slice(sub + 1);
    return sub > 0 && mapFeatures.has(rest.slice(0, sub)) && safeCategoryKey.test(key) ? 'number' : undefined;
  }
  if (root === 'weather') return Object.hasOwn(weatherFields, rest) ? weatherFields[rest] : undefined;
  if (root === 'scores') return Object.hasOwn(scoreFields, rest) ? scoreFields[rest] : undefined;
  if (root !== 'customer') return undefined;
  if (Object.hasOwn(customerFields, rest)) return customerFields[rest];
  if (rest.startsWith('traits.') && traitName.test(rest.slice('traits.'.length))) return 'scalar';
  return undefined;
}

/** Top-level event fields a rule may filter on, besides `props.*`. */
const eventTopFields: Record<string, FieldType> = { channel: 'string', device: 'string', sessionId: 'string' };

const cartItem = {
  cartId: 'string',
  productId: 'string',
  category: 'string',
  price: 'number',
  quantity: 'number',
} as const;
const emailProps = { messageId: 'string', campaignId: 'string', flowId: 'string', subject: 'string' } as const;

/** Event properties by type, as the ingestion schemas declare them (src/ingest/eventSchemas.ts). */
const eventProps: Record<EventType, Record<string, FieldType>> = {
  page_viewed: {
    path: 'string',
    timeOnPageSec: 'number',
    utmSource: 'string',
    utmMedium: 'string',
    utmCampaign: 'string',
  },
  category_viewed: { category: 'string', timeOnPageSec: 'number' },
  product_viewed: { productId: 'string', category: 'string', price: 'number', timeOnPageSec: 'number' },
  products_searched: { query: 'string' },
  cart_item_added: cartItem,
  cart_item_removed: cartItem,
  cart_viewed: { cartId: 'string', value: 'number' },
  checkout_started: { checkoutId: 'string', cartId: 'string', value: 'number', itemCount: 'number' },
  checkout_step_viewed: { checkoutId: 'string', step: 'string', stepIndex: 'number' },
  checkout_step_completed: { checkoutId: 'string', step: 'string', stepIndex: 'number' },
  order_completed: {
    orderId: 'string',
    checkoutId: 'string',
    cartId: 'string',
    revenue: 'number',
    subtotal: 'number',
    discount: 'number',
    shipping: 'number',
    currency: 'string',
    couponCode: 'string',
    itemCategory: 'string',
    itemProductId: 'string',
  },
  order_refunded: { orderId: 'string', amount: 'number' },
  email_sent: emailProps,
  email_delivered: emailProps,
  email_opened: { ...emailProps, machineOpen: 'boolean' },
  email_clicked: { ...emailProps, url: 'string' },
  email_unsubscribed: emailProps,
  email_bounced: { ...emailProps, bounceType: 'string' },
  email_complained: emailProps,
  sms_sent: { campaignId: 'string' },
  sms_clicked: { campaignId: 'string', url: 'string' },
  app_opened: {},
  support_ticket_opened: { ticketId: 'string', topic: 'string' },
  support_ticket_resolved: { ticketId: 'string', topic: 'string' },
  social_engaged: { network: 'string', action: 'string' },
  identify: {},
  custom: { name: 'string' },
};

export const knownEventTypes = Object.keys(eventProps) as EventType[];

/** Allowed values of enumerated event fields, so a typo answers 400 instead of matching nothing. */
export const eventEnums: Record<string, readonly string[]> = {
  channel: channels,
  device: devices,
  step: checkoutSteps,
};

/**
 * The type of an event field a rule filters on (`category`, `channel`) for an event type, and the
 * events-collection path it maps to (`props.category`, `channel`).
 */
export function eventFieldOf(type: EventType, name: string): { path: string; type: FieldType } | undefined {
  if (Object.hasOwn(eventTopFields, name)) return { path: name, type: eventTopFields[name]! };
  const props = eventProps[type];
  if (!Object.hasOwn(props, name)) return undefined;
  return { path: Object.hasOwn(lineItemFields, name) ? lineItemFields[name]! : `props.${name}`, type: props[name]! };
}

/** Order line fields: a condition holds when any line of the order passes it (MongoDB's array semantics). */
const lineItemFields: Record<string, string> = {
  itemCategory: 'props.items.category',
  itemProductId: 'props.items.productId',
};

export function eventFieldNames(type: EventType): string[] {
  return [...Object.keys(eventTopFields), ...Object.keys(eventProps[type])];
}
