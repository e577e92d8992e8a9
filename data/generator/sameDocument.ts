/**
 * Structural equality of a stored document and a freshly generated one. Servers may return keys
 * in another order, so keys are compared as sets; dates and ObjectIds compare by value.
 */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Text of a document with keys sorted: equal text means equal documents, wherever they came from. */
export function canonical(value: unknown): string {
  if (value instanceof Date) return `D${value.toISOString()}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    if ((value as { _bsontype?: string })._bsontype === 'ObjectId') return `O${String(value)}`;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
