import { z } from 'zod';
import { config } from '../../config.js';
import { contentTypes, fieldsQuery, isClientGone, rowStream } from '../../rowExport.js';
import {
  decodeCursor,
  encodeCursor,
  memberFields,
  readMembers,
  type MemberRow,
} from '../../segments/membership/memberPages.js';
import { segmentPerformance } from '../../segments/membership/performance.js';
import {
  createSegment,
  deleteSegment,
  getMemberIndex,
  getSegment,
  listSegments,
  updateSegment,
  type StoreError,
} from '../../segments/membership/segmentStore.js';
import { defineRoute, Reply } from '../defineRoute.js';
import { AppError } from '../errors.js';

const timestamp = z.iso.datetime();
const keySchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes, at most 64');

const segmentSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    kind: z.string(),
    description: z.string().nullable(),
    builtIn: z.boolean().meta({ description: 'Built-in segments are read-only' }),
    active: z.boolean(),
    size: z.number().meta({ description: 'Current members, as of the last assign-segments run' }),
    refreshedAt: timestamp.nullable(),
    warnings: z.array(z.string()).meta({ description: 'Too small to act on, or more segments than the list supports' }),
    trend: z
      .array(z.object({ day: z.string(), size: z.number() }))
      .meta({ description: 'Size per day over the last 30 days' }),
  })
  .meta({ id: 'Segment' });

const ruleField = z.unknown().meta({
  description: 'A segment rule (see docs/segments.md: all/any/not over field, event, quantile and season conditions)',
});
const createBody = z
  .object({
    key: keySchema,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    rule: ruleField,
    active: z.boolean().optional(),
  })
  .meta({ id: 'CreateSegment' });
const updateBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    rule: ruleField.optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one of name, description, rule, active')
  .meta({ id: 'UpdateSegment' });
const keyParams = z.object({ key: keySchema });

/** Domain failures → the API's errors; a bad rule names its path under `body.rule`. */
function fail(error: StoreError): never {
  switch (error.type) {
    case 'not_found':
      throw new AppError('not_found', error.message);
    case 'conflict':
      throw new AppError('conflict', error.message);
    case 'read_only':
      throw new AppError('forbidden', error.message, { reason: 'built_in' });
    case 'invalid_rule': {
      const path = ['body', 'rule', ...error.error.path].join('.');
      throw new AppError('validation_failed', `invalid request: ${path}: ${error.error.message}`, {
        issues: [{ path, message: error.error.message }],
      });
    }
  }
}

