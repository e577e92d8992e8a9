import type { Flow, Trigger } from './flowSchema.js';
import { isPredictionTrigger, predictionEventOf, predictionKey, predictionStart } from './predictionTriggers.js';

const DAY = 86_400_000;

/** An event as dispatch reads it (raw driver document, the fields it needs). */
export interface TriggerEvent {
  eventId: string;
  type: string;
  customerId: string;
  ts: Date;
  props: Record<string, unknown>;
}

/** One reason to enrol a customer in a flow; hits with the same (flow, customer, key) are one enrolment. */
export interface TriggerHit {
  flowId: string;
  customerId: string;
  key: string;
  at: Date;
  /** What the messages will be about (cart lines, viewed products, the order), merged across hits. */
  context: TriggerContext;
}

export interface TriggerContext {
  cartId?: string;
  checkoutIds?: string[];
  /** Checkout step the customer viewed last without completing it (e.g. `shipping`). */
  checkoutDropStep?: string;
  productIds?: string[];
  /** Cart or order lines (last price and quantity seen per product). */
  lines?: { productId: string; quantity: number; price: number }[];
  orderId?: string;
  orderTotal?: number;
  currency?: string;
  segmentId?: string;
  /** Trigger-specific reference (predicted order day, lapse, anniversary). */
  ref?: string;
  /** Steps count from here (ISO) instead of from the trigger: the expected next order less the flow's `daysBefore`. */
  startAt?: string;
}

function valueAt(props: Record<string, unknown>, path: string): unknown {
  let v: unknown = props;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function matchesWhere(
  where: readonly { property: string; equals?: unknown; in?: unknown[] }[] | undefined,
  props: Record<string, unknown>,
): boolean {
  return (where ?? []).every((c) => {
    const actual = valueAt(props, c.property);
    return c.in ? c.in.includes(actual) : actual === c.equals;
  });
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined;

/** What an event tells the messages: the cart, checkout, products or order it is about. */
export function contextOf(e: TriggerEvent): TriggerContext {
  const p = e.props;
  const ctx: TriggerContext = {};
  const cartId = str(p.cartId);
  if (cartId) ctx.cartId = cartId;
  const checkoutId = str(p.checkoutId);
  if (checkoutId) ctx.checkoutIds = [checkoutId];
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const productId = str(p.productId);
  if (productId) ctx.productIds = [productId];
  if (productId && e.type === 'cart_item_added')
    ctx.lines = [{ productId, quantity: num(p.quantity, 1), price: num(p.price, 0) }];
  if (e.type === 'order_completed') {
    ctx.orderId = str(p.orderId);
    ctx.orderTotal = num(p.revenue, 0);
    if (typeof p.currency === 'string') ctx.currency = p.currency;
    const items = Array.isArray(p.items) ? (p.items as Record<string, unknown>[]) : [];
    ctx.lines = items.flatMap((i) =>
      str(i.productId) ? [{ productId: str(i.productId)!, quantity: num(i.quantity, 1), price: num(i.price, 0) }] : [],
    );
    ctx.productIds = ctx.lines.map((l) => l.productId);
  }
  if (e.type === 'segment_entered') ctx.segmentId = str(p.segmentId);
  return ctx;
}

/** Merges what later events add: more products, more checkouts, the latest drop step. */
export function mergeContext(a: TriggerContext, b: TriggerContext): TriggerContext {
  const union = (x?: string[], y?: string[]) => (x || y ? [...new Set([...(x ?? []), ...(y ?? [])])] : undefined);
  const out: TriggerContext = { ...a, ...b };
  const productIds = union(a.productIds, b.productIds);
  const checkoutIds = union(a.checkoutIds, b.checkoutIds);
  if (a.lines || b.lines) {
    const lines = new Map([...(a.lines ?? []), ...(b.lines ?? [])].map((l) => [l.productId, l]));
    out.lines = [...lines.values()];
  }
  if (productIds) out.productIds = productIds;
  if (checkoutIds) out.checkoutIds = checkoutIds;
  return out;
}

/** The enrolment key an event gives for a flow, or null when the event does not trigger it. */
export function eventKey(trigger: Trigger, e: TriggerEvent): string | null {
  if (isPredictionTrigger(trigger)) return predictionKey(trigger, e);
  if (trigger.type === 'segment_entered') {
    // Entering again later is a new stay in the segment: a new enrolment.
    return e.type === 'segment_entered' && e.props.segmentId === trigger.segmentId ? e.ts.toISOString() : null;
  }
  if (trigger.type !== 'event' || !trigger.eventTypes.includes(e.type) || !matchesWhere(trigger.where, e.props))
    return null;
  if (trigger.keyProperty) return str(valueAt(e.props, trigger.keyProperty)) ?? null;
  if (trigger.repeatAfterDays) return `p${Math.floor(e.ts.getTime() / (trigger.repeatAfterDays * DAY))}`;
  return '';
}

/** Event types any flow's trigger listens to. */
export function triggerEventTypes(flows: readonly Flow[]): string[] {
  const types = new Set<string>();
  for (const f of flows) {
    if (f.trigger.type === 'event') f.trigger.eventTypes.forEach((t) => types.add(t));
    if (f.trigger.type === 'segment_entered') types.add('segment_entered');
    if (isPredictionTrigger(f.trigger)) types.add(predictionEventOf[f.trigger.type]);
  }
  return [...types];
}

/** Every flow an event triggers, with its key and what it adds to the enrolment's context. */
export function hitsOf(flows: readonly Flow[], e: TriggerEvent): TriggerHit[] {
  const hits: TriggerHit[] = [];
  for (const flow of flows) {
    const key = eventKey(flow.trigger, e);
    if (key === null) continue;
    const context = contextOf(e);
    if (isPredictionTrigger(flow.trigger)) {
      context.ref = key;
      const startAt = predictionStart(flow.trigger, e);
      if (startAt) context.startAt = startAt;
    }
    hits.push({ flowId: flow.id, customerId: e.customerId, key, at: e.ts, context });
  }
  return hits;
}
