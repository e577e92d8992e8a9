import { z } from 'zod';

/**
 * One zod schema per event type: it validates `POST /v1/events`, gives the TypeScript types and
 * feeds the OpenAPI document. Property objects are loose (extra keys are kept) because stores
 * send more than we read; the fields we read are typed and checked.
 */
const id = z.string().trim().min(1).max(200);
const money = z.number().finite().min(0).max(1e9);
const seconds = z.number().finite().min(0).max(86_400);

export const checkoutSteps = ['contact', 'shipping', 'payment', 'review'] as const;
export const channels = ['web', 'app', 'email', 'sms', 'support', 'social', 'pos'] as const;
export const devices = ['desktop', 'mobile', 'tablet'] as const;

/** Accepts ISO 8601 with an offset or epoch milliseconds; refuses times more than a day ahead. */
export const timestampSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date(), z.number().int().min(0)])
  .transform((v) => new Date(v))
  .refine((d) => d.getTime() <= Date.now() + 86_400_000, 'timestamp is more than a day in the future');

export const lineItemSchema = z.looseObject({
  productId: id,
  category: z.string().max(200).optional(),
  name: z.string().max(500).optional(),
  price: money,
  quantity: z.number().int().min(1).max(100_000).default(1),
});

const cartItem = z.looseObject({
  cartId: id,
  productId: id,
  category: z.string().max(200).optional(),
  price: money,
  quantity: z.number().int().min(1).max(100_000).default(1),
});
const email = z.looseObject({
  messageId: id.optional(),
  campaignId: id.optional(),
  flowId: id.optional(),
  subject: z.string().max(500).optional(),
});
const empty = z.looseObject({});

const propertiesByType = {
  page_viewed: z.looseObject({
    path: z.string().max(2000).optional(),
    timeOnPageSec: seconds.optional(),
    utmSource: z.string().max(200).optional(),
    utmMedium: z.string().max(200).optional(),
    utmCampaign: z.string().max(200).optional(),
  }),
  category_viewed: z.looseObject({ category: z.string().min(1).max(200), timeOnPageSec: seconds.optional() }),
  product_viewed: z.looseObject({
    productId: id,
    category: z.string().max(200).optional(),
    price: money.optional(),
    timeOnPageSec: seconds.optional(),
  }),
  products_searched: z.looseObject({ query: z.string().max(500) }),
  cart_item_added: cartItem,
  cart_item_removed: cartItem,
  cart_viewed: z.looseObject({ cartId: id, value: money.optional() }),
  checkout_started: z.looseObject({
    checkoutId: id,
    cartId: id.optional(),
    value: money.optional(),
    itemCount: z.number().int().min(0).optional(),
  }),
  checkout_step_viewed: z.looseObject({
    checkoutId: id,
    step: z.enum(checkoutSteps),
    stepIndex: z.number().int().min(1).max(4).optional(),
  }),
  checkout_step_completed: z.looseObject({
    checkoutId: id,
    step: z.enum(checkoutSteps),
    stepIndex: z.number().int().min(1).max(4).optional(),
  }),
  order_completed: z.looseObject({
    orderId: id,
    checkoutId: id.optional(),
    cartId: id.optional(),
    revenue: money,
    subtotal: money.optional(),
    discount: money.default(0),
    shipping: money.default(0),
    currency: z.string().length(3).default('USD'),
    couponCode: z.string().max(100).optional(),
    items: z.array(lineItemSchema).max(1000).default([]),
  }),
  order_refunded: z.looseObject({ orderId: id, amount: money, items: z.array(lineItemSchema).max(1000).optional() }),
  email_sent: email,
  email_delivered: email,
  email_opened: email.extend({ machineOpen: z.boolean().optional() }),
  email_clicked: email.extend({ url: z.string().max(4000).optional() }),
  email_unsubscribed: email,
  email_bounced: email.extend({ bounceType: z.enum(['hard', 'soft']).default('hard') }),
  email_complained: email,
  sms_sent: z.looseObject({ campaignId: id.optional() }),
  sms_clicked: z.looseObject({ campaignId: id.optional(), url: z.string().max(4000).optional() }),
  app_opened: empty,
  support_ticket_opened: z.looseObject({ ticketId: id, topic: z.string().max(200).optional() }),
  support_ticket_resolved: z.looseObject({ ticketId: id, topic: z.string().max(200).optional() }),
  social_engaged: z.looseObject({ network: z.string().min(1).max(100), action: z.string().max(100).optional() }),
  identify: z.looseObject({
    traits: z
      .looseObject({
        email: z.email().optional(),
        firstName: z.string().max(200).optional(),
        lastName: z.string().max(200).optional(),
        timezone: z.string().max(100).refine(isTimeZone, 'unknown IANA time zone').optional(),
        country: z.string().max(100).optional(),
        signupSource: z.string().max(100).optional(),
        /** When the account was created (Segment's `createdAt`): the signup date. */
        signedUpAt: timestampSchema.optional(),
        locale: z.string().max(35).optional(),
      })
      .default({}),
    consent: z.object({ email: z.boolean().optional(), sms: z.boolean().optional() }).optional(),
  }),
  custom: z.looseObject({ name: z.string().min(1).max(200) }),
} as const;

