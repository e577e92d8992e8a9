import type { Database } from '../../db/database.js';
import { readTimelines } from '../../ingest/timeline/readTimelines.js';
import { exitEventTypes, exitSignalOf, type ExitSignal } from '../flows/conditions.js';
import type { Flow } from '../flows/flowSchema.js';
import { hitsOf, triggerEventTypes, type TriggerEvent, type TriggerHit } from '../flows/triggers.js';

const DAY = 86_400_000;
const checkoutTypes = ['checkout_started', 'checkout_step_viewed', 'checkout_step_completed'];

export interface EventScan {
  hits: TriggerHit[];
  signals: ExitSignal[];
  eventsRead: number;
}

/**
 * Reads the trigger and exit events of the customers whose timeline changed since the last run:
 * folded after the watermark (new events arrived), or holding an event timestamped after it (a
 * run `--as-of` a past date sees events as they "arrive" in its clock). Each such customer's
 * window — no older than the oldest trigger any flow accepts — is read whole: which of its events
 * were folded after the watermark is not recorded per event, and a fold that lagged behind the
 * watermark must not hide one. Rereading is harmless: enrolments are keyed by their trigger, and
 * an exit only ends enrolments triggered before it. Timelines hold one document per customer, so
 * the changed ones are found without reading the events collection (a scan on FerretDB). One
 * read serves triggers and exits: exits are applied as their events arrive rather than by
 * reading each customer's history before each step.
 */
export async function scanEvents(
  database: Database,
  flows: readonly Flow[],
  opts: { asOf: Date; since: Date; lookbackHours: number },
): Promise<EventScan> {
  const types = [...new Set([...triggerEventTypes(flows), ...exitEventTypes, ...checkoutTypes])];
  const oldest = new Date(opts.asOf.getTime() - opts.lookbackHours * 3_600_000);
  const events: TriggerEvent[] = [];
  for await (const timeline of readTimelines(
    database,
    { changedSince: opts.since },
    { types, from: oldest, until: new Date(opts.asOf.getTime() + 1) },
  )) {
    for (const e of timeline.events)
      events.push({ eventId: e.eventId, type: e.type, customerId: e.customerId, ts: e.ts, props: e.props });
  }
  events.sort((a, b) => a.ts.getTime() - b.ts.getTime());

  // Orders name their checkout, checkouts their cart; the step the customer left a checkout at
  // decides the cart incentive (free shipping for whoever stopped at shipping).
  const cartOfCheckout = new Map<string, string>();
  const lastViewed = new Map<string, string>();
  const completed = new Set<string>();
  for (const e of events) {
    const checkoutId = e.props.checkoutId;
    if (typeof checkoutId !== 'string') continue;
    if (e.type === 'checkout_started' && typeof e.props.cartId === 'string')
      cartOfCheckout.set(checkoutId, e.props.cartId);
    if (e.type === 'checkout_step_viewed') lastViewed.set(checkoutId, String(e.props.step));
    if (e.type === 'checkout_step_completed') completed.add(`${checkoutId}:${String(e.props.step)}`);
  }

  const hits: TriggerHit[] = [];
  const signals: ExitSignal[] = [];
  for (const e of events) {
    for (const hit of hitsOf(flows, e)) {
      const checkoutId = hit.context.checkoutIds?.[0];
      const drop = checkoutId ? lastViewed.get(checkoutId) : undefined;
      if (checkoutId && drop && !completed.has(`${checkoutId}:${drop}`)) hit.context.checkoutDropStep = drop;
      hits.push(hit);
    }
    const signal = exitSignalOf(e, cartOfCheckout);
    if (signal) signals.push(signal);
  }
  return { hits, signals, eventsRead: events.length };
}

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Triggers read from customer properties rather than events: a date property (sign-up
 * anniversary, birthday), firing during the day after it comes due. Score triggers are not read
 * here: scoring writes what changed as prediction events (src/ml/scoring/predictionEvents.ts),
 * which scanEvents reads with the rest.
 */
export async function scanDateTriggers(database: Database, flows: readonly Flow[], asOf: Date): Promise<TriggerHit[]> {
  const now = asOf.getTime();
  const hits: TriggerHit[] = [];
  for (const flow of flows) {
    const trigger = flow.trigger;
    if (trigger.type !== 'date_property') continue;
    for await (const c of database.collections.customers.find({}, { projection: { [trigger.property]: 1 } })) {
      let value: unknown = c;
      for (const part of trigger.property.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
      const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
      if (!date || Number.isNaN(date.getTime())) continue;
      const base = new Date(date.getTime() + trigger.offsetDays * DAY);
      if (trigger.annual) base.setUTCFullYear(asOf.getUTCFullYear());
      const target = base.getTime();
      if (target <= now && now - target < DAY) {
        const key = `date:${isoDay(target)}`;
        hits.push({ flowId: flow.id, customerId: String(c._id), key, at: asOf, context: { ref: key } });
      }
    }
  }
  return hits;
}
