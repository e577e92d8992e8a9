/** The server's error code for a write whose unique key is taken (MongoDB and FerretDB alike). */
const DUPLICATE_KEY = 11000;

/** Whether `err` says a unique key was taken. */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === DUPLICATE_KEY;
}

/** Whether every write that failed (one, or each of a bulk write's) failed only because its key was taken. */
export function isDuplicateKeyOnly(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code: number }[] | { code: number } };
  if (e.writeErrors === undefined) return isDuplicateKey(e);
  return (Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors]).every(isDuplicateKey);
}
