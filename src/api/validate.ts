import type { RequestHandler } from 'express';
import { z, type ZodType } from 'zod';
import { AppError } from './errors.js';

export interface RequestSchemas {
  body?: ZodType;
  query?: ZodType;
  params?: ZodType;
}

export interface Issue {
  /** Where the problem is, starting with the request part: `body.name`, `query.limit`. */
  path: string;
  message: string;
}

/** A MongoDB ObjectId in its 24-hex-digit text form, as used in `:id` route parameters. */
export const objectId = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hexadecimal id');

/** Deeper than any body we take needs; schemas that allow depth bound it themselves. */
const PROTO_SCAN_DEPTH = 32;

/**
 * Path of an own `__proto__` key in a parsed JSON body. JSON.parse makes it an ordinary key, but
 * the first assignment that copies it (zod copying a loose object's extra keys) turns it into the
 * copy's prototype, so it would vanish or mislead instead of being refused.
 */
function protoKeyPath(value: unknown, path: string[] = []): string[] | undefined {
  if (value === null || typeof value !== 'object' || path.length >= PROTO_SCAN_DEPTH) return undefined;
  if (Object.hasOwn(value, '__proto__')) return [...path, '__proto__'];
  for (const [k, v] of Object.entries(value)) {
    const found = protoKeyPath(v, [...path, k]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Parses params, query and body with their schemas and replaces them with the parsed values
 * (coerced, defaulted, unknown keys stripped), or fails with one `validation_failed` listing
 * every issue in every part.
 */
export function validate(schemas: RequestSchemas): RequestHandler {
  return (req, _res, next) => {
    const issues: Issue[] = [];
    const parsed: { [K in keyof RequestSchemas]?: unknown } = {};
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = schemas[part];
      if (!schema) continue;
      const proto = part === 'body' ? protoKeyPath(req.body) : undefined;
      if (proto) {
        issues.push({ path: ['body', ...proto].join('.'), message: '"__proto__" may not be used as a key' });
        continue;
      }
      const result = schema.safeParse(req[part]);
      if (result.success) parsed[part] = result.data;
      else
        issues.push(
          ...result.error.issues.map((i) => ({ path: [part, ...i.path.map(String)].join('.'), message: i.message })),
        );
    }
    if (issues.length > 0) {
      throw new AppError(
        'validation_failed',
        `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        { issues },
      );
    }
    if ('params' in parsed) req.params = parsed.params as typeof req.params;
    // Express 5 defines `req.query` as a getter that re-parses the URL, so it cannot be assigned.
    if ('query' in parsed)
      Object.defineProperty(req, 'query', {
        value: parsed.query,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    if ('body' in parsed) req.body = parsed.body;
    next();
  };
}
