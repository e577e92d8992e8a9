import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/api/rateLimit.js';

describe('per-key rate limiter', () => {
  it('allows a burst of a sixth of the minute, then refuses with the wait until the next token', () => {
    const limiter = createRateLimiter();
    const t0 = 1_000_000;
    const allowed = Array.from({ length: 12 }, () => limiter.take('a', 60, t0).allowed);
    expect(allowed.filter(Boolean)).toHaveLength(10);
    const refused = limiter.take('a', 60, t0);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 60 });
    expect(refused.retryAfterSec).toBe(1);
    // One token a second at 60/min.
    expect(limiter.take('a', 60, t0 + 999).allowed).toBe(false);
    expect(limiter.take('a', 60, t0 + 1000).allowed).toBe(true);
  });

  it('keeps keys apart, and 0 means unlimited', () => {
    const limiter = createRateLimiter();
    for (let i = 0; i < 2; i++) limiter.take('a', 6, 0);
    expect(limiter.take('a', 6, 0).allowed).toBe(false);
    expect(limiter.take('b', 6, 0).allowed).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(limiter.take('c', 0, 0).allowed).toBe(true);
  });

  it('refills to the burst size, never beyond, after a long pause', () => {
    const limiter = createRateLimiter();
    limiter.take('a', 600, 0);
    const later = 3_600_000;
    const allowed = Array.from({ length: 150 }, () => limiter.take('a', 600, later).allowed).filter(Boolean);
    expect(allowed).toHaveLength(100);
  });
});
