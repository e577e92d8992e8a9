import type { Request, RequestHandler } from 'express';
import { AppError } from './errors.js';

/**
 * Admission control for the routes that store events. Past a few concurrent batches the database
 * gets no faster, only every batch slower: at ~200 concurrent Segment batches a batch took ~7 s,
 * past analytics-node's 10 s timeout, so the client counted stored batches as failed and sent
 * them again (issue #17). Here at most `maxConcurrent` ingest requests run; the others wait in a
 * queue only while their expected wait plus one request's processing fits the response budget, and
 * are refused at once (429 with Retry-After, before their body is read) when it would not. A
 * request that has waited until the budget no longer fits is refused as well. Refused requests
 * store nothing, so the client's resend is the only copy.
 */
export interface IntakeLimits {
  /** Ingest requests processed at once; 0 = no limit. */
  maxConcurrent: number;
  /** Every ingest request is answered within about this long (ms). */
  budgetMs: number;
  /**
   * Requests of queueable routes taken at once while every slot is busy: they are validated and
   * their events queued durably in one write, to be stored and folded in the background (202). 0 = never.
   */
  maxQueueing?: number;
}

export interface IntakeStats {
  /** Requests let through (at once or after waiting) and refused, since start. */
  accepted: number;
  shed: number;
  inFlight: number;
  queued: number;
  /** Requests answered 202 (their events queued durably, stored in the background) since start, and being queued now. */
  deferred: number;
  deferring: number;
  /** Recent average time (ms) from admission to the end of the response. */
  serviceMs: number;
}

/** `queue`: the route validates and queues the events durably instead of storing them now. */
export type Admission =
  { ok: true; queue: boolean; release: () => void } | { ok: false; retryAfterSec: number; reason: string };

interface Waiter {
  admit: () => void;
  timer: NodeJS.Timeout;
}

/** Before any request has finished: a guess a fresh server corrects within a few requests. */
const INITIAL_SERVICE_MS = 250;
/** Weight of the newest service time in the running average. */
const SMOOTHING = 0.2;
/** Longest Retry-After we ask for: analytics-node caps it at 300 s, Shopify retries on its own schedule. */
const MAX_RETRY_AFTER_SEC = 30;

export interface IntakeLimiter {
  /**
   * Resolves when the request may run (call `release` when its response ends) or should be refused.
   * `queueable`: the route can queue its events, and the queue has room for them.
   */
  enter(onAbandon: (cancel: () => void) => void, queueable?: boolean): Promise<Admission>;
  stats(): IntakeStats;
}

/** Requests run at once of one kind, those waiting for one of them, and the recent average time of one. */
interface Pool {
  max: number;
  active: number;
  started: number;
  serviceMs: number;
  waiting: Waiter[];
  queue: boolean;
}

export function createIntakeLimiter(limits: IntakeLimits): IntakeLimiter {
  const processing: Pool = {
    max: limits.maxConcurrent,
    active: 0,
    started: 0,
    serviceMs: INITIAL_SERVICE_MS,
    waiting: [],
    queue: false,
  };
  // Queueing a request is one small write: its own slots, so a backfill is taken while batches are processed.
  const queueing: Pool = {
    max: limits.maxQueueing ?? 0,
    active: 0,
    started: 0,
    serviceMs: INITIAL_SERVICE_MS,
    waiting: [],
    queue: true,
  };
  let shed = 0;

  /** Time until a request joining the pool's waiting line now would start: the line drains `max` at a time. */
  const expectedWaitMs = (pool: Pool) => Math.ceil((pool.waiting.length + 1) / pool.max) * pool.serviceMs;

  /**
   * Retry-After is when the line ahead will have drained, not a slot staggered across the burst:
   * analytics-node pauses all its sends until the latest Retry-After it was given, so a burst of
   * staggered refusals (up to 30 s) left the server idle while the client waited (issue #17).
   */
  function refuse(pool: Pool, reason: string): Admission {
    shed++;
    const retryAfterSec = Math.min(MAX_RETRY_AFTER_SEC, Math.max(1, Math.ceil(expectedWaitMs(pool) / 1000)));
    return { ok: false, retryAfterSec, reason };
  }

  function start(pool: Pool): Admission {
    pool.active++;
    pool.started++;
    const started = performance.now();
    let released = false;
    return {
      ok: true,
      queue: pool.queue,
      release: () => {
        if (released) return;
        released = true;
        pool.active--;
        pool.serviceMs += SMOOTHING * (performance.now() - started - pool.serviceMs);
        const next = pool.waiting.shift();
        if (next) {
          clearTimeout(next.timer);
          next.admit();
        }
      },
    };
  }

  /** Waits for a slot of the pool while the expected wait and the request's own processing fit the budget; refused at once otherwise. */
  function waitFor(pool: Pool, onAbandon: (cancel: () => void) => void): Promise<Admission> {
    const waitMs = limits.budgetMs - pool.serviceMs;
    if (expectedWaitMs(pool) > waitMs)
      return Promise.resolve(
        refuse(
          pool,
          `${pool.active} requests running and ${pool.waiting.length} waiting would take longer than ${limits.budgetMs} ms`,
        ),
      );
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: () => resolve(start(pool)),
        timer: setTimeout(() => {
          pool.waiting.splice(pool.waiting.indexOf(waiter), 1);
          resolve(refuse(pool, `waited ${Math.round(waitMs)} ms without a free slot`));
        }, waitMs),
      };
      pool.waiting.push(waiter);
      // A client that hangs up while waiting gives its place away.
      onAbandon(() => {
        const at = pool.waiting.indexOf(waiter);
        if (at < 0) return;
        pool.waiting.splice(at, 1);
        clearTimeout(waiter.timer);
      });
    });
  }

  return {
    enter(onAbandon, queueable = false) {
      if (processing.max === 0 || processing.active < processing.max) return Promise.resolve(start(processing));
      if (!queueable || queueing.max === 0) return waitFor(processing, onAbandon);
      if (queueing.active < queueing.max) return Promise.resolve(start(queueing));
      return waitFor(queueing, onAbandon);
    },
    stats: () => ({
      accepted: processing.started,
      shed,
      inFlight: processing.active,
      queued: processing.waiting.length + queueing.waiting.length,
      deferred: queueing.started,
      deferring: queueing.active,
      serviceMs: Math.round(processing.serviceMs),
    }),
  };
}

/**
 * The limiter as middleware: ahead of the body parser, so a refused request costs no parsing, and
 * its slot is held until the response has gone out, whatever the route does in between.
 */
export function admitIngest(
  limiter: IntakeLimiter,
  queueable: (req: Request) => boolean = () => false,
): RequestHandler {
  return async (req, res, next) => {
    // A client that hung up before this point (a timeout while its key was checked) takes no
    // slot: the 'close' that frees a slot has already been and will not come again.
    if (res.closed) return;
    const admission = await limiter.enter((cancel) => res.once('close', cancel), queueable(req));
    if (!admission.ok)
      throw new AppError(
        'rate_limited',
        `ingestion is at capacity, nothing was stored; retry in ${admission.retryAfterSec} s (${admission.reason})`,
        { retryAfterSec: admission.retryAfterSec },
        admission.retryAfterSec,
      );
    if (res.closed) return admission.release();
    res.once('close', admission.release);
    res.locals.queueEvents = admission.queue;
    next();
  };
}
