import { z } from 'zod';
import {
  builtInFlowIds,
  createFlow,
  fromFlowDoc,
  loadFlows,
  replaceFlow,
  storedFlowDoc,
} from '../../campaigns/flows/flowStore.js';
import { flowFieldsSchema, flowSchema, type Flow } from '../../campaigns/flows/flowSchema.js';
import type { Database } from '../../db/database.js';
import { defineRoute, Reply } from '../defineRoute.js';
import { AppError } from '../errors.js';

const flowBody = flowSchema.meta({ id: 'Flow' });
const flowOut = flowFieldsSchema.extend({ builtIn: z.boolean() }).meta({ id: 'StoredFlow' });
const idParams = z.object({ id: z.string().regex(/^[a-z0-9_-]{1,60}$/) });

async function storedFlow(database: Database, id: string) {
  const doc = await storedFlowDoc(database, id);
  if (!doc) throw new AppError('not_found', `no flow "${id}"`);
  return doc;
}

export const flowRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/flows',
    summary: 'Campaign flows: triggers, steps, exits, holdout and priority',
    tags: ['campaigns'],
    roles: ['admin', 'marketer'],
    responses: {
      200: {
        description: 'Every flow (the built-ins are installed on first read)',
        schema: z.object({
          items: z.array(flowOut),
          invalid: z.array(z.object({ id: z.string(), error: z.string() })),
        }),
      },
    },
    handler: async ({ database }) => {
      const { flows, invalid } = await loadFlows(database);
      const builtIn = await builtInFlowIds(database);
      return { items: flows.map((f: Flow) => ({ ...f, builtIn: builtIn.has(f.id) })), invalid };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/flows/:id',
    summary: 'One flow',
    tags: ['campaigns'],
    roles: ['admin', 'marketer'],
    request: { params: idParams },
    responses: { 200: { description: 'The flow', schema: flowOut }, 404: { description: 'No such flow' } },
    handler: async ({ params, database }) => {
      const doc = await storedFlow(database, params.id);
      const parsed = fromFlowDoc(doc as Record<string, unknown>);
      if (!parsed.success) throw new AppError('internal', `stored flow "${params.id}" does not validate`);
      return { ...parsed.data, builtIn: doc.builtIn === true };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/flows',
    summary: 'Create a flow',
    description: 'Validated in full (triggers, step order, variants, exits); dispatch picks it up on its next run.',
    tags: ['campaigns'],
    roles: ['admin'],
    request: { body: flowBody },
    responses: {
      201: { description: 'Created', schema: flowOut },
      400: { description: 'Invalid flow, or the id is taken' },
    },
    handler: async ({ body, database, log, apiKey }) => {
      if (!(await createFlow(database, body)))
        throw new AppError('bad_request', `flow "${body.id}" exists: PUT /v1/flows/${body.id} changes it`);
      log.info({ flowId: body.id, by: apiKey?.id }, 'flow created');
      return new Reply(201, { ...body, builtIn: false });
    },
  }),
  defineRoute({
    method: 'put',
    path: '/v1/flows/:id',
    summary: 'Replace a flow (built-ins too: dispatch never overwrites a stored flow)',
    description:
      'Running enrolments continue at their step index with the new steps; set `active: false` to pause a flow.',
    tags: ['campaigns'],
    roles: ['admin'],
    request: { params: idParams, body: flowBody },
    responses: {
      200: { description: 'Replaced', schema: flowOut },
      400: { description: 'Invalid flow, or the body names another id' },
      404: { description: 'No such flow' },
    },
    handler: async ({ params, body, database, log, apiKey }) => {
      if (body.id !== params.id)
        throw new AppError('validation_failed', `body.id "${body.id}" differs from the path's "${params.id}"`, {
          issues: [{ path: 'body.id', message: 'must equal the id in the path' }],
        });
      const current = await storedFlow(database, params.id);
      const doc = await replaceFlow(database, body, current);
      log.info({ flowId: body.id, by: apiKey?.id }, 'flow replaced');
      return { ...body, builtIn: doc.builtIn };
    },
  }),
];
