import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { storeEvents } from '../src/ingest/storeEvents.js';
import { foldNow } from '../src/ingest/timeline/folder.js';
import { batchesOf, customerStatements, expectedState, type Statement } from './reliability/statements.js';
import { childUri } from './reliability/kill.js';
import { useTestDatabase } from './helpers/db.js';

/**
 * Nothing a customer tells us is lost (issue #17, item 1): identifies, consent statements and
 * unsubscribes for the same customers, shuffled so they arrive out of order, split into batches
 * stored at once by this process and two others (as several API processes would), half answering
 * once durable and half once folded. Every customer must end in the state a sequential replay in
 * time order gives — checked against an independent reading of the statements and against a
 * second database fed one statement at a time.
 */
const database = useTestDatabase();
let replay: Database;

beforeAll(async () => {
  replay = await connectDatabase({ uri: inject('mongoUri'), dbName: `bc_test_${randomUUID().replaceAll('-', '')}` });
});
afterAll(async () => {
  await replay?.db.dropDatabase();
  await replay?.close();
});

const TRIALS = 3;
const CUSTOMERS = 40;
const PROCESSES = 2;

function storeInChild(db: Database, batches: Statement[][]): Promise<void> {
  const file = path.join(os.tmpdir(), `bc-batches-${randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify(batches.map((b) => b.map((s) => s.event))));
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/reliability/storeBatchesChild.ts', file, '4'], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'silent', MONGODB_URI: childUri(db) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      fs.rmSync(file, { force: true });
      if (code === 0) resolve();
      else reject(new Error(`ingesting child exited with ${code}: ${stderr.slice(-2000)}`));
    }),
  );
}

async function storeHere(db: Database, batches: Statement[][]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let k = next++; k < batches.length; k = next++)
        await storeEvents(
          db,
          batches[k]!.map((s) => s.event),
          'api',
          new Date(),
          { fold: lane % 2 ? 'background' : 'wait' },
        );
    }),
  );
}

/**
 * The replay: each customer's statements one at a time, in time order, each folded before the
 * next is stored. Customers share no id or address, so they are replayed side by side (one fold
 * round then takes a statement of each), which keeps the reference sequential per customer at a
 * fraction of one fold per statement.
 */
async function replayInOrder(all: readonly Statement[]): Promise<void> {
  const byCustomer = new Map<string, Statement[]>();
  for (const s of [...all].sort((a, b) => a.at - b.at))
    byCustomer.set(s.customerId, [...(byCustomer.get(s.customerId) ?? []), s]);
  const queue = [...byCustomer.values()];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let list = queue.shift(); list; list = queue.shift())
        for (const s of list) await storeEvents(replay, [s.event], 'api');
    }),
  );
}

const view = (c: Document | null) =>
  c && {
    email: c.email ?? null,
    emailConsent: c.consent?.email?.status,
    smsConsent: c.consent?.sms?.status,
    timezone: c.timezone,
    tier: c.traits?.tier,
    firstName: c.firstName,
    signedUpAt: c.signedUpAt ?? null,
  };

describe('customer state under concurrent ingestion (several processes, out of order)', () => {
  it('loses no unsubscribe, consent statement or trait: the state equals a sequential replay', async () => {
    const started = Date.now();
    let statements = 0;
    let unsubscribed = 0; // customers who unsubscribed an address
    let lost = 0;
    let differ = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const all = customerStatements(trial, CUSTOMERS);
      statements += all.length;
      const batches = batchesOf(all, 12);
      const lanes = Array.from({ length: PROCESSES + 1 }, (_, k) =>
        batches.filter((_, i) => i % (PROCESSES + 1) === k),
      );
      await Promise.all([storeHere(database(), lanes[0]!), ...lanes.slice(1).map((l) => storeInChild(database(), l))]);
      await foldNow(database());
      await replayInOrder(all);

      const expected = expectedState(all);
      const ids = [...expected.keys()];
      const [got, replayed] = await Promise.all([
        database()
          .collections.customers.find({ _id: { $in: ids } })
          .toArray(),
        replay.collections.customers.find({ _id: { $in: ids } }).toArray(),
      ]);
      const gotById = new Map(got.map((c) => [String(c._id), c]));
      const replayById = new Map(replayed.map((c) => [String(c._id), c]));
      for (const [id, want] of expected) {
        const c = view(gotById.get(id) ?? null);
        if (want.unsubscribed.length) unsubscribed++;
        const { unsubscribed: _u, ...wanted } = want;
        const { signedUpAt: _s, ...actual } = c ?? ({} as Record<string, unknown>);
        if (JSON.stringify(actual) !== JSON.stringify(wanted)) lost++;
        if (JSON.stringify(c) !== JSON.stringify(view(replayById.get(id) ?? null))) differ++;
        expect(actual, `customer ${id}`).toEqual(wanted);
      }
      // Every address a customer unsubscribed is suppressed, so nothing mails it again.
      const suppressed = new Set(
        (await database().collections.suppressions.find({}).toArray()).map((s) => `${s.customerId} ${s.address}`),
      );
      for (const [id, want] of expected)
        for (const address of want.unsubscribed)
          expect(suppressed.has(`${id} ${address}`), `suppression of ${id} ${address}`).toBe(true);
    }
    console.log(
      `[reliability] customer state: ${TRIALS} trials × ${CUSTOMERS} customers, ${statements} statements in batches of 12 across ${PROCESSES + 1} processes (4 in flight each), ${unsubscribed} unsubscribed customers: ${lost} lost updates, ${differ} differences from a sequential replay, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(lost).toBe(0);
    expect(differ).toBe(0);
  }, 300_000);
});
