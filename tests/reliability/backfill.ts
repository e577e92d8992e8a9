import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Analytics } from '@segment/analytics-node';
import { latency, type Latency, type StatusCounts } from './load.js';

/**
 * Issue #17, item 2: a shop's history sent at once through the official Segment client, with its
 * default settings (batches of 15, 10 s timeout, its own retries), as a new user would. The client
 * runs in its own process: queueing 400k messages keeps an event loop busy for many seconds, and
 * sharing the server's would measure that instead of the server.
 */
export interface BackfillOptions {
  url: string;
  key: string;
  messages: number;
  customers: number;
  /** Starts every messageId of this run: `<prefix>-<n>` for n below `messages`. */
  prefix: string;
}

export interface BackfillFigures {
  elapsedMs: number;
  /** Messages the client reported failed after its retries (their ids, up to 100). */
  failed: number;
  failedIds: string[];
  /** HTTP answers by status (`network` for none), requests, and requests the client sent again (X-Retry-Count). */
  statuses: StatusCounts;
  requests: number;
  resent: number;
  /** From `track()` to the client's callback. */
  delivery: Latency;
}

async function sendBackfill(o: BackfillOptions): Promise<BackfillFigures> {
  const analytics = new Analytics({ writeKey: o.key, host: o.url, path: '/v1/segment/batch' });
  const f: BackfillFigures = {
    elapsedMs: 0,
    failed: 0,
    failedIds: [],
    statuses: {},
    requests: 0,
    resent: 0,
    delivery: latency([]),
  };
  analytics.on('http_request', (r) => {
    f.requests++;
    if ((r.headers as Record<string, string>)['X-Retry-Count']) f.resent++;
  });
  analytics.on('http_response', (r) => void (f.statuses[r.status] = (f.statuses[r.status] ?? 0) + 1));
  const times: number[] = [];
  const started = performance.now();
  for (let n = 0; n < o.messages; n++) {
    // A shop's app hands events over as they come, letting its event loop run: without yielding,
    // 400k pending track() calls held ~7.5 GB and the client sent nothing in 6 minutes. No pacing
    // beyond that: the client still queues everything at once, with its default settings.
    if (n % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    const messageId = `${o.prefix}-${n}`;
    const t0 = performance.now();
    analytics.track(
      {
        userId: `${o.prefix}-c${n % o.customers}`,
        event: 'Product Viewed',
        messageId,
        properties: { product_id: `sku-${n % 300}`, price: 19.5 },
      },
      (err) => {
        times.push(performance.now() - t0);
        if (!err) return;
        f.failed++;
        if (f.failedIds.length < 100) f.failedIds.push(messageId);
      },
    );
  }
  // Long enough for every retry the client allows: its own limits decide what fails.
  await analytics.closeAndFlush({ timeout: 3_600_000 });
  f.elapsedMs = performance.now() - started;
  f.delivery = latency(times);
  return f;
}

/** Runs the client in a child process, killed after `timeoutMs`, and returns its figures. */
export function runSegmentBackfill(o: BackfillOptions, timeoutMs: number): Promise<BackfillFigures> {
  return new Promise((resolve, reject) => {
    // 400k messages queued in the client at once take more than Node's default heap (the client's settings stay default).
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=8192', '--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(o)],
      { stdio: ['ignore', 'pipe', 'inherit'], timeout: timeoutMs },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as BackfillFigures)
        : reject(new Error(`backfill client exited with ${code}: ${out.slice(-500)}`)),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await sendBackfill(JSON.parse(process.argv[2]!) as BackfillOptions);
  process.stdout.write(JSON.stringify(figures));
}
