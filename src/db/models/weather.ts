import { Schema } from 'mongoose';

/**
 * One region's weather on one day (`_id` = `<region key>|<YYYY-MM-DD>`, so a re-import replaces
 * rather than duplicates). Forecast rows are days after the day they were imported; importing the
 * observed day later replaces the forecast.
 */
export const weatherSchema = new Schema(
  {
    _id: { type: String, required: true },
    region: { type: String, required: true },
    regionKey: { type: String, required: true },
    date: { type: String, required: true },
    tempC: { type: Number, required: true },
    precipMm: Number,
    condition: String,
    forecast: { type: Boolean, default: false },
  },
  { collection: 'weather', versionKey: false },
);

/** One `weather` document. */
export interface WeatherDoc {
  _id: string;
  /** The region as the shop wrote it. */
  region: string;
  /** The region compared with customers' locations: trimmed, lower case, inner spaces collapsed. */
  regionKey: string;
  /** The local calendar day, YYYY-MM-DD. */
  date: string;
  /** The day's temperature in °C. */
  tempC: number;
  precipMm?: number;
  condition?: string;
  forecast: boolean;
}
