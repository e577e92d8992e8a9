import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api/apiKeys.js';
import { buildApp } from '../../src/api/buildApp.js';
import { startHttpServer, type HttpServer } from '../../src/api/httpServer.js';
import { createIntakeLimiter } from '../../src/api/intakeLimiter.js';
import { config } from '../../src/config.js';
import { foldNow } from '../../src/ingest/timeline/folder.js';
import { useTestDatabase } from '../helpers/db.js';
import { runSegmentBackfill } from './backfill.js';
import { checkStored } from './load.js';

export interface BackfillSuiteOptions {
  /** Label in the printed figures: `ci` or `stress`. */
  label: string;
  /** Messages the official client sends at once. */
  messages: number;
  customers: number;
  timeoutMs: number;
}

const ms = (ns: number) => Math.round(ns / 1e6);
const line = (scenario: string, figures: string) => console.log(`[reliability] ${scenario}: ${figures}`);
const statuses = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');

/**
 * Issue #17, item 2: the official Segment client sends a shop's history at once, with its default
 * settings, to a server with the default ingest limits: every message stored exactly once and none
 * reported failed after the client's own retries.
 */
export function defineBackfillSuite(o: BackfillSuiteOptions): void {
  const database = useTestDatabase();
  let server: HttpServer;
  let key = '';
  // The default ingest limits; its own limiter, to read its counters.
  const intake = createIntakeLimiter({
    maxConcurrent: config().INGEST_MAX_CONCURRENT,
    budgetMs: config().INGEST_RESPONSE_BUDGET_MS,
    maxQueueing: config().INGEST_MAX_QUEUEING,
  });

  beforeAll(async () => {
    key = (await createApiKey(database().models, { role: 'ingest', name: 'backfill', rateLimitPerMinute: 0 })).key;
    server = await startHttpServer(buildApp({ database: database(), intake }), { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => server?.close(2000));

  describe(`official Segment client backfill (${o.label})`, () => {
    it(
      `${o.messages} messages at once with default settings: all stored exactly once, none failed`,
      async () => {
        const prefix = `backfill-${o.label}`;
        // A long run shows where it is: the intake's counters and the fold's backlog.
        const started = Date.now();
        // The server shares this event loop with the fold: how long a ready request waited for it.
        const loop = monitorEventLoopDelay({ resolution: 20 });
        loop.enable();
        const progress = setInterval(() => {
          const lag = `event loop delay p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)} ms`;
          loop.reset();
          void database()
            .models.EventInbox.collection.estimatedDocumentCount()
            .then((backlog) =>
              line(
                `segment backfill ${o.label} at ${Math.round((Date.now() - started) / 1000)} s`,
                `${JSON.stringify(intake.stats())}, inbox ${backlog} documents, ${lag}`,
              ),
            );
        }, 30_000);
        const f = await runSegmentBackfill(
          { url: server.url, key, messages: o.messages, customers: o.customers, prefix },
          o.timeoutMs - 30_000,
        );
        clearInterval(progress);
        loop.disable();
        const failed = new Set(f.failedIds);
        const delivered = new Set(
          Array.from({ length: o.messages }, (_, n) => `${prefix}-${n}`).filter((id) => !failed.has(id)),
        );
        // Batches answered 202 are stored in the background: what the client was told is durable is counted once settled.
        await foldNow(database());
        const check = await checkStored(database(), prefix, delivered);
        const stats = intake.stats();
        line(
          `segment backfill ${o.label}`,
          `analytics-node defaults, ${o.messages} messages at once in ${(f.elapsedMs / 1000).toFixed(1)} s (${Math.round((o.messages / f.elapsedMs) * 1000)} msg/s), ` +
            `${f.requests} requests (${f.resent} resent), status ${statuses(f.statuses)}, delivered ${o.messages - f.failed} / failed ${f.failed} / stored ${check.stored}, ` +
            `server accepted ${stats.accepted} queued ${stats.deferred} shed ${stats.shed} (avg ${stats.serviceMs} ms a batch), delivery p50 ${f.delivery.p50} ms p99 ${f.delivery.p99} ms`,
        );
        expect(f.failed).toBe(0);
        expect(check).toEqual({ stored: o.messages, missing: 0, duplicated: 0, unacknowledged: 0 });
      },
      o.timeoutMs,
    );
  });
}
