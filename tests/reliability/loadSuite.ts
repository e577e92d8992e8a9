import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import assignSegmentsJob from '../../jobs/assign-segments.js';
import { createApiKey } from '../../src/api/apiKeys.js';
import { buildApp } from '../../src/api/buildApp.js';
import { config } from '../../src/config.js';
import { createIntakeLimiter } from '../../src/api/intakeLimiter.js';
import { startHttpServer, type HttpServer } from '../../src/api/httpServer.js';
import { runJob } from '../../src/jobs/runJob.js';
import { useTestDatabase } from '../helpers/db.js';
import { seedSegmentShop, shopEnd } from '../helpers/segmentShop.js';
import {
  checkStored,
  pick,
  runIngestLoad,
  runReadLoad,
  runSegmentLoad,
  serverErrors,
  type IngestFigures,
  type StatusCounts,
} from './load.js';

export interface LoadSuiteOptions {
  /** How long each load phase runs. */
  durationMs: number;
  /** Per-client caps, the second bound on every loop. */
  maxRequestsPerClient: number;
  maxMessagesPerClient: number;
  /** Customers in the seeded shop. */
  customers: number;
  /** A request unanswered this long fails the scenario. */
  timeoutMs: number;
  /** Label in the printed figures: `ci` or `stress`. */
  label: string;
}

const line = (scenario: string, figures: string) => console.log(`[reliability] ${scenario}: ${figures}`);
const statuses = (s: StatusCounts) =>
  Object.entries(s)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);

function ingestFigures(f: IngestFigures, stored: number): string {
  return (
    `${f.clients} clients ${(f.elapsedMs / 1000).toFixed(1)} s, ${f.requests} requests (${f.batches.fresh} new, ${f.batches.retry} resent, ${f.batches.mixed} half-resent, ${f.batches.twin}×2 sent twice at once), ` +
    `events sent ${f.eventsSent} / accepted ${f.accepted.size} / stored ${stored}, ${perSecond(f.requests, f.elapsedMs)} req/s, ${perSecond(f.accepted.size, f.elapsedMs)} events/s, ` +
    `p50 ${f.latency.p50} ms p99 ${f.latency.p99} ms, status ${statuses(f.status)}`
  );
}

/** Every accepted event stored exactly once, nothing stored that no client was told about, no resend stored twice. */
function expectExactlyOnce(f: IngestFigures, check: Awaited<ReturnType<typeof checkStored>>) {
  expect(serverErrors(f.status)).toBe(0);
  expect(f.accepted.size).toBeGreaterThan(0);
  expect(check).toEqual({ stored: f.accepted.size, missing: 0, duplicated: 0, unacknowledged: 0 });
  expect(f.reportedStored).toBe(f.accepted.size);
  expect(f.retryStored).toBe(0);
  expect(f.mismatch).toEqual({ mixed: 0, twin: 0 });
}

/**
 * Issue #8, load: ingestion by 8 HTTP clients, ingestion through the Segment library, and API
 * reads by 50 clients while ingestion runs, against a real server over a seeded shop. The CI test
 * and the stress test call this with different durations.
 */
