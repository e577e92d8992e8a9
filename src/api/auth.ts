import type { RequestHandler } from 'express';
import type { Role } from '../db/models/apiKey.js';
import type { Models } from '../db/models/index.js';
import { verifyApiKey, type ApiKeyPrincipal } from './apiKeys.js';
import { AppError } from './errors.js';

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

const verifyMessages = {
  malformed: 'the API key is not in the form bc_<prefix>_<secret>',
  unknown: 'unknown API key',
  revoked: 'the API key has been revoked',
} as const;

/** Who is calling: every request it guards must carry `Authorization: Bearer <key>` with a live key. */
export function authenticate(models: Models): RequestHandler {
  return async (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match) throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    const result = await verifyApiKey(models, match[1]!);
    if (!result.ok) throw new AppError('unauthorized', verifyMessages[result.error.type]);
    res.locals.apiKey = result.value;
    next();
  };
}

/**
 * Whether the caller may use this route: its key's role must be one the route accepts. Built per
 * route; a route that grants `marketer` a write is a programming error, refused at start-up, which
 * is how "marketer is read-only" holds for every route at once.
 */
export function authorize(roles: readonly Role[], method: string): RequestHandler {
  if (roles.includes('marketer') && !READ_METHODS.has(method.toUpperCase())) {
    throw new Error(`a ${method.toUpperCase()} route cannot accept the read-only marketer role`);
  }
  return (_req, res, next) => {
    const key = res.locals.apiKey;
    if (!key) throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    if (!roles.includes(key.role)) {
      throw new AppError('forbidden', `this route needs a key with role ${roles.join(' or ')}; this key's role is ${key.role}`, { role: key.role, accepted: roles });
    }
    next();
  };
}
