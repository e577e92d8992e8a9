// `npm run bench -- dispatch [--messages 1000] [--pool 5] [--rate 10] [--json]`
// Messages/s through the whole dispatch pipeline (trigger → enrolment → schedule → consent →
// personalise → render → claim → pooled SMTP → send record) into the local SMTP sink, vs
// nodemailer alone sending the same number of pre-rendered mails over the same pool; then how
// closely a configured rate limit is held, as the SMTP server sees it (pick a rate below what
// the pipeline reaches, or the pipeline, not the limiter, sets the pace). Everything runs in this process against the embedded
// (or MONGODB_URI) server, in a fresh database dropped afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { dispatchCampaigns, type DispatchOptions } from '../src/campaigns/dispatch/dispatchCampaigns.js';
import { createDispatchDeps } from '../src/campaigns/dispatch/dispatchDeps.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { startSmtpSink } from '../src/campaigns/delivery/smtpSink.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import type { JobContext } from '../src/jobs/core/defineJob.js';
import { log } from '../src/log.js';
import { benchEnv, type Bench } from './_harness.js';

/** `count` buyers (outside the post-purchase holdout) whose orders fall due for a confirmation at `at`. */
async function seedBuyers(database: Database, prefix: string, count: number, at: Date): Promise<void> {
  const events = [];
  for (let i = 0, n = 0; n < count; i++) {
    const id = `${prefix}-${i}`;
    if (inHoldout('post-purchase', id, 0.05)) continue;
    n++;
    events.push(
      {
        eventId: `${id}-id`,
        type: 'identify',
        customerId: id,
        timestamp: '2026-01-01T00:00:00Z',
        properties: { traits: { email: `${id}@example.com` }, consent: { email: true } },
      },
      {
        eventId: `${id}-o`,
        type: 'order_completed',
        customerId: id,
        timestamp: at.toISOString(),
        properties: { orderId: `o-${id}`, revenue: 30, items: [{ productId: 'p1', price: 30 }] },
      },
    );
  }
  for (let i = 0; i < events.length; i += 1000)
    await storeEvents(
      database,
      events.slice(i, i + 1000).map((e) => eventSchema.parse(e)),
      'api',
    );
}

function context(database: Database): JobContext {
  return {
    database,
    log,
    runKey: 'bench',
    worker: 'bench',
    progress: () => undefined,
    signal: new AbortController().signal,
  };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { messages: { type: 'string' }, pool: { type: 'string' }, rate: { type: 'string' } },
  });
  const messages = Number(values.messages ?? 1000);
  const pool = Number(values.pool ?? 5);
  const rate = Number(values.rate ?? 10);
  const rateMessages = Math.round(rate * 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dispatch-'));
  const sink = await startSmtpSink({ dir });
  const database = await connectDatabase({
    dbName: `bench_dispatch_${Date.now()}`,
    status: (m) => process.stderr.write(`${m}\n`),
  });
  const options = (asOf: Date): DispatchOptions => ({
    asOf,
    leaseSeconds: 600,
    maxSends: messages * 2,
    concurrency: 4 * pool,
    quiet: { start: 21, end: 8 },
    scoreTriggerMinutes: 60,
    experimentMinutes: 24 * 60,
    confidence: 0.95,
    minRecipients: 100,
  });
  try {
    const first = new Date('2026-03-02T12:00:00Z');
    const second = new Date('2026-03-03T12:00:00Z');
    process.stderr.write(`seeding ${messages} buyers (+${rateMessages} for the rate case)…\n`);
    await seedBuyers(database, 'b', messages, first);
    await seedBuyers(database, 'r', rateMessages, second);
    const deps = await createDispatchDeps({ mailer: { url: sink.url, maxConnections: pool } });

    // Ours: one dispatch run that enrols, schedules and sends every confirmation.
    process.stderr.write('dispatch run (pipeline)…\n');
    let t = performance.now();
    const counts = await dispatchCampaigns(context(database), options(new Date(first.getTime() + 60_000)), deps);
    const oursSec = (performance.now() - t) / 1000;
    await deps.mailer.close();
    if (counts.sent !== messages) throw new Error(`expected ${messages} sent, got ${JSON.stringify(counts)}`);

    // Baseline: nodemailer alone, same pool, the same number of pre-rendered mails.
    const sample = fs.readFileSync(sink.received()[0]!.file, 'utf8');
    const html = sample.slice(sample.indexOf('\r\n\r\n') + 4);
    const transport = nodemailer.createTransport({
      pool: true,
      host: sink.host,
      port: sink.port,
      secure: false,
      maxConnections: pool,
      maxMessages: 1000,
    });
    process.stderr.write('nodemailer alone (pre-rendered)…\n');
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 * pool }, async () => {
        while (next < messages) {
          const i = next++;
          await transport.sendMail({
            from: 'shop@breadcrumb.localhost',
            to: `x${i}@example.com`,
            subject: 'Your order',
            html,
            text: 'Thanks for your order',
          });
        }
      }),
    );
    const baseSec = (performance.now() - t) / 1000;
    transport.close();

    // Rate limit: the pipeline with the mailer limited to `rate`/s.
    process.stderr.write(`dispatch run limited to ${rate}/s…\n`);
    const limited = await createDispatchDeps({ mailer: { url: sink.url, maxConnections: pool, ratePerSecond: rate } });
    const before = sink.received().length;
    const rateCounts = await dispatchCampaigns(
      context(database),
      options(new Date(second.getTime() + 60_000)),
      limited,
    );
    await limited.mailer.close();
    // As the SMTP server saw it: the sink names each file after the time it accepted the mail.
    const accepted = sink
      .received()
      .slice(before)
      .map((m) => Number(path.basename(m.file).split('-')[0]))
      .sort((a, b) => a - b);
    // nodemailer's limiter lets `rate` messages through per 1-s window (then pauses to the window's
    // end), so n messages fill n / rate windows: from the first acceptance to the end of the last window.
    const achieved = accepted.length / ((accepted.at(-1)! - accepted[0]!) / 1000 + 1);

    const ours = messages / oursSec;
    const baseline = messages / baseSec;
    return {
      bench: 'dispatch',
      results: [
        {
          case: `dispatch pipeline vs nodemailer alone (pool ${pool})`,
          ours,
          baseline,
          unit: 'messages/s',
          ratio: ours / baseline,
        },
        {
          case: `rate limit ${rate}/s: achieved rate`,
          ours: achieved,
          baseline: rate,
          unit: 'messages/s',
          ratio: achieved / rate,
        },
      ],
      env: benchEnv({
        backend: database.serverVersion,
        dataset: `${messages} + ${rateCounts.sent} order confirmations`,
        pool,
        pipelineSeconds: +oursSec.toFixed(2),
        ...Object.fromEntries(Object.entries(counts).filter(([k]) => k.endsWith('Ms'))),
      }),
    };
  } finally {
    await database.db.dropDatabase();
    await database.close();
    await sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
