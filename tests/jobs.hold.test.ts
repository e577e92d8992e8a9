import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildWorker } from '../src/jobs/buildWorker.js';
import { defineJob } from '../src/jobs/core/defineJob.js';
import { runJob } from '../src/jobs/runJob.js';
import { currentHold, placeHold, releaseHold } from '../src/jobs/core/scheduleHold.js';
import { useTestDatabase } from './helpers/db.js';
import { waitFor } from './helpers/waitFor.js';

const database = useTestDatabase();

let ran = 0;
const held = defineJob({
  name: 'test-held',
  description: 'counts its runs',
  schedule: null,
  options: z.object({}),
  async run() {
    ran++;
    return { ran };
  },
});

/** Runs for `ms`, reporting progress every 100 ms: several times the lock lifetime the test gives it. */
const slow = defineJob({
  name: 'test-slow',
  description: 'runs for a while, reporting progress',
  schedule: null,
  options: z.object({ ms: z.number() }),
  async run(ctx, { ms }) {
    const steps = Math.ceil(ms / 100);
    for (let i = 1; i <= steps; i++) {
      await sleep(100);
      ctx.progress(i, steps);
    }
    return { steps };
  },
});

describe('schedule hold', () => {
  it('skips scheduled runs of a held job with a note naming the hold, runs it on demand, and schedules it again once released', async () => {
    const { JobRun } = database().models;
    const asOf = new Date('2026-06-01T00:00:00Z');
    await placeHold(database(), { runId: 'run-that-held', asOf, jobs: ['test-held'], by: 'test' });
    expect(await currentHold(database())).toMatchObject({ runId: 'run-that-held', jobs: ['test-held'] });
    const worker = buildWorker({ database: database(), jobs: [held], processEvery: 200 });
    await worker.start();
    try {
      await worker.agenda.now('test-held', {});
      const skipped = await waitFor(() =>
        JobRun.findOne({ job: 'test-held', trigger: 'schedule', status: 'skipped' }).lean(),
      );
      expect(ran).toBe(0);
      expect(skipped.notes).toEqual([
        expect.stringContaining('held by pipeline run run-that-held (as of 2026-06-01T00:00:00.000Z'),
      ]);
      expect(skipped.notes![0]).toContain('breadcrumb pipeline release');

      // On demand the job still runs while held.
      const onDemand = await runJob(held, {}, { database: database(), trigger: 'cli' });
      expect(onDemand.ok && onDemand.value.status).toBe('succeeded');
      expect(ran).toBe(1);

      expect((await releaseHold(database()))?.runId).toBe('run-that-held');
      expect(await currentHold(database())).toBeNull();
      await worker.agenda.now('test-held', {});
      const after = await waitFor(() =>
        JobRun.findOne({ job: 'test-held', trigger: 'schedule', status: 'succeeded' }).lean(),
      );
      expect(after.counts).toEqual({ ran: 2 });
    } finally {
      await worker.stop(5000);
    }
  });

  it('holds only the jobs it names', async () => {
    await placeHold(database(), { runId: 'other', asOf: new Date(), jobs: ['build-features'], by: 'test' });
    try {
      const outcome = await runJob(held, {}, { database: database(), trigger: 'schedule' });
      expect(outcome.ok && outcome.value.status).toBe('succeeded');
    } finally {
      await releaseHold(database());
    }
  });
});

describe('job lock', () => {
  const lockLifetime = 1000;

  it('a scheduled run four times longer than its lock lifetime completes once, never cancelled or restarted', async () => {
    const worker = buildWorker({ database: database(), jobs: [slow], processEvery: 200, lockLifetimeMs: lockLifetime });
    const errors: string[] = [];
    worker.agenda.on('error', (err: Error) => errors.push(err.message));
    await worker.start();
    try {
      await worker.agenda.now('test-slow', { ms: 4 * lockLifetime });
      const done = await waitFor(() =>
        database()
          .models.JobRun.findOne({ job: 'test-slow', status: { $ne: 'running' } })
          .lean(),
      );
      expect(done).toMatchObject({ status: 'succeeded', counts: { steps: 40 }, attempts: 1 });
      // Time for Agenda to pick up an expired lock again, if there were one.
      await sleep(3 * lockLifetime);
      expect(await database().models.JobRun.countDocuments({ job: 'test-slow' })).toBe(1);
      expect(errors).toEqual([]);
      const [agendaJob] = await database().db.collection('agenda_jobs').find({ name: 'test-slow' }).toArray();
      // Not failed; its lock was renewed mid-run, carrying the run's progress.
      expect(agendaJob!.failCount ?? 0).toBe(0);
      expect(agendaJob!.progress).toBeGreaterThan(0);
    } finally {
      await worker.stop(5000);
    }
  });

  it('(what it prevents) Agenda cancels a handler that does not touch its lock', async () => {
    const agenda = new Agenda({
      backend: new MongoBackend({ mongo: database().db, collection: 'agenda_untouched' }),
      processEvery: 200,
    });
    const errors: string[] = [];
    agenda.on('error', (err: Error) => errors.push(err.message));
    agenda.define('untouched', () => sleep(4 * lockLifetime), { lockLifetime });
    await agenda.start();
    try {
      await agenda.now('untouched', {});
      await waitFor(async () => errors.length > 0);
      expect(errors[0]).toMatch(/canceled, execution took more than 1000ms. Call touch\(\)/);
    } finally {
      await agenda.drain(5000);
      await agenda.stop();
    }
  });
});
