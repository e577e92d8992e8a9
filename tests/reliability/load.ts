import { Analytics } from '@segment/analytics-node';
import { quantile } from '../../src/features/read.js';
import type { Database } from '../../src/db/database.js';

/**
 * Load scenarios for the reliability suite (issue #8, items 1 and 2), shared by the CI test
 * (seconds) and its stress variant (a minute). Every loop is bounded twice: by a deadline and by a
 * request count, so a server that answers instantly (say, with errors) cannot spin forever.
 * Clients run in the test process against a real HTTP server on loopback.
 */

export interface Bounds {
  durationMs: number;
  /** Per client: a cap on requests (ingest, reads) or messages (Segment). */
  maxPerClient: number;
  /** A request unanswered this long counts as failed (default 30 s). */
  timeoutMs?: number;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function latency(ms: number[]): Latency {
  const sorted = Float64Array.from(ms).sort();
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? NaN),
  };
}

/** Counts of HTTP statuses by code; `timeout` and `network` for requests that got no answer. */
export type StatusCounts = Record<string, number>;
const bump = (counts: StatusCounts, key: number | string) => void (counts[key] = (counts[key] ?? 0) + 1);
export const serverErrors = (counts: StatusCounts) =>
  Object.entries(counts).reduce((n, [k, v]) => n + (Number(k) >= 500 || k === 'network' || k === 'timeout' ? v : 0), 0);

/** No request may hang a scenario: one unanswered this long counts as failed. */
const DEFAULT_TIMEOUT_MS = 30_000;
const failure = (err: unknown) => ((err as Error).name === 'TimeoutError' ? 'timeout' : 'network');

