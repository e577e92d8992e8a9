/**
 * Reading fields of third-party payloads (Segment, Shopify) that should hold a scalar. Objects and
 * arrays read as absent: as text they mean nothing ("[object Object]"), and turning a nested array
 * into text recurses through it (a 1 MB body of `[[[…]]]` overflows the stack), so a payload with
 * one in an id field fails validation as missing that field instead.
 */
export function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** A number, or a string holding one (Shopify sends prices as "12.50"). */
export function scalarNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isNaN(n) ? undefined : n;
}

/** The objects of a list in a payload; anything else in it (null, a string) carries nothing to read. */
export function objectsOf(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x))
    : [];
}
