import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { log as rootLog } from '../log.js';
import { authenticate } from './auth.js';
import { mountRoutes, type RouteDefinition } from './defineRoute.js';
import { AppError, errorHandler, notFound } from './errors.js';
import { queueHasRoom } from '../ingest/timeline/intakeQueue.js';
import { admitIngest, createIntakeLimiter, type IntakeLimiter } from './intakeLimiter.js';
import { createOpenApiRegistry, generateOpenApiDocument } from './openapi.js';
import { routes as allRoutes } from './routes/index.js';
import { documentEmailLinks, emailLinksRouter } from './routes/emailLinks.js';
import { webhookRoutes } from './routes/webhooks.js';
import { dashboardRouter } from './dashboard/router.js';
import { documentGa4, GA4_COLLECT_PATH, ga4Router } from './routes/ga4Collect.js';

export interface BuildAppOptions {
  database: Database;
  log?: Logger;
  /** The API's routes by default; tests add their own. */
  routes?: readonly RouteDefinition[];
  /** Admission control of the ingest routes; by default from INGEST_MAX_CONCURRENT and INGEST_RESPONSE_BUDGET_MS. */
  intake?: IntakeLimiter;
}

declare global {
  namespace Express {
    interface Locals {
      /** The app's ingest admission control: `/health` reports its counters. */
      intake?: IntakeLimiter;
    }
  }
}

/** Routes that store events; the shop webhooks are admitted ahead of their own routes. */
const INGEST_PATHS = ['/v1/events', '/v1/segment/:type', '/v1/signups', GA4_COLLECT_PATH];
/** Ingest routes that queue their events while every slot is busy (see src/ingest/timeline/intakeQueue.ts). */
const QUEUEABLE_PATHS = new Set(['/v1/events', '/v1/segment/batch', GA4_COLLECT_PATH]);

/** GA4's Measurement Protocol carries its secret in the URL: logged masked. */
const maskSecrets = (url: string) => url.replace(/([?&]api_secret=)[^&#]*/gi, '$1***');

/** Short printable ids only: the value is echoed in a header and written to every log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

const weatherTextTypes = ['text/csv', 'application/x-ndjson', 'application/ndjson'];

/**
 * A body of another type (text/plain, a form, multipart) is refused as such (415), instead of
 * going unparsed and failing validation as a missing body: the client sent the wrong kind of body.
 */
const jsonBodiesOnly: RequestHandler = (req, _res, next) => {
  // The weather table also comes as CSV or NDJSON; its route parses those itself.
  if (req.method === 'POST' && req.path === '/weather' && req.is(weatherTextTypes)) return next();
  // req.is: null without a body, false for a body that is not JSON. `Content-Length: 0` counts
  // as a body there, but fetch sends it on every bodiless POST.
  if (req.get('content-length') !== '0' && req.is('application/json') === false)
    throw new AppError(
      'unsupported_media_type',
      `send the body as application/json (Content-Type was ${req.get('content-type') ?? 'missing'})`,
    );
  next();
};

/**
 * The JSON parser would decode invalid UTF-8 into U+FFFD and store the replacement characters:
 * refuse such a body (body-parser passes our status and type on; toAppError answers bad_request).
 */
function requireUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding === 'utf-8' && !isUtf8(body))
    throw Object.assign(new Error('request body is not valid UTF-8'), {
      status: 400,
      expose: true,
      type: 'encoding.invalid',
    });
}

/** The HTTP API as an express app, not listening: `startHttpServer` serves it, tests call it directly. */
export function buildApp({
  database,
  log = rootLog,
  routes = allRoutes,
  intake = createIntakeLimiter({
    maxConcurrent: config().INGEST_MAX_CONCURRENT,
    budgetMs: config().INGEST_RESPONSE_BUDGET_MS,
    maxQueueing: config().INGEST_MAX_QUEUEING,
  }),
}: BuildAppOptions): express.Express {
  const app = express();
  app.locals.intake = intake;
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: log,
      genReqId: requestId,
      // Which key made each request: the audit trail of who read and wrote what.
      customProps: (_req, res) => {
        const key = (res as express.Response).locals?.apiKey;
        return key ? { apiKeyId: key.id, role: key.role } : {};
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // Request headers carry API keys and cookies, response headers are the same on every line:
      // log what identifies the exchange, nothing more.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: maskSecrets(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  const registry = createOpenApiRegistry();
  let document: ReturnType<typeof generateOpenApiDocument> | undefined;
  app.get('/openapi.json', (_req, res) => {
    document ??= generateOpenApiDocument(registry);
    res.json(document);
  });

  // Signed by the shop platform instead of carrying a key, and needing the raw body: ahead of both.
  app.post(
    webhookRoutes.map((r) => r.path),
    admitIngest(intake),
  );
  mountRoutes(app, registry, webhookRoutes, database);
  // Links in our mail (pixel, clicks, unsubscribe, confirmation) carry signed tokens, not keys.
  app.use(emailLinksRouter(database));
  documentEmailLinks(registry);
  // The dashboard page holds no data (it calls /v1 with the key it asks for): public, outside /v1.
  app.use(dashboardRouter());
  // Before the body parser, so a caller without a key cannot make us read a body.
  // Ahead of the key check, which reads the database too: under a flood the key lookups alone
  // queued for seconds in front of an admission placed after them. Before the body is read.
  app.post(
    INGEST_PATHS,
    admitIngest(intake, (req) => QUEUEABLE_PATHS.has(req.path) && queueHasRoom(database)),
  );
  // GA4's key is in the query and its body is read raw (any content type): ahead of the JSON parser.
  app.use(ga4Router(database));
  documentGa4(registry);
  app.use('/v1', authenticate(database.models));
  app.use('/v1', jsonBodiesOnly);
  app.use(express.json({ limit: config().BODY_LIMIT, verify: requireUtf8 }));
  mountRoutes(app, registry, routes, database);
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
