import { regionKey } from '../weather/weatherRow.js';
import {
  E,
  defineFold,
  mapFeature,
  textFeature,
  type EventCode,
  type FoldContext,
  type FoldEvent,
} from './defineFold.js';
import { orderItems, toText } from './read.js';
import { localDay } from './time.js';

/**
 * Weather sensitivity: on which of a customer's active days was it cold where they are, per
 * category, against all their active days. Counted by distinct days, not events, so one session
 * of ten views on one cold afternoon is one cold day, not ten.
 */

/** Without a weather table, a temperature an event carried (`context.weather.tempC`) at or below this is cold. */
export const COLD_ABSOLUTE_C = 5;
/** A category needs activity on this many distinct days with known weather before it gets a lift. */
export const MIN_SUPPORT_DAYS = 3;
/** The lift shrinks towards 1 as if the category had this many more days at the customer's own cold share. */
const SMOOTHING_DAYS = 3;
/** The customer's cold share starts from the share of cold days a year has (≈ 15%), worth this many days. */
const PRIOR_COLD_SHARE = 0.15;
const PRIOR_DAYS = 5;
/** Categories kept per customer (the best supported): bounds the feature document. */
const MAX_CATEGORIES = 12;

export const weatherFold = defineFold({
  name: 'weather',
  description: 'weather context and sensitivity',
  features: {
    weatherRegion: textFeature(
      "the customer's region as the weather table names it (lower case): the latest location an event's context or the profile's traits (region, else city, else country; address.* too) gave, by event time; the first of those the table has, else the region given; null if none",
      'region',
    ),
    weatherLift: mapFeature(
      `per category: share of the days the customer viewed or bought it that were cold in their region (≥ 4 °C below the seasonal normal, see docs/weather.md) / share of all their active days that were cold, smoothed towards 1; a category appears only with activity on ${MIN_SUPPORT_DAYS}+ distinct days with known weather (at most ${MAX_CATEGORIES}, the best supported); null without any`,
      'ratio by category',
    ),
  },
  create: (ctx) => new WeatherState(ctx),
});

/** A location statement: region, city and country, each the latest stated (by event time). */
interface Place {
  region?: string;
  city?: string;
  country?: string;
}

class WeatherState {
  private readonly place: Place = {};
  /** Active (day, category) pairs, and the temperature an event of that day carried. */
  private readonly days = new Map<number, { categories: Set<string>; eventTempC: number }>();

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    const props = e.props;
    if (!props) return;
    const context = record(props.context);
    if (context) this.locate(record(context.location));
    if (code === E.identify) {
      const traits = record(props.traits);
      if (traits) {
        this.locate(traits);
        this.locate(record(traits.address), 'state');
      }
      return;
    }
    let categories: string[] | undefined;
    if (code === E.product_viewed || code === E.category_viewed) {
      const c = toText(props.category);
      if (c !== null) categories = [c];
    } else if (code === E.order_completed) {
      categories = orderItems(props)
        .map((i) => toText(i?.category))
        .filter((c): c is string => c !== null);
    }
    if (!categories?.length) return;
    const day = localDay(t, this.ctx.offsetAt);
    let entry = this.days.get(day);
    if (!entry) this.days.set(day, (entry = { categories: new Set(), eventTempC: NaN }));
    for (const c of categories) if (safeKey(c)) entry.categories.add(c);
    const temp = record(context?.weather)?.tempC;
    if (typeof temp === 'number' && Number.isFinite(temp)) entry.eventTempC = temp;
  }

  private locate(from: Record<string, unknown> | undefined, regionAlias?: string): void {
    if (!from) return;
    const region = toText(from.region) ?? (regionAlias ? toText(from[regionAlias]) : null);
    const city = toText(from.city);
    const country = toText(from.country);
    if (region) this.place.region = regionKey(region);
    if (city) this.place.city = regionKey(city);
    if (country) this.place.country = regionKey(country);
  }

  finish() {
    const { weather } = this.ctx;
    const candidates = [this.place.region, this.place.city, this.place.country].filter((c): c is string => !!c);
    const region = weather.resolve(candidates);
    const weatherRegion = region ?? candidates[0] ?? null;
    if (this.days.size === 0) return { weatherRegion, weatherLift: null };
    let active = 0;
    let cold = 0;
    const perCategory = new Map<string, { n: number; k: number }>();
    for (const [day, { categories, eventTempC }] of this.days) {
      const isCold =
        region !== null
          ? weather.isCold(region, day, Number.isNaN(weather.tempOn(region, day)) ? eventTempC : undefined)
          : Number.isNaN(eventTempC)
            ? undefined
            : eventTempC <= COLD_ABSOLUTE_C;
      if (isCold === undefined) continue;
      active++;
      if (isCold) cold++;
      for (const c of categories) {
        const s = perCategory.get(c) ?? { n: 0, k: 0 };
        s.n++;
        if (isCold) s.k++;
        perCategory.set(c, s);
      }
    }
    const base = (cold + PRIOR_DAYS * PRIOR_COLD_SHARE) / (active + PRIOR_DAYS);
    const supported = [...perCategory]
      .filter(([, s]) => s.n >= MIN_SUPPORT_DAYS)
      .sort(([a, x], [b, y]) => y.n - x.n || (a < b ? -1 : 1))
      .slice(0, MAX_CATEGORIES);
    if (supported.length === 0) return { weatherRegion, weatherLift: null };
    const weatherLift: Record<string, number> = {};
    for (const [c, s] of supported)
      weatherLift[c] = Math.round(((s.k + SMOOTHING_DAYS * base) / (s.n + SMOOTHING_DAYS) / base) * 100) / 100;
    return { weatherRegion, weatherLift };
  }
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Category names usable as document keys and rule paths (`features.weatherLift.<category>`). */
export const safeCategoryKey = /^(?![$])(?!(?:__proto__|constructor|prototype)$)[^.]{1,64}$/;
const safeKey = (c: string) => safeCategoryKey.test(c);
