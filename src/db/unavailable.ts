/**
 * Errors that mean "the database cannot be reached right now", as opposed to a bad query or a bug:
 * the API answers them with 503 and jobs retry them. Matched by name along the `cause` chain
 * because mongoose may carry its own copy of the driver (so `instanceof` is not reliable) and
 * wraps driver errors in its own.
 */
const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
]);

/** Mongoose queues commands while disconnected and fails them with this message when the wait runs out. */
const BUFFERING_TIMEOUT = /buffering timed out/;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (UNAVAILABLE_NAMES.has(e.name)) return true;
    if (e.name === 'MongooseError' && BUFFERING_TIMEOUT.test(e.message)) return true;
  }
  return false;
}
