import { z } from 'zod';
import { mergeCustomers, type MergeError } from '../../customers/merge/mergeCustomers.js';
import { mergesOf, mergeView, mergeViewSchema } from '../../customers/merge/mergeView.js';
import { undoMerge, type UndoError } from '../../customers/merge/undoMerge.js';
import type { ApiKeyPrincipal } from '../apiKeys.js';
import { defineRoute } from '../defineRoute.js';
import { AppError, type ErrorType } from '../errors.js';

const customerId = z.string().trim().min(1).max(200);
const mergeBody = z
  .object({
    merged: customerId.meta({ description: 'The id that goes: its history moves to the survivor' }),
    survivor: customerId.meta({ description: 'The id the person keeps' }),
  })
  .meta({ id: 'CreateCustomerMerge' });

const actorOf = (apiKey: ApiKeyPrincipal | undefined) => `api_key:${apiKey!.id}`;

const mergeStatus: Record<MergeError['type'], ErrorType> = {
  self: 'bad_request',
  loop: 'conflict',
  already_merged: 'conflict',
  abandoned: 'conflict',
  unknown_customer: 'not_found',
};
const undoStatus: Record<UndoError['type'], ErrorType> = {
  not_found: 'not_found',
  not_undoable: 'conflict',
  expired: 'conflict',
  later_merge: 'conflict',
};

export const mergeRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/merges',
    summary: 'Merge two customer ids that are one person (docs/customer-merge.md)',
    description:
      'Events, features, enrolments, consent (the strictest wins) and messages of `merged` move to `survivor`; both ids are first resolved through earlier merges. Refused with nothing merged: an id with itself, a merge that would loop or repeat, an unknown or erased id.',
    tags: ['customers'],
    roles: ['admin'],
    request: { body: mergeBody },
    responses: {
      201: { description: 'Merged', schema: mergeViewSchema },
      400: { description: 'An id merged with itself' },
      404: { description: 'An id is not known (never seen, or erased)' },
      409: { description: 'Already merged, or the merge would loop' },
    },
    handler: async ({ database, body, apiKey }) => {
      const result = await mergeCustomers(database, { ...body, reason: 'manual', by: actorOf(apiKey) });
      if (!result.ok) throw new AppError(mergeStatus[result.error.type], result.error.message, result.error);
      return mergeView(result.value);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/merges',
    summary: 'The merges naming a customer, as survivor or merged id, newest first',
    tags: ['customers'],
    roles: ['admin', 'marketer'],
    request: { query: z.object({ customerId }) },
    responses: { 200: { description: 'Merges', schema: z.object({ merges: z.array(mergeViewSchema) }) } },
    handler: async ({ database, query }) => ({ merges: await mergesOf(database, query.customerId) }),
  }),
  defineRoute({
    method: 'post',
    path: '/v1/merges/:id/undo',
    summary: 'Undo a merge within the undo window: the two ids get their separate histories back',
    tags: ['customers'],
    roles: ['admin'],
    request: { params: z.object({ id: z.string().min(1).max(100) }) },
    responses: {
      200: { description: 'Undone', schema: mergeViewSchema },
      404: { description: 'No such merge (or erased with the person)' },
      409: { description: 'Not done, past the undo window, or its survivor was merged on since' },
    },
    handler: async ({ database, params, apiKey }) => {
      const result = await undoMerge(database, params.id, actorOf(apiKey));
      if (!result.ok) throw new AppError(undoStatus[result.error.type], result.error.message, result.error);
      return mergeView(result.value);
    },
  }),
];
