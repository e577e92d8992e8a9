import { Rng } from '../../src/random.js';
import type { SimCustomer } from './customers.js';
import type { EventSink } from './simEventTypes.js';
import { DAY, zones, type LocalClock } from './timezones.js';

/**
 * Weather for the synthetic shop (a generator option, off by default so the shops other tests
 * measure stay as they are): a daily temperature per region (one region per time zone, named by
 * its city), and outerwear bought for the weather. A region's temperature is a seasonal cycle
 * (flipped south of the equator) plus an AR(1) anomaly, so cold spells last a few days; a day is
 * cold when the anomaly is COLD_ANOMALY_C or more below the cycle.
 *
 * Weather-driven buyers view and buy outerwear mostly on cold days; other outerwear buyers at the
 * same mean rate, more in winter but whatever the weather. So the two differ only in *when*, and
 * a segment has to read the weather to tell them apart: `sim_truth.traits.weatherDriven`.
 */

const COLD_ANOMALY_C = 4;
/** The anomaly: a_t = φ·a_{t−1} + ε, sd(ε) = SD·√(1 − φ²), so sd(a) = SD and spells last ~1/(1 − φ) days. */
const PHI = 0.8;
const ANOMALY_SD_C = 4;
/** Days of forecast after the end of history (rows for them are forecasts). */
export const FORECAST_DAYS = 7;
export const WEATHER_DRIVEN_SHARE = 0.2;
/** Customers who buy outerwear for the season, not the weather. */
const SEASONAL_OUTERWEAR_SHARE = 0.3;
/** Chance of an outerwear day: weather-driven on cold and other days; seasonal buyers in and out of winter. */
const DRIVEN_COLD = 0.12;
const DRIVEN_OTHER = 0.006;
const SEASONAL_WINTER = 0.032;
const SEASONAL_OTHER = 0.012;
const BUY_GIVEN_VIEW = 0.35;
const OUTERWEAR_PRODUCTS = 12;

export const regionOfZone = (tz: string) => tz.split('/').at(-1)!.replaceAll('_', ' ');

interface RegionSeries {
  region: string;
  country: string;
  firstDay: number;
  temps: number[];
  cold: boolean[];
}

export class ShopWeather {
  private readonly byRegion = new Map<string, RegionSeries>();

  /** Days [firstDay, lastDay] (days since epoch, local dates), for every zone's region. */
  constructor(seed: number, firstDay: number, lastDay: number) {
    zones.forEach((zone, z) => {
      const rng = new Rng(seed, 'weather-table', z);
      const mean = rng.uniform(6, 20);
      const amplitude = rng.uniform(4, 13);
      const temps: number[] = [];
      const cold: boolean[] = [];
      let anomaly = rng.normal(0, ANOMALY_SD_C);
      for (let day = firstDay; day <= lastDay; day++) {
        anomaly = PHI * anomaly + rng.normal(0, ANOMALY_SD_C * Math.sqrt(1 - PHI * PHI));
        // Coldest around 15 January in the north, 15 July in the south.
        const phase = (2 * Math.PI * (day - 14)) / 365.25 + (zone.southern ? Math.PI : 0);
        temps.push(Math.round((mean - amplitude * Math.cos(phase) + anomaly) * 10) / 10);
        cold.push(anomaly <= -COLD_ANOMALY_C);
      }
      const region = regionOfZone(zone.tz);
      this.byRegion.set(zone.tz, { region, country: zone.country, firstDay, temps, cold });
    });
  }

  /** The table as `breadcrumb weather import` reads it. */
  rows(): { date: string; region: string; temperature: number; condition: string }[] {
    const out: { date: string; region: string; temperature: number; condition: string }[] = [];
    for (const s of this.byRegion.values())
      s.temps.forEach((t, i) =>
        out.push({
          date: new Date((s.firstDay + i) * DAY).toISOString().slice(0, 10),
          region: s.region,
          temperature: t,
          condition: t <= 0 ? 'snow' : s.cold[i] ? 'cold' : 'clear',
        }),
      );
    return out;
  }

  isCold(tz: string, day: number): boolean {
    const s = this.byRegion.get(tz)!;
    return s.cold[day - s.firstDay] ?? false;
  }

  regionOf(tz: string): string {
    return this.byRegion.get(tz)!.region;
  }
}

const outerwearProduct = (n: number) => ({ productId: `outerwear-${n}`, category: 'outerwear', price: 60 + 10 * n });

/** The outerwear line, added to the catalogue of a shop with weather. */
export const outerwearProducts = () =>
  Array.from({ length: OUTERWEAR_PRODUCTS }, (_, i) => {
    const { productId, category, price } = outerwearProduct(i + 1);
    return { _id: productId, name: `Winter Coat ${i + 1}`, category, price, currency: 'USD', tags: [], inStock: true };
  });

/**
 * The customer's outerwear days, from signup to the end of history, on a stream of its own so
 * the rest of the shop is drawn exactly as without weather. Returns whether they are weather-driven.
 */
export function simulateWeatherBuying(
  seed: number,
  customer: SimCustomer,
  weather: ShopWeather,
  clock: LocalClock,
  sink: EventSink,
): boolean {
  const rng = new Rng(seed, 'weather', customer.index);
  const tz = customer.traits.timezone;
  const driven = rng.chance(WEATHER_DRIVEN_SHARE);
  const seasonal = !driven && rng.chance(SEASONAL_OUTERWEAR_SHARE / (1 - WEATHER_DRIVEN_SHARE));
  if (!driven && !seasonal) return false;
  const context = { location: { region: weather.regionOf(tz), country: customer.traits.country } };
  const device = customer.traits.devicePreference;
  const first = Math.floor(clock.toLocal(customer.signedUpMs) / DAY) + 1;
  const last = Math.floor(clock.toLocal(sink.endMs) / DAY);
  let orders = 0;
  for (let day = first; day < last; day++) {
    const month = new Date(day * DAY).getUTCMonth();
    const winter = customer.traits.southern ? month >= 5 && month <= 7 : month === 11 || month <= 1;
    const p = driven
      ? weather.isCold(tz, day)
        ? DRIVEN_COLD
        : DRIVEN_OTHER
      : winter
        ? SEASONAL_WINTER
        : SEASONAL_OTHER;
    if (!rng.chance(p)) continue;
    let ms = clock.toUtc(day * DAY + rng.int(9, 21) * 3_600_000 + rng.int(0, 3_599_999));
    const sessionId = `wx-${customer.index}-${day}`;
    let seen = outerwearProduct(rng.int(1, OUTERWEAR_PRODUCTS));
    for (let v = rng.int(1, 3); v > 0; v--) {
      seen = outerwearProduct(rng.int(1, OUTERWEAR_PRODUCTS));
      sink.emit(ms, 'product_viewed', 'web', device, { ...seen, timeOnPageSec: rng.int(10, 180), context }, sessionId);
      ms += rng.int(30_000, 240_000);
    }
    if (!rng.chance(BUY_GIVEN_VIEW)) continue;
    const orderId = `wx-${customer.index}-${++orders}`;
    sink.emit(
      ms,
      'order_completed',
      'web',
      device,
      { orderId, revenue: seen.price, currency: 'USD', items: [{ ...seen, quantity: 1 }], context },
      sessionId,
    );
  }
  return driven;
}
