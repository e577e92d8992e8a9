import type { WeatherTable } from '../weather/weatherTable.js';

/**
 * The shape every feature fold shares. A fold declares its outputs once (name + metadata, which
 * the catalogue is generated from) and creates, per customer, a small state object that sees that
 * customer's events in time order and finally returns exactly the declared outputs — the return
 * type is derived from the declaration, so a fold that forgets or misspells a feature does not
 * compile.
 */

/** Known event types, as small integer codes; events of any other type never reach a fold. */
export const eventCodes = {
  page_viewed: 0,
  category_viewed: 1,
  product_viewed: 2,
  products_searched: 3,
  cart_item_added: 4,
  cart_item_removed: 5,
  cart_viewed: 6,
  checkout_started: 7,
  checkout_step_viewed: 8,
  checkout_step_completed: 9,
  order_completed: 10,
  order_refunded: 11,
  email_sent: 12,
  email_delivered: 13,
  email_opened: 14,
  email_clicked: 15,
  email_unsubscribed: 16,
  email_bounced: 17,
  email_complained: 18,
  sms_sent: 19,
  sms_clicked: 20,
  app_opened: 21,
  support_ticket_opened: 22,
  support_ticket_resolved: 23,
  social_engaged: 24,
  identify: 25,
} as const;

export type EventCode = (typeof eventCodes)[keyof typeof eventCodes];
export const E = eventCodes;

/** A stored event as the fold needs it (the raw driver's document; extra fields are ignored). */
export interface FoldEvent {
  type: string;
  ts: Date;
  sessionId?: string | null;
  device?: string | null;
  props?: Record<string, unknown> | null;
}

export interface FoldContext {
  /** The as-of instant in epoch ms: events at or after it are never folded. */
  asOf: number;
  /** Start (inclusive) of the trailing windows ending at asOf. */
  since7d: number;
  since30d: number;
  since90d: number;
  since365d: number;
  timezone: string;
  /** Offset of the customer's timezone from UTC at an instant, in ms (cached per timezone). */
  offsetAt(t: number): number;
  southern: boolean;
  /** A cart or checkout with no order within this long after its last activity is abandoned. */
  abandonAfterMs: number;
  /** Price above which a product counts as high value; null: the customer's own 75th percentile. */
  highValuePrice: number | null;
  /** The shop's daily weather per region (src/weather), loaded once per fold run; empty without one. */
  weather: WeatherTable;
}

/** `map`: numbers by key (e.g. a lift per category); models leave such features out. */
export type FeatureType = 'number' | 'string' | 'map';

export interface FeatureMeta {
  type: FeatureType;
  /** What the value means, in one sentence, for the catalogue. */
  description: string;
  /** The time the value looks back over, e.g. 'all time', '30 days'. */
  window: string;
  unit: string;
}

export type FeatureValue<M extends FeatureMeta> = M['type'] extends 'string'
  ? string | null
  : M['type'] extends 'map'
    ? Record<string, number> | null
    : number | null;
export type FoldValues<F extends Record<string, FeatureMeta>> = { [K in keyof F]: FeatureValue<F[K]> };

export interface FoldState<F extends Record<string, FeatureMeta>> {
  /** `t` is `e.ts` in epoch ms (< asOf, non-decreasing); `code` is the event's type code. */
  add(e: FoldEvent, t: number, code: EventCode): void;
  finish(): FoldValues<F>;
}

export interface Fold<F extends Record<string, FeatureMeta> = Record<string, FeatureMeta>> {
  name: string;
  description: string;
  features: F;
  create(ctx: FoldContext): FoldState<F>;
}

export function defineFold<const F extends Record<string, FeatureMeta>>(fold: Fold<F>): Fold<F> {
  return fold;
}

/** Declares a numeric feature: `numberFeature('orders in the last 30 days', 'count', '30 days')`. */
export function numberFeature(description: string, unit: string, window = 'all time') {
  return { type: 'number', description, unit, window } as const;
}

/** Declares a feature holding numbers by key (at most a few keys, each a safe document key). */
export function mapFeature(description: string, unit: string, window = 'all time') {
  return { type: 'map', description, unit, window } as const;
}

/** Declares a text (categorical) feature. */
export function textFeature(description: string, unit: string, window = 'all time') {
  return { type: 'string', description, unit, window } as const;
}
