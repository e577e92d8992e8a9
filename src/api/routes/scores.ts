import { z } from 'zod';
import { openScoreStream, readScorePage, scoreFields, type ScoresError } from '../../ml/scoring/readScores.js';
import { contentTypes, fieldsQuery, isClientGone, rowStream } from '../../rowExport.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const scoresQuery = z.object({
  segment: z.string().min(1).max(200).optional().meta({
    description:
      'A segment key: only its current members (as of the last assign-segments run); default every scored customer',
  }),
  format: z
    .enum(['json', 'ndjson', 'csv'])
    .default('json')
    .meta({ description: 'json: one page with `nextCursor`; ndjson and csv: every row, streamed in one pass' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .meta({ description: 'json only: rows per page, 1–10,000' }),
  cursor: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: 'json only: `nextCursor` of the previous page (opaque)' }),
  fields: fieldsQuery(scoreFields, 'customerId'),
});

const scoreRowSchema = z
  .object(Object.fromEntries(scoreFields.map((f) => [f, z.union([z.string(), z.number(), z.null()]).optional()])))
  .meta({
    id: 'ScoreRow',
    description: 'Latest scores of one customer; dates are ISO 8601, a score not computed is null',
  });

function fail(error: ScoresError): never {
  if (error.type === 'not_found') throw new AppError('not_found', error.message);
  throw new AppError('validation_failed', `invalid request: query.cursor: ${error.message}`, {
    issues: [{ path: 'query.cursor', message: error.message }],
  });
}

export const scoresRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/scores',
    summary: 'Latest scores of every customer or of one segment: pages (json) or a streamed export (ndjson, csv)',
    description:
      'json pages go by customer id (every customer) or in member order (a segment), with an opaque `nextCursor` (null on the last page). ndjson and csv stream every row in one pass over the scores, in no particular order; for bulk reads they are the fast way (see docs/api-scores.md).',
    tags: ['scores'],
    roles: ['admin', 'marketer'],
    request: { query: scoresQuery },
    responses: {
      200: {
        description: 'json: `{items, nextCursor}`; ndjson: one row per line; csv: a header and one row per line',
        schema: z
          .object({ items: z.array(scoreRowSchema), nextCursor: z.string().nullable() })
          .meta({ id: 'ScorePage' }),
      },
      404: { description: 'No such segment' },
    },
    handler: async ({ database, query, res }) => {
      const selection = { segment: query.segment, fields: query.fields };
      if (query.format === 'json') {
        const page = await readScorePage(database, { ...selection, cursor: query.cursor, limit: query.limit });
        return page.ok ? page.value : fail(page.error);
      }
      if (query.cursor)
        throw new AppError(
          'validation_failed',
          'invalid request: query.cursor: a cursor pages format=json; ndjson and csv stream every row',
          { issues: [{ path: 'query.cursor', message: 'only with format=json' }] },
        );
      // Opened before the status line goes out: after it, an error can only cut the stream.
      const stream = await openScoreStream(database, selection);
      if (!stream.ok) fail(stream.error);
      res.status(200).setHeader('Content-Type', contentTypes[query.format]);
      const out = rowStream(res, query.format, query.fields);
      try {
        await stream.value.run(out.row);
        await out.end();
      } catch (err) {
        if (!isClientGone(err)) throw err;
      }
      return undefined;
    },
  }),
];
