import type { Database } from '../db/database.js';
import type { TimelineEvent } from '../ingest/timeline/compact.js';
import { buildFeatures, foldContext, type FeatureValues } from './buildFeatures.js';
import type { FoldContext, FoldEvent } from './defineFold.js';
import { shopHighValuePrice } from './store.js';
import { cachedWeatherTable } from '../weather/weatherCache.js';
import { WeatherTable } from '../weather/weatherTable.js';

/** The fold's view of timeline events (already sorted by ts). */
export function foldEventsOf(events: readonly TimelineEvent[]): FoldEvent[] {
  return events.map((e) => ({
    type: e.t,
    ts: new Date(e.s),
    sessionId: e.ss ?? null,
    device: e.d ?? null,
    props: e.p,
  }));
}

/** Features of one customer as of the context's instant; null when nothing of theirs precedes it. */
export function featuresOfTimeline(events: readonly TimelineEvent[], ctx: FoldContext): FeatureValues | null {
  const values = buildFeatures(foldEventsOf(events), ctx);
  return values.tenureDays === null ? null : values;
}

/** Fold contexts per time zone for one as-of instant (building one costs a time-zone lookup). */
export class FoldContexts {
  private readonly byZone = new Map<string, FoldContext>();
  constructor(
    readonly asOf: number,
    private readonly highValuePrice: number | null,
    private readonly abandonHours = 24,
    private readonly weather: WeatherTable = WeatherTable.empty,
  ) {}

  /** The shop-wide inputs (price quantile, weather table) are read once per run, from caches. */
  static async forShop(database: Database, asOf: number, abandonHours = 24): Promise<FoldContexts> {
    const [price, weather] = await Promise.all([cachedHighValuePrice(database), cachedWeatherTable(database)]);
    return new FoldContexts(asOf, price, abandonHours, weather);
  }

  of(timezone: string | undefined): FoldContext {
    const zone = timezone || 'UTC';
    let c = this.byZone.get(zone);
    if (!c)
      this.byZone.set(
        zone,
        (c = foldContext({
          asOf: this.asOf,
          timezone: zone,
          abandonAfterHours: this.abandonHours,
          highValuePrice: this.highValuePrice,
          weather: this.weather,
        })),
      );
    return c;
  }
}

/** The catalogue's price quantile changes rarely; folds every second must not rescan products. */
const priceCache = new WeakMap<Database, { at: number; value: number | null }>();
const PRICE_TTL_MS = 10 * 60_000;

export async function cachedHighValuePrice(database: Database): Promise<number | null> {
  const hit = priceCache.get(database);
  if (hit && Date.now() - hit.at < PRICE_TTL_MS) return hit.value;
  const value = await shopHighValuePrice(database);
  priceCache.set(database, { at: Date.now(), value });
  return value;
}
