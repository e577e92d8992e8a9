import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { expect } from 'vitest';
import { FIXED_SHOP_END, seedShop } from '../../data/generator/seedShop.js';
import buildFeaturesJob from '../../jobs/build-features.js';
import { createApiKey } from '../../src/api/apiKeys.js';
import { buildApp } from '../../src/api/buildApp.js';
import { startHttpServer } from '../../src/api/httpServer.js';
import { connectDatabase } from '../../src/db/database.js';
import { isAlive, startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';
import { buildWorker } from '../../src/jobs/buildWorker.js';

/**
 * Issue #8 item 4: the database stopped and restarted under a running API and job worker. The
 * scenario runs its OWN embedded server (the suite's shared one must stay up for the other test
 * files), restarted on the same port so the clients' drivers find it again by themselves.
 */

/** An embedded server on a temporary data directory that can be killed and started again on its port. */
export async function ownDatabaseServer() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-outage-'));
  let server: EmbeddedServer = await startEmbedded({ dataDir });
  const port = Number(new URL(server.uri).port);
  return {
    uri: server.uri,
    /**
     * Kills the server at once (SIGKILL), as a crash would: a graceful stop lets open requests
     * finish first (about 3 s here), time in which a short job could end without noticing.
     */
    async kill() {
      process.kill(server.pid, 'SIGKILL');
      while (isAlive(server.pid)) await new Promise((r) => setTimeout(r, 20));
      await server.stop();
    },
    async restart() {
      server = await startEmbedded({ dataDir, port });
    },
    async dispose() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  at: number;
  doneAt: number;
  path: string;
  /** HTTP status, or 0 when no answer came (connection refused or reset: the process died). */
  status: number;
  code?: string;
  retryAfter?: string;
}

/** `clients` loops asking `paths` in turn until stopped; each request is bounded by a timeout. */
export function pollApi(
  url: string,
  key: string,
  paths: readonly { method: 'GET' | 'POST'; path: string; body?: () => unknown }[],
  clients: number,
) {
  const answers: Answer[] = [];
  let running = true;
  const client = async (c: number) => {
    for (let i = c; running; i++) {
      const target = paths[i % paths.length]!;
      const at = Date.now();
      try {
        const body = target.body ? JSON.stringify(target.body()) : undefined;
        const res = await fetch(url + target.path, {
          method: target.method,
          headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const json = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        answers.push({
          at,
          doneAt: Date.now(),
          path: target.path,
          status: res.status,
          ...(json.error?.code ? { code: json.error.code } : {}),
          ...(res.headers.get('retry-after') ? { retryAfter: res.headers.get('retry-after')! } : {}),
        });
      } catch {
        answers.push({ at, doneAt: Date.now(), path: target.path, status: 0 });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const loops = Array.from({ length: clients }, (_, c) => client(c));
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

export interface OutageFigures {
  /** From the kill to the restarted server answering. */
  downtimeSec: number;
  /** Answers to requests made and answered while no server process ran, by status. */
  duringOutage: Record<number, number>;
  requests: number;
  /** 503 `unavailable` with Retry-After from /v1 routes, 503 `degraded` from /health. */
  unavailable503: number;
  /** 5xx answers other than 503 `unavailable`, and requests that got no answer at all, at any time. */
  otherServerErrors: string[];
  /** The errors behind any 500, from the API's log. */
  internalErrors: string[];
  noAnswer: number;
  /** From the restarted server answering to the API's first 200 (every polled route needs the database). */
  recoverySec: number;
  /** From the restarted server answering to the job's end. */
  jobDoneSec: number;
  jobStatus: string;
  jobAttempts: number;
  jobRetryErrors: string[];
  featuresWritten: number;
  customersWithEvents: number;
}

/**
 * Seeds a small shop, serves the API on loopback, starts the job worker and triggers
 * build-features; the moment the job starts the database is killed, kept down `downtimeMs`,
 * then started again on the same port. Returns what the clients saw and how the job ended.
 */
export async function runDbOutageScenario(opts: {
  downtimeMs: number;
  customers: number;
  clients: number;
}): Promise<OutageFigures> {
  const db = await ownDatabaseServer();
  const database = await connectDatabase({ uri: db.uri, dbName: 'bc_outage' });
  // The API's error lines are kept: a 500 in the figures comes with the error behind it.
  const internalErrors: string[] = [];
  const appLog = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as {
        res?: { statusCode?: number };
        err?: { type?: string; message?: string };
      };
      if (line.res?.statusCode === 500) internalErrors.push(`${line.err?.type}: ${line.err?.message}`);
      done();
    },
  });
  const http = await startHttpServer(buildApp({ database, log: pino({ level: 'error' }, appLog) }), {
    port: 0,
    host: '127.0.0.1',
  });
  // A real logger whose lines the scenario watches: "job started" is the moment to pull the plug.
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const lines = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (chunk.toString().includes('"msg":"job started"')) onStarted();
      done();
    },
  });
  const worker = buildWorker({
    database,
    jobs: [buildFeaturesJob],
    processEvery: 500,
    log: pino({ level: 'info' }, lines),
    retry: { attempts: 8, baseDelayMs: 500, maxDelayMs: 4000 },
  });
  try {
    await seedShop(database, { customers: opts.customers, days: 60, seed: 5, end: FIXED_SHOP_END });
    const customerId = (await database.models.Customer.collection.findOne({}))!._id as unknown as string;
    const customersWithEvents = (
      await database.models.Event.collection.distinct('customerId', { customerId: { $ne: null } })
    ).length;
    const key = (await createApiKey(database.models, { role: 'admin', name: 'outage', rateLimitPerMinute: 0 })).key;
    await worker.start();

    let n = 0;
    const poll = pollApi(
      http.url,
      key,
      [
        { method: 'GET', path: `/v1/customers/${encodeURIComponent(customerId)}` },
        {
          method: 'POST',
          path: '/v1/events',
          body: () => ({
            eventId: `outage-${++n}`,
            type: 'product_viewed',
            customerId,
            properties: { productId: 'p-1', price: 5 },
          }),
        },
        { method: 'GET', path: '/v1/jobs?limit=1' },
        { method: 'GET', path: '/health' },
      ],
      opts.clients,
    );

    await worker.agenda.now(buildFeaturesJob.name, { full: true });
    await started;
    const downAt = Date.now();
    await db.kill();
    await new Promise((r) => setTimeout(r, opts.downtimeMs));
    const restartAt = Date.now();
    await db.restart();
    const upAt = Date.now();

    // The run ends once the job has retried its way through; its record is the proof.
    const deadline = Date.now() + 120_000;
    let run: Record<string, unknown> | null = null;
    while (Date.now() < deadline) {
      // The first calls after the restart may still meet a connection of the old server.
      run = await database.models.JobRun.collection
        .findOne({ job: buildFeaturesJob.name, status: { $ne: 'running' } })
        .catch((err: unknown) => {
          if (isDatabaseUnavailable(err)) return null;
          throw err;
        });
      if (run) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // A little traffic after the job too, so recovery is measured on the API and not only the job.
    while (!poll.answers.some((a) => a.doneAt >= upAt && a.status === 200) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const answers = await poll.stop();
    // The two answers an outage may give: 503 `unavailable` with Retry-After, or /health's 503 `degraded`.
    const unavailable = (a: Answer) =>
      a.status === 503 && (a.path === '/health' || (a.code === 'unavailable' && a.retryAfter !== undefined));

    const during = answers.filter((a) => a.at >= downAt && a.doneAt < restartAt);
    const duringOutage: Record<number, number> = {};
    for (const a of during) duringOutage[a.status] = (duringOutage[a.status] ?? 0) + 1;
    const firstOk = answers.filter((a) => a.doneAt >= upAt && a.status === 200).sort((a, b) => a.doneAt - b.doneAt)[0];
    const retries = (run?.retries ?? []) as { error: string }[];
    return {
      downtimeSec: (upAt - downAt) / 1000,
      duringOutage,
      requests: answers.length,
      unavailable503: answers.filter(unavailable).length,
      otherServerErrors: answers
        .filter((a) => a.status >= 500 && !unavailable(a))
        .map((a) => `${a.status} ${a.code ?? ''} ${a.path}`),
      internalErrors,
      noAnswer: answers.filter((a) => a.status === 0).length,
      recoverySec: firstOk ? (firstOk.doneAt - upAt) / 1000 : NaN,
      jobDoneSec: run?.endedAt instanceof Date ? (run.endedAt.getTime() - upAt) / 1000 : NaN,
      jobStatus: String(run?.status ?? 'running'),
      jobAttempts: Number(run?.attempts ?? 0),
      jobRetryErrors: retries.map((r) => r.error.split(':')[0]!),
      featuresWritten: await database.estimatedCount('features'),
      customersWithEvents,
    };
  } finally {
    await worker.stop(5000);
    await http.close(1000);
    await database.close();
    await db.dispose();
  }
}

/** Prints the scenario's figures (one `[reliability]` line) and checks them. */
export function expectOutageSurvived(f: OutageFigures): void {
  const others = f.otherServerErrors.length ? ` (${[...f.otherServerErrors, ...f.internalErrors].join(', ')})` : '';
  console.log(
    `[reliability] db outage: down ${f.downtimeSec.toFixed(1)} s, ${f.requests} requests, made and answered while down ${JSON.stringify(f.duringOutage)}, 503 ${f.unavailable503}, other 5xx ${f.otherServerErrors.length}${others}, no answer ${f.noAnswer}, API recovered ${f.recoverySec.toFixed(1)} s after restart, job ${f.jobStatus} after ${f.jobAttempts} attempts (${f.jobRetryErrors.join(', ')}) ${f.jobDoneSec.toFixed(1)} s after restart, features ${f.featuresWritten}/${f.customersWithEvents}`,
  );
  expect(f.otherServerErrors).toEqual([]);
  expect(f.noAnswer).toBe(0);
  expect(Object.keys(f.duringOutage)).toEqual(['503']);
  expect(f.recoverySec).toBeLessThan(15);
  expect(f.jobStatus).toBe('succeeded');
  expect(f.jobAttempts).toBeGreaterThanOrEqual(2);
  expect(f.jobRetryErrors).toHaveLength(f.jobAttempts - 1);
  expect(f.featuresWritten).toBe(f.customersWithEvents);
}