export function defineLoadSuite(o: LoadSuiteOptions): void {
  const database = useTestDatabase();
  let server: HttpServer;
  const keys = { ingest: '', marketer: '' };
  let customers: string[] = [];
  let segments: string[] = [];

  beforeAll(async () => {
    const db = database();
    await seedSegmentShop(db, { customers: o.customers, days: 60, seed: 8 });
    const outcome = await runJob(assignSegmentsJob, { asOf: shopEnd.toISOString() }, { database: db, trigger: 'test' });
    if (!outcome.ok || outcome.value.status !== 'succeeded')
      throw new Error(`assign-segments failed: ${JSON.stringify(outcome)}`);
    customers = (await db.models.Customer.collection.find({}, { projection: { _id: 1 } }).toArray()).map((c) =>
      String(c._id),
    );
    segments = (
      await db.models.Segment.collection.find({ memberCount: { $gt: 0 } }, { projection: { _id: 1 } }).toArray()
    ).map((s) => String(s._id));
    // Unlimited keys: the per-key rate limit would otherwise shape the figures (it has its own test).
    keys.ingest = (await createApiKey(db.models, { role: 'ingest', name: 'load-ingest', rateLimitPerMinute: 0 })).key;
    keys.marketer = (
      await createApiKey(db.models, { role: 'marketer', name: 'load-reads', rateLimitPerMinute: 0 })
    ).key;
    // No queueing (202): these clients judge every answer's exact stored/duplicates counts, which a
    // queued batch learns only later; queueing is tested in reliability.intake.
    const intake = createIntakeLimiter({
      maxConcurrent: config().INGEST_MAX_CONCURRENT,
      budgetMs: config().INGEST_RESPONSE_BUDGET_MS,
      maxQueueing: 0,
    });
    server = await startHttpServer(buildApp({ database: db, intake }), { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => server?.close(2000));

  // The load phase, then requests still in flight (ingest retries included), then the counting pass.
  const testTimeout = o.durationMs + 2 * o.timeoutMs + 30_000;

  describe(`load (${o.label})`, () => {
    // First, while the events collection is smallest: on FerretDB every profile read scans it.
    it(
      '50 readers (members pages, customer profiles) while 8 clients ingest: no 5xx, nothing lost',
      async () => {
        expect(segments.length).toBeGreaterThan(0);
        const prefix = `load-${o.label}-mixed`;
        let ingesting = true;
        const ingest = runIngestLoad({
          url: server.url,
          key: keys.ingest,
          clients: 8,
          customers,
          prefix,
          durationMs: o.durationMs,
          maxPerClient: o.maxRequestsPerClient,
          timeoutMs: o.timeoutMs,
        }).finally(() => (ingesting = false));
        const reads = await runReadLoad({
          url: server.url,
          key: keys.marketer,
          clients: 50,
          maxPerClient: o.maxRequestsPerClient * 4,
          timeoutMs: o.timeoutMs,
          done: () => !ingesting,
          next: () =>
            Math.random() < 0.5
              ? { endpoint: 'members', path: `/v1/segments/${pick(segments)}/members?limit=100` }
              : { endpoint: 'customer', path: `/v1/customers/${encodeURIComponent(pick(customers))}` },
        });
        const f = await ingest;
        const check = await checkStored(database(), prefix, f.accepted);
        line(`ingest under reads ${o.label}`, ingestFigures(f, check.stored));
        for (const [endpoint, e] of Object.entries(reads)) {
          line(
            `reads ${endpoint} ${o.label}`,
            `50 clients during ingestion, ${e.requests} requests, p50 ${e.latency.p50} ms p99 ${e.latency.p99} ms max ${e.latency.max} ms, status ${statuses(e.status)}`,
          );
        }
        expectExactlyOnce(f, check);
        for (const e of Object.values(reads)) {
          expect(e.requests).toBeGreaterThan(0);
          expect(serverErrors(e.status)).toBe(0);
          expect(e.status['200']).toBe(e.requests);
        }
        expect(Object.keys(reads).sort()).toEqual(['customer', 'members']);
      },
      testTimeout,
    );
    it(
      '8 ingest clients: every accepted event stored exactly once, retried batches add nothing, no 5xx',
      async () => {
        const prefix = `load-${o.label}-api`;
        const f = await runIngestLoad({
          url: server.url,
          key: keys.ingest,
          clients: 8,
          customers,
          prefix,
          durationMs: o.durationMs,
          maxPerClient: o.maxRequestsPerClient,
          timeoutMs: o.timeoutMs,
        });
        const check = await checkStored(database(), prefix, f.accepted);
        line(`ingest ${o.label}`, ingestFigures(f, check.stored));
        expectExactlyOnce(f, check);
        // Every kind of resend happened (under reads a client may get too few batches in for all of them).
        expect(Math.min(f.batches.retry, f.batches.mixed, f.batches.twin)).toBeGreaterThan(0);
      },
      testTimeout,
    );

    it(
      'Segment library clients: every messageId stored exactly once, resent messages add nothing',
      async () => {
        const prefix = `load-${o.label}-seg`;
        const f = await runSegmentLoad({
          url: server.url,
          key: keys.ingest,
          clients: 4,
          customers,
          prefix,
          durationMs: o.durationMs,
          maxPerClient: o.maxMessagesPerClient,
          timeoutMs: o.timeoutMs,
        });
        const check = await checkStored(database(), prefix, f.delivered);
        line(
          `segment ${o.label}`,
          `${f.clients} analytics-node clients ${(f.elapsedMs / 1000).toFixed(1)} s, messages sent ${f.messagesSent} (${f.resent} resent ids) / distinct ${f.messageIds.size} / delivered ${f.delivered.size} / stored ${check.stored}, ` +
            `${perSecond(f.messagesSent, f.elapsedMs)} msg/s, delivery p50 ${f.delivery.p50} ms p99 ${f.delivery.p99} ms, batches ${statuses(f.batches)}`,
        );
        expect(f.failed).toBe(0);
        expect(serverErrors(f.batches)).toBe(0);
        expect(f.delivered.size).toBe(f.messageIds.size);
        expect(f.resent).toBeGreaterThan(0);
        expect(check).toEqual({ stored: f.messageIds.size, missing: 0, duplicated: 0, unacknowledged: 0 });
      },
      testTimeout,
    );
  });
}