const membersQuery = z.object({
  format: z.enum(['json', 'ndjson', 'csv']).default('json').meta({
    description: 'json: one page with `nextCursor`; ndjson and csv: streamed from the cursor to the end (or `limit`)',
  }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .meta({ description: 'Rows; json: 1–1000, default 100; streams: default all' }),
  cursor: z.string().min(1).max(500).optional().meta({ description: '`nextCursor` of the previous page (opaque)' }),
  fields: fieldsQuery(memberFields, 'customerId'),
});

const memberRowSchema = z
  .object(Object.fromEntries(memberFields.map((f) => [f, z.union([z.string(), z.number(), z.null()]).optional()])))
  .meta({ id: 'SegmentMember' });

const performanceSchema = z
  .object({
    key: z.string(),
    days: z.number(),
    sizes: z.array(z.object({ day: z.string(), size: z.number(), entered: z.number(), exited: z.number() })),
    declining: z.boolean().meta({ description: 'Size fell by 20% or more over the last 30 days' }),
    email: z
      .object({
        recipients: z.number(),
        messages: z.number(),
        opens: z.number(),
        clicks: z.number(),
        unsubscribes: z.number(),
        revenue: z.number(),
        revenuePerRecipient: z.number(),
        openRate: z.number(),
        clickRate: z.number(),
      })
      .nullable()
      .meta({ description: 'Email to current members in the window; null until a flow has sent some' }),
  })
  .meta({ id: 'SegmentPerformance' });

export const segmentsRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/segments',
    summary: 'Every segment with its size, warnings and 30-day trend',
    tags: ['segments'],
    roles: ['admin', 'marketer'],
    responses: { 200: { description: 'Segments by key', schema: z.object({ items: z.array(segmentSchema) }) } },
    handler: async ({ database }) => ({ items: await listSegments(database) }),
  }),
  defineRoute({
    method: 'post',
    path: '/v1/segments',
    summary: 'Create a custom segment',
    description:
      'The rule is validated (400 names the path, e.g. `body.rule.all.0.field`); members appear at the next assign-segments run.',
    tags: ['segments'],
    roles: ['admin'],
    request: { body: createBody },
    responses: {
      201: { description: 'The segment', schema: segmentSchema },
      409: { description: 'A segment with this key exists' },
    },
    handler: async ({ database, body }) => {
      const created = await createSegment(database, body);
      return created.ok ? created.value : fail(created.error);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/segments/:key',
    summary: 'One segment with its rule',
    tags: ['segments'],
    roles: ['admin', 'marketer'],
    request: { params: keyParams },
    responses: {
      200: { description: 'The segment', schema: segmentSchema.extend({ rule: z.unknown() }) },
      404: { description: 'No such segment' },
    },
    handler: async ({ database, params }) => {
      const found = await getSegment(database, params.key);
      if (!found.ok) fail(found.error);
      const { memberPages: _pages, ...segment } = found.value;
      return segment;
    },
  }),
  defineRoute({
    method: 'put',
    path: '/v1/segments/:key',
    summary: 'Change a custom segment',
    tags: ['segments'],
    roles: ['admin'],
    request: { params: keyParams, body: updateBody },
    responses: {
      200: { description: 'The segment', schema: segmentSchema },
      403: { description: 'Built-in segments are read-only' },
      404: { description: 'No such segment' },
    },
    handler: async ({ database, params, body }) => {
      const updated = await updateSegment(database, params.key, body);
      return updated.ok ? updated.value : fail(updated.error);
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/segments/:key',
    summary: 'Delete a custom segment (its members exit at the next run)',
    tags: ['segments'],
    roles: ['admin'],
    request: { params: keyParams },
    responses: {
      204: { description: 'Deleted' },
      403: { description: 'Built-in segments are read-only' },
      404: { description: 'No such segment' },
    },
    handler: async ({ database, params }) => {
      const deleted = await deleteSegment(database, params.key);
      return deleted.ok ? new Reply(204, undefined) : fail(deleted.error);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/segments/:key/members',
    summary: 'Current members with scores: a page (json) or a streamed export (ndjson, csv)',
    description:
      'Members as of the last assign-segments run, partition by partition, by customer id within each. A cursor stays valid through the next run.',
    tags: ['segments'],
    roles: ['admin', 'marketer'],
    request: { params: keyParams, query: membersQuery },
    responses: {
      200: {
        description: 'json: `{items, nextCursor}`; ndjson: one member per line; csv: a header and one member per line',
        schema: z.object({ items: z.array(memberRowSchema), nextCursor: z.string().nullable() }),
      },
      404: { description: 'No such segment' },
    },
    handler: async ({ database, params, query, res }) => {
      const found = await getMemberIndex(database, params.key);
      if (!found.ok) fail(found.error);
      let from = null;
      if (query.cursor) {
        const decoded = decodeCursor(query.cursor);
        if (!decoded.ok)
          throw new AppError('validation_failed', `invalid request: query.cursor: ${decoded.error}`, {
            issues: [{ path: 'query.cursor', message: decoded.error }],
          });
        from = decoded.value;
      }
      const segment = { id: params.key, index: found.value, partitions: config().PARTITIONS };
      const expired = () =>
        new AppError(
          'validation_failed',
          'invalid request: query.cursor: the cursor is from a run before the last two; start again without it',
          { issues: [{ path: 'query.cursor', message: 'expired' }] },
        );
      const pick = (r: MemberRow): MemberRow =>
        Object.fromEntries(query.fields.map((f) => [f, r[f] ?? null])) as MemberRow;
      if (query.format === 'json') {
        const items: MemberRow[] = [];
        const read = await readMembers(
          database,
          segment,
          from,
          Math.min(query.limit ?? 100, 1000),
          (r) => void items.push(pick(r)),
        );
        if (!read.ok) throw expired();
        return { items, nextCursor: read.value.next ? encodeCursor(read.value.next) : null };
      }
      // Check the cursor before the status line goes out: after it, an error can only cut the stream.
      const probe = await readMembers(database, segment, from, 0, () => undefined);
      if (!probe.ok) throw expired();
      res.status(200).setHeader('Content-Type', contentTypes[query.format]);
      const out = rowStream(res, query.format, query.fields);
      try {
        await readMembers(database, segment, from, query.limit ?? Infinity, out.row);
        await out.end();
      } catch (err) {
        if (!isClientGone(err)) throw err;
      }
      return undefined;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/segments/:key/performance',
    summary: 'Size over time and, once email was sent, opens, clicks, unsubscribes and revenue per recipient',
    tags: ['segments'],
    roles: ['admin', 'marketer'],
    request: { params: keyParams, query: z.object({ days: z.coerce.number().int().min(1).max(730).default(90) }) },
    responses: {
      200: { description: 'Performance', schema: performanceSchema },
      404: { description: 'No such segment' },
    },
    handler: async ({ database, params, query }) => {
      const found = await getMemberIndex(database, params.key);
      if (!found.ok) fail(found.error);
      return segmentPerformance(database, { key: params.key, memberPages: found.value }, query.days);
    },
  }),
];
