import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';

describe('isDatabaseUnavailable', () => {
  it('tells "the database is not reachable now" from a bad query or a bug', () => {
    expect(isDatabaseUnavailable(new MongoNetworkError('connection reset'))).toBe(true);
    expect(
      isDatabaseUnavailable(
        new MongoServerError({ code: 91, errmsg: 'The server is in quiesce mode and will shut down' }),
      ),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('Operation `customers.findOne()` buffering timed out after 5000ms'), {
          name: 'MongooseError',
        }),
      ),
    ).toBe(true);
    // Wrapped by a caller that kept the cause.
    expect(
      isDatabaseUnavailable(new Error('loading features failed', { cause: new MongoNetworkError('socket closed') })),
    ).toBe(true);

    expect(isDatabaseUnavailable(new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key error' }))).toBe(
      false,
    );
    expect(isDatabaseUnavailable(new MongoServerError({ code: 2, errmsg: 'unknown operator: $foo' }))).toBe(false);
    // What insertMany throws when the connection closes mid-batch: the network error is kept as errorResponse.
    const bulk = new MongoBulkWriteError(new MongoNetworkError('connection 2 to 127.0.0.1:1 closed'), {} as never);
    expect(isDatabaseUnavailable(bulk)).toBe(true);
    const duplicates = new MongoBulkWriteError({ message: 'E11000 duplicate key error', code: 11000 }, {} as never);
    expect(isDatabaseUnavailable(duplicates)).toBe(false);
    // Node's own error for a write after the server hung up, when it arrives unwrapped.
    const ended = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(isDatabaseUnavailable(ended)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isDatabaseUnavailable('a string')).toBe(false);
  });
});
