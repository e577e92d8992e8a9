import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../db/unavailable.js';

/** Every error the API answers with, and its HTTP status: the one place the two are tied. */
export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

/** Seconds a client should wait before trying again after a 503: about one driver reconnect cycle. */
const UNAVAILABLE_RETRY_AFTER_SEC = 5;

export type ErrorType = keyof typeof errorStatus;

/** An expected failure on its way to the client; route shells throw it, the error handler answers. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly type: ErrorType,
    message: string,
    readonly details: unknown = null,
    /** Sent as `Retry-After` (429, 503). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }

  get status(): number {
    return errorStatus[this.type];
  }
}

/** The body of every error response; also the OpenAPI `Error` component. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorType, ...ErrorType[]]),
      message: z.string(),
      details: z.unknown().meta({
        description:
          'Structured context, e.g. `{ issues: [{ path, message }] }` for validation_failed; null when there is none',
      }),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Shape of the errors body-parser (via http-errors) raises. */
interface HttpError extends Error {
  status: number;
  expose: boolean;
  type?: string;
  limit?: number;
}

function isHttpError(err: unknown): err is HttpError {
  return (
    err instanceof Error &&
    typeof (err as Partial<HttpError>).status === 'number' &&
    typeof (err as Partial<HttpError>).expose === 'boolean'
  );
}

/** Anything thrown becomes an AppError; what we do not recognise is a bug and becomes `internal`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // The router decodes path parameters and throws this (with a 400 not marked safe to expose) on bad percent-encoding.
  if (err instanceof URIError) return new AppError('bad_request', 'the URL path is not valid percent-encoding');
  // Not our bug and not the caller's: the database is down or restarting. Say so, and when to retry.
  if (isDatabaseUnavailable(err))
    return new AppError(
      'unavailable',
      'the database is not reachable right now; retry shortly',
      null,
      UNAVAILABLE_RETRY_AFTER_SEC,
    );
  if (isHttpError(err) && err.expose && err.status < 500) {
    switch (err.type) {
      case 'entity.parse.failed':
        return new AppError('invalid_json', 'request body is not valid JSON', { reason: err.message });
      case 'entity.too.large':
        return new AppError('payload_too_large', `request body is larger than the limit of ${err.limit} bytes`, {
          limitBytes: err.limit,
        });
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new AppError('unsupported_media_type', err.message);
      default:
        return new AppError('bad_request', err.message);
    }
  }
  return new AppError('internal', 'internal server error');
}

export const notFound: RequestHandler = (req) => {
  throw new AppError('not_found', `no route for ${req.method} ${req.path}`);
};

export const errorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  // A response already under way (a stream that failed midway) can only be cut off.
  if (res.headersSent) return next(err);
  const appError = toAppError(err);
  // pino-http logs `res.err` with the request's completion line, so a bug is logged once, with its stack.
  if (appError.type === 'internal') res.err = err instanceof Error ? err : new Error(String(err));
  if (appError.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="breadcrumb"');
  if (appError.retryAfterSec !== undefined)
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(appError.retryAfterSec))));
  // The driver's reason (which host, which timeout) stays in the log, not in the public answer.
  if (appError.type === 'unavailable') res.err = err instanceof Error ? err : new Error(String(err));
  const body: ErrorBody = { error: { code: appError.type, message: appError.message, details: appError.details } };
  res.status(appError.status).json(body);
};
