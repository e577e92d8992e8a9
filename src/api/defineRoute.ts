import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { z, ZodObject, ZodType } from 'zod';
import type { Database } from '../db/database.js';
import type { Role } from '../db/models/apiKey.js';
import type { ApiKeyPrincipal } from './apiKeys.js';
import { authorize } from './auth.js';
import { openApiRoute, type ResponseSpec } from './openapi.js';
import { validate } from './validate.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

type Parsed<S> = S extends ZodType ? z.output<S> : undefined;

type Responses = Record<number, ResponseSpec>;
type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
/** What a handler may return as its success body: the type of a 2xx response's zod schema (read-only values welcome). */
type SuccessBody<R extends Responses> = {
  [K in keyof R]: K extends 200 | 201 | 202 | 204
    ? R[K]['schema'] extends ZodType
      ? DeepReadonly<z.input<R[K]['schema']>>
      : undefined
    : never;
}[keyof R];

/** What a handler gets: the parsed request, who is calling, and the service's dependencies. */
export interface RouteContext<Body, Query, Params> {
  body: Body;
  query: Query;
  params: Params;
  /** The caller's key; undefined only on public routes. */
  apiKey: ApiKeyPrincipal | undefined;
  database: Database;
  /** Child logger bound to this request's id. */
  log: Logger;
  req: Request;
  res: Response;
}

export interface RouteSpec<
  B extends ZodType | undefined,
  Q extends ZodObject | undefined,
  P extends ZodObject | undefined,
  R extends Responses,
> {
  method: Method;
  /** Express syntax (`/v1/jobs/:id`). Routes under /v1 need a key; routes outside it must be public. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Roles whose keys may call the route, or 'public' for no key at all. */
  roles: readonly Role[] | 'public';
  /** The header whose signature authenticates a public route under /v1 instead of a key (a shop's webhook). */
  signedBy?: string;
  /** A POST that stores nothing (a query with a JSON body): read-only roles may call it. */
  readOnly?: boolean;
  request?: { body?: B; query?: Q; params?: P };
  /** By status; the lowest 2xx is the status of a plain return value. */
  responses: R;
  /**
   * Returns the response body (sent as JSON with the success status), a `Reply` for another
   * status, or nothing after writing the response itself (a CSV stream). Expected failures throw
   * an AppError. The body's type is the success schema's, so the document cannot promise what the
   * handler does not return.
   */
  handler: (
    ctx: RouteContext<Parsed<B>, Parsed<Q>, Parsed<P>>,
  ) => SuccessBody<R> | Reply | void | Promise<SuccessBody<R> | Reply | void>;
}

/** A response with a status other than the route's success status. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export interface RouteDefinition {
  method: Method;
  path: string;
  openapi: RouteConfig;
  handlers(database: Database): RequestHandler[];
}

/**
 * One route, described once: the zod schemas validate the request, type the handler's context
 * and document the operation. Mistakes in the description (a write open to marketers, a public
 * route under /v1) throw here, when the route module is imported.
 */
export function defineRoute<
  B extends ZodType | undefined = undefined,
  Q extends ZodObject | undefined = undefined,
  P extends ZodObject | undefined = undefined,
  const R extends Responses = Responses,
>(spec: RouteSpec<B, Q, P, R>): RouteDefinition {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  const guarded = spec.roles !== 'public';
  if ((guarded || Boolean(spec.signedBy)) !== spec.path.startsWith('/v1/') || (guarded && spec.signedBy))
    throw new Error(`${where}: routes under /v1 need roles or a signature, and only they may have them`);
  if (guarded && spec.roles.length === 0) throw new Error(`${where}: no role may call this route`);
  const successStatus = Math.min(
    ...Object.keys(spec.responses)
      .map(Number)
      .filter((s) => s >= 200 && s < 300),
  );
  if (!Number.isFinite(successStatus)) throw new Error(`${where}: responses need a 2xx entry`);

  const request = spec.request ?? {};
  const before: RequestHandler[] = [];
  if (spec.roles !== 'public') before.push(authorize(spec.roles, spec.method, spec.readOnly));
  if (request.body || request.query || request.params) before.push(validate(request));

  return {
    method: spec.method,
    path: spec.path,
    openapi: openApiRoute({ ...spec, request }),
    handlers: (database) => [
      ...before,
      async (req, res) => {
        const result = await spec.handler({
          // Parts without a schema were not validated, so the handler does not see them.
          body: (request.body ? req.body : undefined) as Parsed<B>,
          query: (request.query ? req.query : undefined) as Parsed<Q>,
          params: (request.params ? req.params : undefined) as Parsed<P>,
          apiKey: res.locals.apiKey,
          database,
          log: req.log,
          req,
          res,
        });
        if (res.headersSent) return;
        const [status, body] = result instanceof Reply ? [result.status, result.body] : [successStatus, result];
        if (body === undefined) res.status(status).end();
        else res.status(status).json(body);
      },
    ],
  };
}

/** Registers each route in the OpenAPI registry and mounts its handler chain on the router. */
export function mountRoutes(
  router: Router,
  registry: OpenAPIRegistry,
  routes: readonly RouteDefinition[],
  database: Database,
): void {
  for (const route of routes) {
    registry.registerPath(route.openapi);
    router[route.method](route.path, ...route.handlers(database));
  }
}
