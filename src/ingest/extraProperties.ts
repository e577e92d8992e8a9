import { findUnstorable, type Unstorable } from './eventSchemas.js';

/**
 * Bounds on the properties a third-party payload carries beyond the ones we translate (a Segment
 * `time_on_page_ms` we map, a `brand` or `variant` we keep as sent). They are stored with the
 * event, so they get the REST endpoint's safety rules (no `$` or `.` in keys, no prototype keys,
 * no array directly in an array) and tighter limits, since nobody reads them field by field: a
 * tracking plan has tens of properties, not thousands, and a property kept for later analysis
 * should not make one event weigh more than a whole order.
 */
export const EXTRA_LIMITS = { keys: 100, depth: 5, bytes: 16_384 } as const;

/** Letters, digits, `_`, `-` and spaces, 1–64 characters: what tracking plans use for names. */
export const extraKeyPattern = /^[A-Za-z0-9_][A-Za-z0-9_ -]{0,63}$/;
const prototypeKeys = new Set(['__proto__', 'constructor', 'prototype']);

function tooDeep(value: unknown, path: (string | number)[], depth: number): Unstorable | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= EXTRA_LIMITS.depth) return { path, reason: `nested more than ${EXTRA_LIMITS.depth} levels deep` };
  for (const [k, v] of Object.entries(value)) {
    const found = tooDeep(v, [...path, Array.isArray(value) ? Number(k) : k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The first way `extras` (kept under `path`) breaks the bounds, or undefined when they may be
 * stored: a key's name, the number of keys, nesting, unsafe keys anywhere inside, total size.
 */
export function checkExtras(extras: Record<string, unknown>, path: string[]): Unstorable | undefined {
  const keys = Object.keys(extras);
  if (keys.length > EXTRA_LIMITS.keys)
    return { path, reason: `more than ${EXTRA_LIMITS.keys} properties beyond the spec's` };
  for (const k of keys) {
    if (!extraKeyPattern.test(k) || prototypeKeys.has(k))
      return {
        path: [...path, k],
        reason: 'a property name is 1–64 letters, digits, "_", "-" or spaces, and not __proto__/constructor/prototype',
      };
    const unsafe = findUnstorable(extras[k], [...path, k]) ?? tooDeep(extras[k], [...path, k], 1);
    if (unsafe) return unsafe;
  }
  const bytes = Buffer.byteLength(JSON.stringify(extras));
  if (bytes > EXTRA_LIMITS.bytes)
    return { path, reason: `properties beyond the spec's take ${bytes} bytes as JSON; at most ${EXTRA_LIMITS.bytes}` };
  return undefined;
}
