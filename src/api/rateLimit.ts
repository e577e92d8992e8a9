/**
 * Per-key token buckets: each key may spend `perMinute` requests a minute, in bursts of up to a
 * sixth of that (ten seconds' worth), so a client that paces itself never notices the limit and
 * one that floods is slowed down without locking out the others. In memory: one API process
 * serves all requests (DESIGN.md), and a restart forgiving every bucket is harmless.
 */
export interface RateDecision {
  allowed: boolean;
  /** Requests per minute for this key; 0 = unlimited. */
  limit: number;
  remaining: number;
  /** When refused: seconds until one request is allowed again. */
  retryAfterSec: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const BURST_FRACTION = 1 / 6;
/** Buckets idle this long are full again anyway; dropping them bounds memory to active keys. */
const IDLE_MS = 60_000;

export interface RateLimiter {
  take(keyId: string, perMinute: number, nowMs?: number): RateDecision;
}

export function createRateLimiter(): RateLimiter {
  const buckets = new Map<string, Bucket>();
  let lastSweepMs = 0;

  function sweep(nowMs: number): void {
    if (nowMs - lastSweepMs < IDLE_MS) return;
    lastSweepMs = nowMs;
    for (const [id, bucket] of buckets) if (nowMs - bucket.updatedMs > IDLE_MS) buckets.delete(id);
  }

  return {
    take(keyId, perMinute, nowMs = Date.now()) {
      if (perMinute <= 0) return { allowed: true, limit: 0, remaining: Infinity, retryAfterSec: 0 };
      sweep(nowMs);
      const capacity = Math.max(1, Math.floor(perMinute * BURST_FRACTION));
      const perMs = perMinute / 60_000;
      const bucket = buckets.get(keyId) ?? { tokens: capacity, updatedMs: nowMs };
      bucket.tokens = Math.min(capacity, bucket.tokens + (nowMs - bucket.updatedMs) * perMs);
      bucket.updatedMs = nowMs;
      buckets.set(keyId, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, limit: perMinute, remaining: Math.floor(bucket.tokens), retryAfterSec: 0 };
      }
      return {
        allowed: false,
        limit: perMinute,
        remaining: 0,
        retryAfterSec: Math.ceil((1 - bucket.tokens) / perMs / 1000),
      };
    },
  };
}
