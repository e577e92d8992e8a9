import { z } from 'zod';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';
import { jobRunStatuses } from '../../db/models/jobRun.js';
import { getJobRun, listJobRuns } from '../jobRuns.js';
import { objectId } from '../validate.js';

const timestamp = z.iso.datetime();

export const jobRunSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    status: z.enum(jobRunStatuses),
    trigger: z.string(),
    worker: z.string().nullable(),
    options: z.record(z.string(), z.unknown()),
    counts: z.record(z.string(), z.unknown()),
    startedAt: timestamp,
    endedAt: timestamp.nullable(),
    durationMs: z.number().nullable(),
    error: z
      .object({
        type: z.string().nullable(),
        message: z.string().nullable(),
        stack: z.string().nullable().optional().meta({ description: 'Admin keys only' }),
      })
      .nullable(),
    notes: z
      .array(z.string())
      .meta({ description: 'What the job said beyond its counts, e.g. which model file scoring refused and why' }),
    attempts: z.number().int().meta({
      description:
        'Runs of the job, the first included; more than 1 when the database was unreachable and the run was retried',
    }),
    retries: z
      .array(z.object({ at: timestamp, error: z.string(), waitMs: z.number() }))
      .meta({ description: 'Each retry: when the attempt failed, why, and the wait before the next' }),
    parentRunId: z.string().nullable().meta({ description: 'The pipeline run this run was a step of' }),
    steps: z
      .array(
        z.object({
          job: z.string(),
          runId: z.string(),
          status: z.string(),
          durationMs: z.number().nullable(),
          options: z.record(z.string(), z.unknown()),
          counts: z.record(z.string(), z.unknown()),
          error: z.string().nullable(),
        }),
      )
      .meta({ description: 'A pipeline run: the job runs it made, in order (each also listed on its own)' }),
  })
  .meta({ id: 'JobRun' });

export const listJobRunsQuery = z
  .object({
    job: z.string().min(1).max(200).optional(),
    status: z.enum(jobRunStatuses).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().min(1).max(200).optional().meta({ description: '`nextCursor` from the previous page' }),
    offset: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: 'Rows to skip; use cursor to page through runs that are still being added' }),
  })
  .refine((q) => q.cursor === undefined || q.offset === undefined, {
    message: 'use cursor or offset, not both',
    path: ['offset'],
  });

export const jobRunPageSchema = z
  .object({ items: z.array(jobRunSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'JobRunPage' });

export const jobRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/jobs',
    summary: 'Recent job runs, newest first',
    tags: ['jobs'],
    roles: ['admin', 'marketer'],
    request: { query: listJobRunsQuery },
    responses: { 200: { description: 'A page of runs', schema: jobRunPageSchema } },
    handler: async ({ query, database, apiKey }) => {
      const result = await listJobRuns(database, { ...query, includeStack: apiKey?.role === 'admin' });
      if (!result.ok)
        throw new AppError('validation_failed', result.error.message, {
          issues: [{ path: 'query.cursor', message: result.error.message }],
        });
      return result.value;
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/jobs/:id',
    summary: 'One job run',
    tags: ['jobs'],
    roles: ['admin', 'marketer'],
    request: { params: z.object({ id: objectId }) },
    responses: { 200: { description: 'The run', schema: jobRunSchema }, 404: { description: 'No run with this id' } },
    handler: async ({ params, database, apiKey }) => {
      const run = await getJobRun(database, params.id, apiKey?.role === 'admin');
      if (!run) throw new AppError('not_found', `no job run ${params.id}`);
      return run;
    },
  }),
];
