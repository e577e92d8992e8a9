import { Readable } from 'node:stream';
import express from 'express';
import { z } from 'zod';
import { config } from '../../config.js';
import { importWeather } from '../../weather/importWeather.js';
import { weatherRecords } from '../../weather/weatherRecords.js';
import { loadWeatherTable } from '../../weather/weatherCache.js';
import { epochDay } from '../../weather/weatherRow.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const rejectionSchema = z.object({ line: z.number().int(), field: z.string(), reason: z.string() });

const importSummarySchema = z
  .object({
    read: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int().meta({ description: 'rows equal to the stored ones: a re-import changes nothing' }),
    forecast: z.number().int().meta({ description: 'rows for days after today (UTC), stored as forecasts' }),
    rejected: z.array(rejectionSchema),
  })
  .meta({ id: 'WeatherImportSummary' });

/** Text bodies (CSV, NDJSON) are parsed here: the app parses only JSON before routing. */
const textBody = express.text({
  type: ['text/csv', 'application/x-ndjson', 'application/ndjson'],
  limit: config().BODY_LIMIT,
});

const regionWeatherSchema = z.object({
  region: z.string(),
  tempC: z.number().nullable(),
  anomalyC: z.number().nullable(),
  condition: z.string().nullable(),
  minTempC7d: z.number().nullable(),
  coldSnap: z.boolean(),
  forecast: z.boolean(),
});

export const weatherRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/weather',
    summary: 'Load daily weather rows per region',
    description:
      'Body: `text/csv` with the header `date,region,temperature,precipitation,condition`, `application/x-ndjson` (one row object a line), or JSON (an array of rows, at most 10,000). Upserted by (region, date): re-sending a row changes nothing; days after today are stored as forecasts. Any bad row refuses the whole body (400, each bad row named by line) unless `?partial=true`.',
    tags: ['weather'],
    roles: ['admin', 'ingest'],
    request: { query: z.object({ partial: z.enum(['true', 'false']).default('false') }) },
    responses: {
      200: { description: 'What was stored', schema: importSummarySchema },
      400: { description: 'Invalid rows: details.rejected lists line, field and reason; nothing was stored' },
      415: { description: 'Neither CSV, NDJSON nor JSON' },
    },
    handler: async ({ query, database, req, res }) => {
      const type = req.get('content-type') ?? '';
      let records;
      if (/^application\/json/i.test(type)) {
        const rows: unknown = req.body;
        if (!Array.isArray(rows) || rows.length > 10_000)
          throw new AppError('validation_failed', 'a JSON body is an array of at most 10,000 weather rows');
        records = rows.map((value, i) => ({ line: i + 1, value }));
      } else if (/^(text\/csv|application\/(x-)?ndjson)/i.test(type)) {
        await new Promise<void>((resolve, reject) => textBody(req, res, (err) => (err ? reject(err) : resolve())));
        const text = typeof req.body === 'string' ? req.body : '';
        records = weatherRecords(Readable.from([text]), /csv/i.test(type) ? 'csv' : 'ndjson');
      } else throw new AppError('unsupported_media_type', 'send text/csv, application/x-ndjson or application/json');
      const result = await importWeather(database, records, { partial: query.partial === 'true' });
      if (!result.ok)
        throw new AppError('validation_failed', result.error.message, { rejected: result.error.rejected });
      return result.value;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/weather',
    summary: "Every region's weather on a day, with its cold-snap state",
    tags: ['weather'],
    roles: ['admin', 'marketer'],
    request: { query: z.object({ date: z.iso.date().optional().describe('default: today (UTC)') }) },
    responses: {
      200: { description: 'Regions', schema: z.object({ date: z.string(), regions: z.array(regionWeatherSchema) }) },
    },
    handler: async ({ query, database }) => {
      const date = query.date ?? new Date().toISOString().slice(0, 10);
      const table = await loadWeatherTable(database);
      const regions = [...table.allAt(epochDay(date))].map(([region, w]) => ({ region, ...w }));
      return { date, regions };
    },
  }),
];
