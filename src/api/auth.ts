import type { Request, RequestHandler } from 'express';
import { config } from '../config.js';
import type { Role } from '../db/models/apiKey.js';
import type { Models } from '../db/models/index.js';
import { verifyApiKey, type ApiKeyPrincipal } from './apiKeys.js';
import { AppError } from './errors.js';
import { createRateLimiter } from './rateLimit.js';

declare global {
  namespace Express {
    interface Locals {
      /** Set by `authenticate` for every request under /v1. */
      apiKey?: ApiKeyPrincipal;
    }
  }
}

const READ_METHODS = new Set(['GET', 'HEAD']);

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;

/**
 * The key from `Authorization: Bearer <key>`, or from HTTP Basic with the key as the user name,
 * which is how Segment's libraries send their write key.
 */
function keyFrom(header: string): string | undefined {
  const bearer = BEARER.exec(header);
  if (bearer) return bearer[1];
  const basic = BASIC.exec(header);
  if (!basic) return undefined;
  const user = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
  return user || undefined;
}

const verifyMessages = {
  malformed: 'the API key is not in the form bc_<prefix>_<secret>',
  unknown: 'unknown API key',
  revoked: 'the API key has been revoked',
} as const;

/** Where a request carries its key: the Authorization header, unless a protocol puts it elsewhere. */
export interface KeyLocation {
  keyOf(req: Request): string | undefined;
  /** Said when the key is missing: where to put it. */
  missing: string;
}

export const authorizationHeader: KeyLocation = {
  keyOf: (req) => keyFrom(req.get('authorization') ?? ''),
  missing: 'missing API key: send "Authorization: Bearer <key>"',
};

/**
 * Who is calling: every request it guards must carry a live key (by default `Authorization:
 * Bearer <key>`), within that key's rate limit (its own, or API_RATE_LIMIT_PER_MINUTE).
 */
export function authenticate(models: Models, where: KeyLocation = authorizationHeader): RequestHandler {
  const limiter = createRateLimiter();
  return async (req, res, next) => {
    const key = where.keyOf(req);
    if (!key) throw new AppError('unauthorized', where.missing);
    const result = await verifyApiKey(models, key);
    if (!result.ok) throw new AppError('unauthorized', verifyMessages[result.error.type]);
    const perMinute = result.value.rateLimitPerMinute ?? config().API_RATE_LIMIT_PER_MINUTE;
    const rate = limiter.take(result.value.id, perMinute);
    if (rate.limit > 0) {
      res.setHeader('RateLimit-Limit', String(rate.limit));
      res.setHeader('RateLimit-Policy', `${rate.limit};w=60`);
      res.setHeader('RateLimit-Remaining', String(rate.remaining));
    }
    if (!rate.allowed) {
      throw new AppError(
        'rate_limited',
        `this key may make ${rate.limit} requests a minute; retry in ${rate.retryAfterSec} s`,
        { limitPerMinute: rate.limit },
        rate.retryAfterSec,
      );
    }
    res.locals.apiKey = result.value;
    next();
  };
}

/**
 * Whether the caller may use this route: its key's role must be one the route accepts. Built per
 * route; a route that grants `marketer` a write is a programming error, refused at start-up, which
 * is how "marketer is read-only" holds for every route at once. `readOnly` marks a POST that
 * changes nothing (a query whose input is too rich for a URL, like a segment preview).
 */
export function authorize(roles: readonly Role[], method: string, readOnly = false): RequestHandler {
  if (roles.includes('marketer') && !readOnly && !READ_METHODS.has(method.toUpperCase())) {
    throw new Error(`a ${method.toUpperCase()} route cannot accept the read-only marketer role`);
  }
  return (_req, res, next) => {
    const key = res.locals.apiKey;
    if (!key) throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    if (!roles.includes(key.role)) {
      throw new AppError(
        'forbidden',
        `this route needs a key with role ${roles.join(' or ')}; this key's role is ${key.role}`,
        { role: key.role, accepted: roles },
      );
    }
    next();
  };
}
