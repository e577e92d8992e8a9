import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { config } from '../src/config.js';
import { buildWorker } from '../src/jobs/buildWorker.js';
import { defineJob, type JobContext } from '../src/jobs/core/defineJob.js';
import { loadJobs } from '../src/jobs/loadJobs.js';
import { forEachPartition } from '../src/jobs/core/partitions.js';
import { runJob } from '../src/jobs/runJob.js';
import { useTestDatabase } from './helpers/db.js';
import { waitFor } from './helpers/waitFor.js';

const database = useTestDatabase();

const counting = defineJob({
  name: 'test-counting',
  description: 'counts to n',
  schedule: null,
  options: z.object({ n: z.coerce.number().int().min(1) }),
  async run(ctx, { n }) {
    for (let i = 1; i <= n; i++) ctx.progress(i, n);
    return { counted: n };
  },
});

const throwing = defineJob({
  name: 'test-throwing',
  description: 'always fails',
  schedule: null,
  options: z.object({}),
  async run() {
    throw new RangeError('boom at step 3');
  },
});

describe('runJob', () => {
  it('records a successful run with its counts and options', async () => {
    const progress: number[] = [];
    const outcome = await runJob(
      counting,
      { n: '3' },
      { database: database(), trigger: 'test', onProgress: (d) => progress.push(d) },
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.value).toMatchObject({ status: 'succeeded', counts: { counted: 3 } });
    expect(progress).toEqual([1, 2, 3]);
    const run = await database().models.JobRun.findById(outcome.value.id).lean();
    expect(run).toMatchObject({
      job: 'test-counting',
      status: 'succeeded',
      trigger: 'test',
      options: { n: 3 },
      counts: { counted: 3 },
    });
    expect(run!.endedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
  });

  it('records a failed run with the error and its stack, without throwing', async () => {
    const outcome = await runJob(throwing, {}, { database: database(), trigger: 'test' });
    expect(outcome.ok && outcome.value.status).toBe('failed');
    const run = await database().models.JobRun.findOne({ job: 'test-throwing' }).lean();
    expect(run).toMatchObject({ status: 'failed', error: { type: 'RangeError', message: 'boom at step 3' } });
    expect(run!.error!.stack).toContain('jobs.test.ts');
  });

  it('refuses invalid options before recording anything', async () => {
    const before = await database().models.JobRun.countDocuments();
    const outcome = await runJob(counting, { n: 'many' }, { database: database(), trigger: 'test' });
    expect(outcome).toMatchObject({ ok: false, error: { type: 'invalid_options', issues: [{ path: 'n' }] } });
    expect(await database().models.JobRun.countDocuments()).toBe(before);
  });
});

describe('forEachPartition', () => {
  it('gives each partition of an occurrence to exactly one of several concurrent workers', async () => {
    const seen: number[] = [];
    const ctx = (worker: string): JobContext => ({
      database: database(),
      log: undefined as never,
      runKey: 'occurrence-1',
      worker,
      progress: () => undefined,
      signal: new AbortController().signal,
    });
    const work = async (p: number) => {
      seen.push(p);
      await new Promise((r) => setTimeout(r, 5));
    };
    const [a, b, c] = await Promise.all(
      ['w1', 'w2', 'w3'].map((w) => forEachPartition(ctx(w), 'test-partitioned', work)),
    );
    const partitions = config().PARTITIONS;
    expect(a!.claimed + b!.claimed + c!.claimed).toBe(partitions);
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: partitions }, (_, i) => i));
    // the same occurrence again claims nothing: a retried run never redoes a partition
    const again = await forEachPartition(ctx('w4'), 'test-partitioned', work);
    expect(again).toEqual({ claimed: 0, skipped: partitions });
  });
});

describe('worker', () => {
  it('keeps running after a job throws, and records both runs', async () => {
    const worker = buildWorker({ database: database(), jobs: [throwing, counting], processEvery: 200 });
    await worker.start();
    try {
      await worker.agenda.now('test-throwing', {});
      const failed = await waitFor(() =>
        database().models.JobRun.findOne({ job: 'test-throwing', trigger: 'schedule', status: 'failed' }).lean(),
      );
      expect(failed.error?.message).toBe('boom at step 3');
      await worker.agenda.now('test-counting', { n: 2 });
      const ok = await waitFor(() =>
        database().models.JobRun.findOne({ job: 'test-counting', trigger: 'schedule', status: 'succeeded' }).lean(),
      );
      expect(ok.counts).toEqual({ counted: 2 });
    } finally {
      await worker.stop(5000);
    }
  });

  it('schedules every job in jobs/ exactly once, even when started twice', async () => {
    const jobs = await loadJobs();
    expect(jobs.map((j) => j.name)).toContain('housekeeping');
    for (let i = 0; i < 2; i++) {
      const worker = buildWorker({ database: database(), jobs });
      await worker.start();
      await worker.stop(1000);
    }
    const scheduled = await database().db.collection('agenda_jobs').find({ name: 'housekeeping' }).toArray();
    expect(scheduled).toHaveLength(1);
  });
});

describe('optionsFromArgs', () => {
  it('reads --name value, --name=value and boolean flags, camel-casing names', async () => {
    const { optionsFromArgs } = await import('../src/jobs/runFromCommandLine.js');
    expect(
      optionsFromArgs(['--as-of', '2011-06-01', '--max-days=3', '--full', '--json', '--partitions', '0-3']),
    ).toEqual({
      options: { asOf: '2011-06-01', maxDays: '3', full: true, partitions: '0-3' },
      json: true,
      help: false,
    });
    expect(() => optionsFromArgs(['stray'])).toThrow(/unexpected argument "stray"/);
  });
});
