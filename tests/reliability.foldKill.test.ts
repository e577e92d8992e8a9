import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import featuresJob from '../jobs/build-features.js';
import { projectRoot } from '../src/config.js';
import type { IncomingEvent } from '../src/ingest/eventSchemas.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { foldNow } from '../src/ingest/timeline/folder.js';
import { rebuildTimelines } from '../src/ingest/timeline/rebuild.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { shuffledBatches } from './helpers/shuffledBatches.js';
import { derivedState } from './helpers/derivedState.js';
import { childUri } from './reliability/kill.js';

/**
 * A crash between storing events and folding them loses nothing and counts nothing twice (issue
 * #13): an ingesting process is SIGKILLed in the middle of its batches — some stored and folded,
 * some stored and staged, some not sent — its clients resend every batch (what a client does when
 * its requests got no answer), and the result must equal a rebuild from the events collection.
 */
const database = useTestDatabase();
const DAY = 86_400_000;
const t0 = Date.UTC(2026, 6, 1);

function shop(): IncomingEvent[][] {
  const out: IncomingEvent[] = [];
  for (let c = 0; c < 80; c++) {
    const customerId = `fk-${c}`;
    const e = (n: number, type: string, at: number, properties: Record<string, unknown>) =>
      out.push({
        eventId: `${customerId}-${n}`,
        type,
        customerId,
        timestamp: new Date(at),
        properties,
      } as IncomingEvent);
    e(0, 'identify', t0 + c * 60_000, {
      traits: { email: `${customerId}@example.test` },
      consent: { email: c % 3 !== 0 },
    });
    for (let v = 1; v <= 20; v++)
      e(v, 'product_viewed', t0 + v * DAY + c * 1000, {
        productId: `p${(c + v) % 9}`,
        category: v % 2 ? 'tea' : 'cups',
        price: 9 + v,
      });
    e(21, 'order_completed', t0 + 22 * DAY + c * 1000, { orderId: `o-${c}`, revenue: 30 + c });
    if (c % 7 === 0) e(22, 'email_unsubscribed', t0 + 23 * DAY + c * 1000, {});
  }
  // Shuffled (late and out-of-order events), cut into batches.
  return shuffledBatches(out, 20, 99);
}

describe('ingest killed between storing and folding', () => {
  it('loses nothing and double-counts nothing: after the resend, state equals a rebuild', async () => {
    const batches = shop();
    const file = path.join(os.tmpdir(), `bc-foldkill-${randomUUID()}.json`);
    fs.writeFileSync(file, JSON.stringify(batches));
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/reliability/storeBatchesChild.ts', file, '4'], {
      cwd: projectRoot,
      env: { ...process.env, LOG_LEVEL: 'silent', MONGODB_URI: childUri(database()), FOLD_LEASE_SECONDS: '2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const m = database().models;
    // Kill once the fold has written something and more is stored: mid-batch, mid-fold. The fold
    // writes timelines a chunk at a time, after the background lanes may have stored a lot: kill by
    // half the events at the latest, so that some are still to be stored.
    const total = batches.flat().length;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const storedNow = await m.Event.collection.estimatedDocumentCount();
      if (
        storedNow >= total / 2 ||
        ((await m.CustomerTimeline.collection.estimatedDocumentCount()) >= 1 && storedNow >= 200)
      )
        break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    const signal = await exited;
    fs.rmSync(file, { force: true });
    const storedAtKill = await m.Event.collection.estimatedDocumentCount();
    const stagedAtKill = await m.EventInbox.collection.countDocuments({});
    expect(signal).toBe('SIGKILL');
    expect(storedAtKill).toBeLessThan(total);

    // The clients resend everything; the dead holder's leases expire (2 s here) and are taken over.
    await Promise.all(batches.map((b) => storeEvents(database(), b, 'api')));
    for (let tries = 0; (await m.EventInbox.collection.countDocuments({})) > 0 && tries < 50; tries++) {
      await new Promise((r) => setTimeout(r, 200));
      await foldNow(database());
    }
    expect(await m.EventInbox.collection.countDocuments({})).toBe(0);

    const asOf = new Date(t0 + 30 * DAY).toISOString();
    expect((await runJob(featuresJob, { asOf, full: true }, { database: database(), trigger: 'test' })).ok).toBe(true);
    const incremental = await derivedState(database());
    await rebuildTimelines(database());
    expect((await runJob(featuresJob, { asOf, full: true }, { database: database(), trigger: 'test' })).ok).toBe(true);
    const rebuilt = await derivedState(database());

    expect(incremental.timelines.length).toBe(80);
    expect(rebuilt).toEqual(incremental);
    const events = incremental.stats.reduce((sum, s) => sum + (s.events as number), 0);
    expect(events).toBe(batches.flat().length);
    console.log(
      `[reliability] fold kill: ingest SIGKILLed with ${storedAtKill} of ${batches.flat().length} events stored and ${stagedAtKill} inbox documents unfolded; after the resend 80/80 timelines and ${events} events, equal to a rebuild (0 lost, 0 double-counted)`,
    );
  }, 240_000);
});