export type EventType = keyof typeof propertiesByType;
export const eventTypes = Object.keys(propertiesByType) as EventType[];

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the customer was and what the weather was like when the event happened (Segment's
 * `context.location`; `weather` as the storefront saw it). Kept with the event's properties as
 * `props.context`; the weather features read the region from it (docs/weather.md).
 */
export const eventContextSchema = z.strictObject({
  location: z
    .strictObject({
      country: z.string().trim().min(1).max(100).optional(),
      region: z.string().trim().min(1).max(100).optional(),
      city: z.string().trim().min(1).max(100).optional(),
    })
    .optional(),
  weather: z
    .strictObject({
      tempC: z.number().finite().min(-90).max(60),
      condition: z.string().trim().min(1).max(40).optional(),
    })
    .optional(),
});

const common = {
  eventId: id.optional().describe('idempotency key; generated and returned when missing'),
  customerId: id.optional(),
  anonymousId: id.optional(),
  timestamp: timestampSchema.optional().describe('ISO 8601 with offset, or epoch ms; default: when received'),
  channel: z.enum(channels).optional(),
  device: z.enum(devices).optional(),
  sessionId: id.optional(),
  context: eventContextSchema.optional(),
};

function eventOf<T extends EventType>(type: T) {
  return z.object({
    ...common,
    type: z.literal(type),
    properties: (propertiesByType[type] as z.ZodType).prefault({}) as unknown as (typeof propertiesByType)[T],
  });
}

const variants = eventTypes.map((t) => eventOf(t)) as unknown as [
  ReturnType<typeof eventOf<'custom'>>,
  ...ReturnType<typeof eventOf<EventType>>[],
];

/** Keys that would be operators or paths in MongoDB, or that reach Object.prototype. */
const unsafeKeyReason = 'keys may not start with "$", contain ".", or be __proto__/constructor/prototype';
export const unsafeKey = (k: string) =>
  k.startsWith('$') || k.includes('.') || k === '__proto__' || k === 'constructor' || k === 'prototype';

/** Far deeper than any event or rule needs, well inside MongoDB's 100 levels, and a bound for every walker after this one. */
const MAX_NESTING = 32;

export interface Unstorable {
  path: (string | number)[];
  reason: string;
}

/**
 * The first thing in raw input that must not reach the database (checked before parsing: zod turns
 * `__proto__` into a prototype): an unsafe key, an array directly inside an array (FerretDB v1
 * cannot store one: the insert fails), or nesting past MAX_NESTING (a 10,000-deep body would
 * otherwise reach recursive code such as the BSON serializer).
 */
export function findUnstorable(value: unknown, path: (string | number)[], depth = 0): Unstorable | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_NESTING) return { path, reason: `nested more than ${MAX_NESTING} levels deep` };
  const array = Array.isArray(value);
  for (const [k, v] of Object.entries(value)) {
    const at = [...path, array ? Number(k) : k];
    if (!array && unsafeKey(k)) return { path: at, reason: unsafeKeyReason };
    if (array && Array.isArray(v)) return { path: at, reason: 'an array may not directly contain arrays' };
    const found = findUnstorable(v, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export const eventSchema = z
  .discriminatedUnion('type', variants)
  .refine((e) => Boolean(e.customerId || e.anonymousId), {
    message: 'customerId or anonymousId is required',
    path: ['customerId'],
  });

export type IncomingEvent = z.output<typeof eventSchema>;

export const eventBatchSchema = z.union([z.array(z.unknown()).min(1).max(1000), z.looseObject({ type: z.string() })]);
