import { activityFold } from './activity.js';
import { browsingFold } from './browsing.js';
import { cartsFold } from './carts.js';
import { categoriesFold } from './categories.js';
import {
  eventCodes,
  type EventCode,
  type FeatureMeta,
  type Fold,
  type FoldContext,
  type FoldState,
  type FoldEvent,
  type FoldValues,
} from './defineFold.js';
import { emailFold } from './email.js';
import { ordersFold } from './orders.js';
import { DAY, HOUR, toText } from './read.js';
import { seasonsFold } from './seasons.js';
import { isSouthernTimeZone, offsetFnFor } from './time.js';
import { weatherFold } from './weather.js';
import { WeatherTable } from '../weather/weatherTable.js';

/** Every fold, in catalogue order. A new feature is declared in its fold and appears everywhere. */
export const folds = [
  ordersFold,
  seasonsFold,
  browsingFold,
  categoriesFold,
  cartsFold,
  emailFold,
  activityFold,
  weatherFold,
] as const;

/** Bumped when a definition changes meaning, so stored features from older code can be told apart. */
export const FEATURE_VERSION = 1;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type ValuesOf<T> = T extends Fold<infer F> ? FoldValues<F> : never;

/** One customer's features: every catalogue name, a number, a string or null (not applicable). */
export type FeatureValues = UnionToIntersection<ValuesOf<(typeof folds)[number]>>;
export type FeatureName = keyof FeatureValues & string;

export interface BuildOptions {
  /** Only events strictly before this instant are folded. */
  asOf: Date | number;
  /** IANA timezone of the customer (local hours, days and seasons); default UTC. */
  timezone?: string;
  /** A cart or checkout with no order within this many hours of its last activity is abandoned (default 24). */
  abandonAfterHours?: number;
  /** Price above which a viewed product is "high value"; default: the customer's own 75th percentile. */
  highValuePrice?: number | null;
  /** The shop's weather table (weather features); default: none. */
  weather?: WeatherTable;
}

const codes = new Map<string, EventCode>(Object.entries(eventCodes) as [string, EventCode][]);

/** The context the folds share for one customer; cheap, but reusable across customers of a zone. */
export function foldContext(options: BuildOptions): FoldContext {
  const asOf = typeof options.asOf === 'number' ? options.asOf : options.asOf.getTime();
  if (!Number.isFinite(asOf)) throw new RangeError('buildFeatures: asOf is not a valid date');
  const timezone = options.timezone || 'UTC';
  return {
    asOf,
    since7d: asOf - 7 * DAY,
    since30d: asOf - 30 * DAY,
    since90d: asOf - 90 * DAY,
    since365d: asOf - 365 * DAY,
    timezone,
    offsetAt: offsetFnFor(timezone),
    southern: isSouthernTimeZone(timezone),
    abandonAfterMs: (options.abandonAfterHours ?? 24) * HOUR,
    highValuePrice: options.highValuePrice ?? null,
    weather: options.weather ?? WeatherTable.empty,
  };
}

/**
 * Folds one customer's events, sorted by `ts`, into their features as of `asOf`. The loop stops
 * at the first event at or after asOf, so nothing from the future can leak into a feature; events
 * of unknown types, events without a valid `ts`, and repeats of an already seen orderId are
 * skipped. Throws if the events are not sorted (a bug in the caller: the folds rely on order).
 */
export function buildFeatures(events: readonly FoldEvent[], options: BuildOptions | FoldContext): FeatureValues {
  const ctx = 'since30d' in options ? options : foldContext(options);
  const asOf = ctx.asOf;
  const states: { add: FoldState<Record<string, FeatureMeta>>['add']; finish(): object }[] = folds.map((fold) =>
    fold.create(ctx),
  );
  const n = states.length;
  let orderIds: Set<string> | undefined;
  let previous = -Infinity;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const t = +e.ts;
    if (t >= asOf) break;
    if (!(t >= previous)) {
      if (Number.isNaN(t)) continue;
      throw new Error(`buildFeatures: events must be sorted by ts (event ${i} is earlier than the one before)`);
    }
    previous = t;
    const code = codes.get(e.type);
    if (code === undefined) continue;
    if (code === eventCodes.order_completed) {
      const orderId = e.props ? toText(e.props.orderId) : null;
      if (orderId !== null) {
        if (orderIds?.has(orderId)) continue;
        (orderIds ??= new Set()).add(orderId);
      }
    }
    for (let s = 0; s < n; s++) states[s]!.add(e, t, code);
  }
  const out = {};
  for (let s = 0; s < n; s++) Object.assign(out, states[s]!.finish());
  return out as FeatureValues;
}
