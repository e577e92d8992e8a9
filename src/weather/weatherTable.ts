import type { WeatherDoc } from '../db/models/weather.js';
import { epochDay } from './weatherRow.js';

/** A day is cold when its temperature is this far below the region's seasonal normal (°C). */
export const COLD_ANOMALY_C = 4;
/** The seasonal normal: the mean temperature of the days within this many days either side. */
export const NORMAL_HALF_WINDOW_DAYS = 15;
/** A cold snap: at least this many consecutive cold days from today through the forecast window. */
export const COLD_SNAP_DAYS = 2;
export const FORECAST_WINDOW_DAYS = 7;

/** A region's weather as of one day, as segment rules read it (`weather.<field>`). */
export interface RegionWeather {
  /** The day's temperature (observed or forecast); null without a row for it. */
  tempC: number | null;
  /** tempC minus the seasonal normal. */
  anomalyC: number | null;
  condition: string | null;
  /** Lowest temperature from today through the forecast window. */
  minTempC7d: number | null;
  /** COLD_SNAP_DAYS consecutive cold days from today through the forecast window. */
  coldSnap: boolean;
  /** The day's row is a forecast. */
  forecast: boolean;
}

interface Series {
  first: number;
  temps: Float64Array;
  conditions: (string | undefined)[];
  forecast: Uint8Array;
  /** Seasonal normal per day (NaN where no day within the window has a temperature). */
  normals: Float64Array;
}

/**
 * A shop's weather table in memory: per region, a dense day-indexed series. Built once per fold
 * run or segment run (see weatherCache.ts), then every lookup is an array index — the fold asks
 * for thousands of (region, day) pairs and must not touch the database for any of them.
 */
export class WeatherTable {
  private constructor(private readonly series: ReadonlyMap<string, Series>) {}

  static readonly empty = new WeatherTable(new Map());

  static fromDocs(docs: Iterable<Pick<WeatherDoc, 'regionKey' | 'date' | 'tempC' | 'condition' | 'forecast'>>) {
    const byRegion = new Map<string, { day: number; doc: Pick<WeatherDoc, 'tempC' | 'condition' | 'forecast'> }[]>();
    for (const d of docs) {
      const list = byRegion.get(d.regionKey) ?? [];
      list.push({ day: epochDay(d.date), doc: d });
      byRegion.set(d.regionKey, list);
    }
    const series = new Map<string, Series>();
    for (const [key, rows] of byRegion) {
      let first = Infinity;
      let last = -Infinity;
      for (const r of rows) {
        first = Math.min(first, r.day);
        last = Math.max(last, r.day);
      }
      const n = last - first + 1;
      const temps = new Float64Array(n).fill(NaN);
      const conditions: (string | undefined)[] = new Array(n);
      const forecast = new Uint8Array(n);
      for (const { day, doc } of rows) {
        temps[day - first] = doc.tempC;
        conditions[day - first] = doc.condition;
        forecast[day - first] = doc.forecast ? 1 : 0;
      }
      series.set(key, { first, temps, conditions, forecast, normals: movingMean(temps, NORMAL_HALF_WINDOW_DAYS) });
    }
    return new WeatherTable(series);
  }

  get size(): number {
    return this.series.size;
  }

  regions(): string[] {
    return [...this.series.keys()];
  }

  /** The first candidate (region, city, country… already as region keys) the table has, else null. */
  resolve(candidates: readonly string[]): string | null {
    for (const c of candidates) if (this.series.has(c)) return c;
    return null;
  }

  /** Temperature on a day (days since epoch), or NaN. */
  tempOn(region: string, day: number): number {
    const s = this.series.get(region);
    if (!s) return NaN;
    const i = day - s.first;
    return i >= 0 && i < s.temps.length ? s.temps[i]! : NaN;
  }

  /** Seasonal normal on a day, or NaN (no table for the region, or no day near it). */
  normalOn(region: string, day: number): number {
    const s = this.series.get(region);
    if (!s) return NaN;
    const i = day - s.first;
    return i >= 0 && i < s.normals.length ? s.normals[i]! : NaN;
  }

  /** Whether a temperature is cold for the region on that day; undefined when the normal is unknown. */
  isCold(region: string, day: number, tempC = this.tempOn(region, day)): boolean | undefined {
    const normal = this.normalOn(region, day);
    if (Number.isNaN(normal) || Number.isNaN(tempC)) return undefined;
    return tempC <= normal - COLD_ANOMALY_C;
  }

  /** The region's weather as of a day: today's row and the forecast window after it. */
  at(region: string, day: number): RegionWeather {
    const temp = this.tempOn(region, day);
    const normal = this.normalOn(region, day);
    const s = this.series.get(region);
    const i = s ? day - s.first : -1;
    let min = Infinity;
    let run = 0;
    let coldSnap = false;
    for (let d = day; d < day + FORECAST_WINDOW_DAYS; d++) {
      const t = this.tempOn(region, d);
      if (!Number.isNaN(t)) min = Math.min(min, t);
      run = this.isCold(region, d, t) ? run + 1 : 0;
      if (run >= COLD_SNAP_DAYS) coldSnap = true;
    }
    const known = !Number.isNaN(temp);
    return {
      tempC: known ? temp : null,
      anomalyC: known && !Number.isNaN(normal) ? round1(temp - normal) : null,
      condition: (s && i >= 0 && s.conditions[i]) || null,
      minTempC7d: Number.isFinite(min) ? min : null,
      coldSnap,
      forecast: Boolean(s && i >= 0 && s.forecast[i]),
    };
  }

  /** Every region's weather as of a day. */
  allAt(day: number): Map<string, RegionWeather> {
    return new Map(this.regions().map((r) => [r, this.at(r, day)]));
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Mean of the known values within `half` positions either side (NaN where none is known). */
function movingMean(values: Float64Array, half: number): Float64Array {
  const n = values.length;
  const sum = new Float64Array(n + 1);
  const count = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const known = !Number.isNaN(v);
    sum[i + 1] = sum[i]! + (known ? v : 0);
    count[i + 1] = count[i]! + (known ? 1 : 0);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - half);
    const hi = Math.min(n, i + half + 1);
    const c = count[hi]! - count[lo]!;
    out[i] = c > 0 ? (sum[hi]! - sum[lo]!) / c : NaN;
  }
  return out;
}
