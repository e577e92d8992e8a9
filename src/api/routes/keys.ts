import { z } from 'zod';
import { roles } from '../../db/models/apiKey.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeySummary } from '../apiKeys.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';
import { objectId } from '../validate.js';

const timestamp = z.iso.datetime();

export const apiKeySummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    prefix: z.string().meta({ description: 'The part of the key after `bc_` that identifies it in logs and lists' }),
    rateLimitPerMinute: z
      .number()
      .int()
      .nullable()
      .meta({ description: "This key's request limit per minute; null: the server default; 0: unlimited" }),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable().meta({ description: 'Updated at most once a minute' }),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createApiKeyBody = z
  .object({
    role: z.enum(roles),
    name: z.string().trim().min(1).max(100),
    rateLimitPerMinute: z.number().int().min(0).max(10_000_000).optional().meta({
      description:
        'Requests per minute for this key; omitted: the server default (API_RATE_LIMIT_PER_MINUTE); 0: unlimited',
    }),
  })
  .meta({ id: 'CreateApiKey' });

export const createdApiKeySchema = apiKeySummarySchema
  .extend({
    key: z.string().meta({ description: 'The full key. It is shown only in this response; only its hash is stored.' }),
  })
  .meta({ id: 'CreatedApiKey' });

const toJson = (key: ApiKeySummary) => ({
  ...key,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

export const keyRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/keys',
    summary: 'List API keys (never the keys themselves)',
    tags: ['keys'],
    roles: ['admin'],
    responses: {
      200: {
        description: 'Every key, revoked ones included, newest first',
        schema: z.object({ items: z.array(apiKeySummarySchema) }),
      },
    },
    handler: async ({ database }) => ({ items: (await listApiKeys(database.models)).map(toJson) }),
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys',
    summary: 'Create an API key',
    tags: ['keys'],
    roles: ['admin'],
    request: { body: createApiKeyBody },
    responses: { 201: { description: 'The new key, shown this once', schema: createdApiKeySchema } },
    handler: async ({ body, database, log, apiKey }) => {
      const created = await createApiKey(database.models, body);
      log.info(
        { createdKey: { id: created.id, role: created.role, name: created.name }, by: apiKey?.id },
        'API key created',
      );
      return { ...toJson(created), key: created.key };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/v1/keys/:id',
    summary: 'Revoke an API key',
    description: 'Idempotent: revoking a revoked key returns it unchanged.',
    tags: ['keys'],
    roles: ['admin'],
    request: { params: z.object({ id: objectId }) },
    responses: {
      200: { description: 'The revoked key', schema: apiKeySummarySchema },
      404: { description: 'No key with this id' },
    },
    handler: async ({ params, database, log, apiKey }) => {
      const result = await revokeApiKey(database.models, params.id);
      if (!result.ok) throw new AppError('not_found', `no API key ${params.id}`);
      log.info({ revokedKey: params.id, by: apiKey?.id }, 'API key revoked');
      return toJson(result.value);
    },
  }),
];
