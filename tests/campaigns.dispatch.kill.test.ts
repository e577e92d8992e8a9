import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import job from '../jobs/dispatch-campaigns.js';
import { recoverClaims } from '../src/campaigns/dispatch/recoverClaims.js';
import { inHoldout } from '../src/campaigns/experiments/assign.js';
import { projectRoot } from '../src/config.js';
import { eventSchema } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { mailEnv, useSmtpSink } from './helpers/smtpSink.js';

const database = useTestDatabase();
const { sink, outbox } = useSmtpSink();
const BUYERS = 150;
const asOf = '2026-03-02T12:01:00Z';

const buyers: string[] = [];
for (let i = 0; buyers.length < BUYERS; i++) if (!inHoldout('post-purchase', `kb-${i}`, 0.05)) buyers.push(`kb-${i}`);

beforeAll(async () => {
  const events = buyers.flatMap((b, i) => [
    { eventId: `id-${i}`, type: 'identify', customerId: b, timestamp: '2026-01-01T00:00:00Z', properties: { traits: { email: `${b}@example.com` }, consent: { email: true } } },
    { eventId: `o-${i}`, type: 'order_completed', customerId: b, timestamp: '2026-03-02T12:00:00Z', properties: { orderId: `o-${b}`, revenue: 30, items: [{ productId: 'p1', price: 30 }] } },
  ]);
  await storeEvents(database(), events.map((e) => eventSchema.parse(e)), 'api');
}, 120_000);

const toBuyers = () => sink().received().filter((m) => m.to.some((t) => t.startsWith('kb-')));

describe('dispatch killed mid-send', () => {
  it('delivers every message exactly once after a SIGKILL and a rerun', async () => {
    const uri = new URL(inject('mongoUri'));
    uri.pathname = `/${database().db.databaseName}`;
    // A rate limit stretches the send phase so the kill lands in the middle of it.
    const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/dispatch-campaigns.ts', '--as-of', asOf, '--outbox', outbox, '--json'], {
      cwd: projectRoot,
      env: { ...process.env, ...mailEnv, MONGODB_URI: uri.toString(), SMTP_URL: sink().url, SMTP_RATE_PER_SECOND: '60', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 45_000;
    while (toBuyers().length < 30 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    const atKill = toBuyers().length;
    expect(atKill).toBeGreaterThanOrEqual(30);
    expect(atKill).toBeLessThan(BUYERS);

    // The claims the killed run left behind are settled from its outbox; nobody waits out the lease.
    const outcome = await runJob(job, { asOf, outbox, leaseSeconds: 0 }, { database: database(), trigger: 'test' });
    expect(outcome.ok && outcome.value.status).toBe('succeeded');
    const counts = outcome.ok ? outcome.value.counts : {};
    expect(counts.sent! + counts.confirmedSent!).toBeGreaterThanOrEqual(BUYERS - atKill);

    const mails = toBuyers();
    expect(mails).toHaveLength(BUYERS);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(BUYERS);
    expect(new Set(mails.map((m) => m.to[0])).size).toBe(BUYERS);
    const messages = await database().models.Message.collection.find({ customerId: { $in: buyers } }).toArray();
    expect(messages.map((m) => m.status)).toEqual(new Array(BUYERS).fill('sent'));
    // A further run finds nothing left to do.
    await runJob(job, { asOf, outbox, leaseSeconds: 0 }, { database: database(), trigger: 'test' });
    expect(toBuyers()).toHaveLength(BUYERS);
  }, 90_000);

  it('without a ledger settles an unconfirmed claim as failed and never sends it again', async () => {
    const { Message, MessageClaim, Event } = database().models;
    const old = new Date(Date.now() - 3_600_000);
    const message = (id: string) => ({ _id: id, enrollmentId: `e-${id}`, stepId: 's', flowId: 'f', customerId: 'kx', partition: 0, kind: 'marketing', status: 'claimed', scheduledFor: old, claimedAt: old });
    const claim = (id: string) => ({ _id: id, enrollmentId: `e-${id}`, stepId: 's', claimedAt: old, message: message(id) });
    await MessageClaim.collection.insertMany([claim('m-recorded'), claim('m-unknown')] as never[]);
    // Killed after storing the message, before its send event and before deleting the claim.
    await Message.collection.insertOne({ ...message('m-recorded'), status: 'sent', sentAt: old } as never);
    const counts = await recoverClaims(database(), { leaseMs: 60_000, worker: 'test' });
    expect(counts).toMatchObject({ staleClaims: 2, confirmedSent: 1, unknown: 1, released: 0 });
    expect(await Event.collection.countDocuments({ eventId: 'email_sent:m-recorded' })).toBe(1);
    expect(await Message.collection.findOne({ _id: 'm-unknown' as never })).toMatchObject({ status: 'failed' });
    expect(await MessageClaim.collection.countDocuments({})).toBe(0);
    // Settled once: a second recovery finds nothing.
    expect(await recoverClaims(database(), { leaseMs: 60_000, worker: 'test' })).toMatchObject({ staleClaims: 0 });
  });
});
