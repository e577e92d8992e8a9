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
  'MongoPoolClosedError',
  'MongoServerClosedError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoWaitQueueTimeoutError',
]);

/**
 * Server answers that mean "not now" rather than "no": host unreachable or not found, network
 * timeout, shutdown in progress or interrupted by it, not primary / stepped down, socket error.
 */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * A socket to the server that broke, as Node reports it: a write racing the server's death can
 * reach the caller unwrapped ("This socket has been ended by the other party", EPIPE) instead of
 * as a MongoNetworkError (a 500 on /v1/events in some runs of the outage test).
 */
const BROKEN_SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED']);

/** Mongoose queues commands while disconnected and fails them with this message when the wait runs out. */
const BUFFERING_TIMEOUT = /buffering timed out/;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = wrapped(e), depth++) {
    if (UNAVAILABLE_NAMES.has(e.name)) return true;
    if (e.name === 'MongoServerError' && UNAVAILABLE_CODES.has((e as { code?: unknown }).code as number)) return true;
    if (e.name === 'MongooseError' && BUFFERING_TIMEOUT.test(e.message)) return true;
    if (BROKEN_SOCKET_CODES.has((e as NodeJS.ErrnoException).code ?? '')) return true;
  }
  return false;
}

/**
 * The error inside: its `cause`, or for the driver's own wrappers (a bulk write that lost its
 * connection is a MongoBulkWriteError named after no network error) the error it was made from.
 */
const wrapped = (e: Error): unknown => e.cause ?? (e as { errorResponse?: unknown }).errorResponse;
