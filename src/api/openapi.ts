import {
  OpenAPIRegistry,
  OpenApiGeneratorV3,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import type { ZodObject, ZodType } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import type { Role } from '../db/models/apiKey.js';
import { errorBodySchema } from './errors.js';

export const BEARER_SCHEME = 'bearerAuth';

/** A fresh registry per app, so building two apps (as tests do) never registers a path twice. */
export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key, `bc_<prefix>_<secret>`, created with `npx breadcrumb keys create` or `POST /v1/keys`.',
  });
  return registry;
}

export function generateOpenApiDocument(registry: OpenAPIRegistry): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Breadcrumb API',
      version: pkg.version,
      description:
        'Predictive analytics, segments and email flows. Keys have roles: admin, marketer (read-only), ingest (event writes).',
    },
  });
}

/** Express writes `/v1/jobs/:id`; OpenAPI writes `/v1/jobs/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

export interface ResponseSpec {
  description: string;
  /** JSON body; for an error status (>= 400) it defaults to the shared Error shape. */
  schema?: ZodType;
}

export interface OpenApiRouteInput {
  method: RouteConfig['method'];
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  roles: readonly Role[] | 'public';
  signedBy?: string;
  readOnly?: boolean;
  request: { body?: ZodType; query?: ZodObject; params?: ZodObject };
  responses: Record<number, ResponseSpec>;
}

const json = (schema: ZodType) => ({ 'application/json': { schema } });

/** One operation of the document, including the error answers every guarded or validated route can give. */
export function openApiRoute(route: OpenApiRouteInput): RouteConfig {
  const { body, query, params } = route.request;
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const schema = spec.schema ?? (Number(status) >= 400 ? errorBodySchema : undefined);
    responses[status] = { description: spec.description, ...(schema && { content: json(schema) }) };
  }
  if (body || query || params)
    responses['400'] ??= {
      description: 'Invalid request (validation_failed, invalid_json)',
      content: json(errorBodySchema),
    };
  if (route.roles !== 'public') {
    responses['401'] ??= { description: 'Missing, unknown or revoked API key', content: json(errorBodySchema) };
    responses['403'] ??= { description: 'The key’s role may not use this route', content: json(errorBodySchema) };
  }
  // Any route can also be refused before or around its handler (body too large or not JSON, rate
  // limit, database unreachable, a bug): always in the shared Error shape.
  responses['default'] ??= {
    description: 'Any other error: 413, 415, 429 (Retry-After), 500, 503 (Retry-After)',
    content: json(errorBodySchema),
  };
  const access =
    route.roles !== 'public'
      ? `Roles: ${route.roles.join(', ')}.`
      : route.signedBy
        ? `No API key: authenticated by the ${route.signedBy} signature.`
        : 'No API key needed.';
  return {
    method: route.method,
    path: openApiPath(route.path),
    summary: route.summary,
    description: route.description ? `${route.description}\n\n${access}` : access,
    tags: route.tags,
    // `x-roles` (and `x-read-only` on a POST that stores nothing) state who may call in a form
    // tools can read: the access tests walk the document by them, so no route escapes the check.
    ...(route.roles !== 'public' && { security: [{ [BEARER_SCHEME]: [] }], 'x-roles': [...route.roles] }),
    ...(route.readOnly && { 'x-read-only': true }),
    request: {
      ...(body && { body: { required: true, content: json(body) } }),
      ...(query && { query }),
      ...(params && { params }),
    },
    responses,
  };
}