export const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LoadEvent {
  eventId: string;
  type: string;
  customerId: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

function makeEvent(eventId: string, customers: readonly string[]): LoadEvent {
  const customerId = pick(customers);
  const timestamp = new Date(Date.now() - Math.floor(Math.random() * 86_400_000)).toISOString();
  const productId = `p-${Math.floor(Math.random() * 200)}`;
  return Math.random() < 0.3
    ? {
        eventId,
        type: 'cart_item_added',
        customerId,
        timestamp,
        properties: { cartId: `cart-${customerId}`, productId, price: 20, quantity: 1 },
      }
    : {
        eventId,
        type: 'product_viewed',
        customerId,
        timestamp,
        properties: { productId, price: 5 + Math.floor(Math.random() * 100) },
      };
}

export interface IngestOptions extends Bounds {
  url: string;
  key: string;
  clients: number;
  /** Customers the events belong to (a seeded shop's, so reads see the new events). */
  customers: readonly string[];
  /** Starts every eventId of this run, to tell its events from the shop's. */
  prefix: string;
  minBatch?: number;
  maxBatch?: number;
}

export interface IngestFigures {
  clients: number;
  elapsedMs: number;
  requests: number;
  /**
   * Batches by kind: new events only; an accepted batch sent again whole; half accepted, half
   * new; new events sent twice at the same moment (a client timing out and retrying while the
   * first request still runs).
   */
  batches: { fresh: number; retry: number; mixed: number; twin: number };
  /** Events in request bodies, resends included. */
  eventsSent: number;
  /** Distinct eventIds the server answered 200 for. */
  accepted: Set<string>;
  /** Sums of the server's own summaries. */
  reportedStored: number;
  reportedDuplicates: number;
  /** What retried batches stored: must be 0. */
  retryStored: number;
  /** How far what was stored differs from the new events sent (must be 0): mixed batches; both copies of a twin together. */
  mismatch: { mixed: number; twin: number };
  /** Requests sent again after a failure (no answer or 5xx); each batch gives up after a few. */
  resentAfterFailure: number;
  status: StatusCounts;
  latency: Latency;
}

/**
 * N clients POST batches to /v1/events until the deadline, in a cycle of six: new events, an
 * accepted batch sent again whole (a client retrying after a lost answer), half accepted and half
 * new events, new events sent twice at once (a retry racing the original), new events twice more.
 * A failed request is sent again with the same eventIds, as a client would, a few times at most.
 */
export async function runIngestLoad(o: IngestOptions): Promise<IngestFigures> {
  const f: IngestFigures = {
    clients: o.clients,
    elapsedMs: 0,
    requests: 0,
    batches: { fresh: 0, retry: 0, mixed: 0, twin: 0 },
    eventsSent: 0,
    accepted: new Set(),
    reportedStored: 0,
    reportedDuplicates: 0,
    retryStored: 0,
    mismatch: { mixed: 0, twin: 0 },
    resentAfterFailure: 0,
    status: {},
    latency: latency([]),
  };
  const times: number[] = [];
  const minBatch = o.minBatch ?? 50;
  const maxBatch = o.maxBatch ?? 200;
  const started = performance.now();
  const deadline = started + o.durationMs;

  /** One POST; null when the request got no usable answer. */
  const post = async (
    events: LoadEvent[],
  ): Promise<{ stored: number; duplicates: number; eventIds: (string | null)[] } | null> => {
    const t0 = performance.now();
    f.requests++;
    f.eventsSent += events.length;
    try {
      const res = await fetch(`${o.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(events),
        signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const body = await res.text();
      times.push(performance.now() - t0);
      bump(f.status, res.status);
      return res.status === 200
        ? (JSON.parse(body) as { stored: number; duplicates: number; eventIds: string[] })
        : null;
    } catch (err) {
      bump(f.status, failure(err));
      return null;
    }
  };

  /** Sends until answered (a few tries); `firstTry` says whether the answer judges the batch exactly. */
  const send = async (batch: LoadEvent[]) => {
    let result = await post(batch);
    let attempt = 1;
    for (; !result && attempt < 4 && performance.now() < deadline + 10_000; attempt++) {
      f.resentAfterFailure++;
      await sleep(100 * 2 ** attempt);
      result = await post(batch);
    }
    if (!result) return null;
    for (const id of result.eventIds) if (id) f.accepted.add(id);
    f.reportedStored += result.stored;
    f.reportedDuplicates += result.duplicates;
    // After a failed try the server may already hold part of the batch: only clean answers are judged.
    return { stored: result.stored, firstTry: attempt === 1 };
  };

  const client = async (c: number) => {
    const sent: LoadEvent[][] = [];
    for (let n = 0; n < o.maxPerClient && performance.now() < deadline; n++) {
      // Resends early in the pattern: under heavy read load a client may send only three batches in a 5-second run.
      const kind = n % 6 === 1 ? 'retry' : n % 6 === 2 ? 'mixed' : n % 6 === 3 ? 'twin' : 'fresh';
      const size = minBatch + Math.floor(Math.random() * (maxBatch - minBatch + 1));
      const fresh = (count: number) =>
        Array.from({ length: count }, (_, i) => makeEvent(`${o.prefix}-${c}-${n}-${i}`, o.customers));
      f.batches[kind]++;
      if (kind === 'retry') {
        const r = await send(pick(sent));
        if (r) f.retryStored += r.stored;
      } else if (kind === 'mixed') {
        const earlier = pick(sent).slice(0, Math.floor(size / 2));
        const batch = [...earlier, ...fresh(size - earlier.length)];
        const r = await send(batch);
        if (r?.firstTry) f.mismatch.mixed += Math.abs(r.stored - (batch.length - earlier.length));
      } else if (kind === 'twin') {
        const batch = fresh(size);
        const [a, b] = await Promise.all([send(batch), send(batch)]);
        if (a?.firstTry && b?.firstTry) f.mismatch.twin += Math.abs(a.stored + b.stored - batch.length);
        if (a || b) sent.push(batch);
      } else {
        const batch = fresh(size);
        if (await send(batch)) sent.push(batch);
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  f.elapsedMs = performance.now() - started;
  f.latency = latency(times);
  return f;
}

export interface StoredCheck {
  /** Stored events of the run (eventId starting with the prefix), counted one by one. */
  stored: number;
  missing: number;
  duplicated: number;
  /** Stored, but never acknowledged to a client. */
  unacknowledged: number;
}

/**
 * Counts the run's stored events by eventId with a full pass over the collection (no reliance on
 * the unique index the count is meant to check), and compares them with what clients were told.
 */
export async function checkStored(
  database: Database,
  prefix: string,
  accepted: ReadonlySet<string>,
): Promise<StoredCheck> {
  const counts = new Map<string, number>();
  for await (const doc of database.models.Event.collection.find(
    {},
    { projection: { _id: 0, eventId: 1 }, batchSize: 5000 },
  )) {
    const id = doc.eventId as string;
    if (id.startsWith(prefix)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let stored = 0;
  let duplicated = 0;
  let unacknowledged = 0;
  for (const [id, n] of counts) {
    stored += n;
    if (n > 1) duplicated++;
    if (!accepted.has(id)) unacknowledged++;
  }
  let missing = 0;
  for (const id of accepted) if (!counts.has(id)) missing++;
  return { stored, missing, duplicated, unacknowledged };
}

export interface SegmentOptions extends Bounds {
  url: string;
  key: string;
  clients: number;
  customers: readonly string[];
  prefix: string;
}

export interface SegmentFigures {
  clients: number;
  elapsedMs: number;
  /** Messages handed to the libraries, resends included; distinct messageIds among them. */
  messagesSent: number;
  /** Distinct messageIds, and how many of them the libraries reported delivered. */
  messageIds: Set<string>;
  delivered: Set<string>;
  /** Messages sent a second time under an id already used (by another client instance). */
  resent: number;
  failed: number;
  batches: StatusCounts;
  /** From `track()` to the library's callback: queueing, batching and the HTTP round trip. */
  delivery: Latency;
}

/**
 * Several unmodified `@segment/analytics-node` clients track events concurrently through
 * /v1/segment/batch; every 10th message reuses a messageId another instance already sent, as a
 * store's retry or a double-fired tag would. Each client keeps at most a few hundred messages in
 * flight (waiting on the library's callbacks), then all are flushed.
 */
export async function runSegmentLoad(o: SegmentOptions): Promise<SegmentFigures> {
  const f: SegmentFigures = {
    clients: o.clients,
    elapsedMs: 0,
    messagesSent: 0,
    messageIds: new Set(),
    delivered: new Set(),
    resent: 0,
    failed: 0,
    batches: {},
    delivery: latency([]),
  };
  const times: number[] = [];
  const issued: string[] = [];
  const started = performance.now();
  const deadline = started + o.durationMs;
  const IN_FLIGHT = 300;

  const client = async (c: number) => {
    const analytics = new Analytics({
      writeKey: o.key,
      host: o.url,
      path: '/v1/segment/batch',
      flushAt: 100,
      flushInterval: 100,
      maxRetries: 3,
      httpRequestTimeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    // The library's event carries the status but echoes the request body, not ours: stored counts come from the database.
    analytics.on('http_response', (r) => bump(f.batches, r.status));
    let inFlight = 0;
    let wake: (() => void) | undefined;
    for (let n = 0; n < o.maxPerClient && performance.now() < deadline; n++) {
      const reuse = n % 10 === 9 && issued.length > 0;
      const messageId = reuse ? pick(issued) : `${o.prefix}-${c}-${n}`;
      if (reuse) f.resent++;
      else issued.push(messageId);
      f.messageIds.add(messageId);
      f.messagesSent++;
      inFlight++;
      const t0 = performance.now();
      analytics.track(
        {
          userId: pick(o.customers),
          event: 'Product Viewed',
          messageId,
          properties: { product_id: `sku-${n % 300}`, price: 19.5 },
        },
        (err) => {
          inFlight--;
          times.push(performance.now() - t0);
          if (err) f.failed++;
          else f.delivered.add(messageId);
          wake?.();
        },
      );
      // Woken by a callback, or after a second at most: the wait stays bounded even if callbacks stop.
      while (inFlight >= IN_FLIGHT && performance.now() < deadline)
        await Promise.race([new Promise<void>((r) => (wake = r)), sleep(1000)]);
      // track() only queues; yield now and then so the library's timers and sockets get a turn.
      if (n % 50 === 49) await sleep(0);
    }
    await analytics.closeAndFlush({ timeout: 30_000 });
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  f.elapsedMs = performance.now() - started;
  f.delivery = latency(times);
  return f;
}

export interface ReadTarget {
  endpoint: string;
  path: string;
}

export interface ReadOptions extends Omit<Bounds, 'durationMs'> {
  url: string;
  key: string;
  clients: number;
  /** Reads go on while this is false (and the per-client cap holds). */
  done: () => boolean;
  next: () => ReadTarget;
}

export interface EndpointFigures {
  requests: number;
  status: StatusCounts;
  latency: Latency;
}

/**
 * N clients GET what `next()` names, back to back, until `done()`. A members page that has a
 * `nextCursor` is followed once, as a client paging through a segment would.
 */
export async function runReadLoad(o: ReadOptions): Promise<Record<string, EndpointFigures>> {
  const raw = new Map<string, { times: number[]; status: StatusCounts }>();
  const get = async (target: ReadTarget): Promise<unknown> => {
    let entry = raw.get(target.endpoint);
    if (!entry) raw.set(target.endpoint, (entry = { times: [], status: {} }));
    const t0 = performance.now();
    try {
      const res = await fetch(`${o.url}${target.path}`, {
        headers: { authorization: `Bearer ${o.key}` },
        signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const body = await res.text();
      entry.times.push(performance.now() - t0);
      bump(entry.status, res.status);
      return res.status === 200 ? JSON.parse(body) : undefined;
    } catch (err) {
      bump(entry.status, failure(err));
      return undefined;
    }
  };
  const client = async () => {
    for (let n = 0; n < o.maxPerClient && !o.done(); n++) {
      const target = o.next();
      const body = (await get(target)) as { nextCursor?: string | null } | undefined;
      if (body?.nextCursor && !o.done()) {
        const sep = target.path.includes('?') ? '&' : '?';
        await get({
          endpoint: target.endpoint,
          path: `${target.path}${sep}cursor=${encodeURIComponent(body.nextCursor)}`,
        });
        n++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  return Object.fromEntries(
    [...raw].map(([endpoint, e]) => [
      endpoint,
      {
        requests: e.times.length + (e.status.network ?? 0) + (e.status.timeout ?? 0),
        status: e.status,
        latency: latency(e.times),
      },
    ]),
  );
}
