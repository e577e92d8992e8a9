import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXED_SHOP_END, seedShop } from '../data/generator/seedShop.js';
import assignSegmentsJob from '../jobs/assign-segments.js';
import buildFeaturesJob from '../jobs/build-features.js';
import pipelineJob from '../jobs/pipeline.js';
import scoreCustomersJob from '../jobs/score-customers.js';
import trainChurnJob from '../jobs/train-churn.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { dataEndsAt } from '../src/features/dataEnd.js';
import { buildWorker } from '../src/jobs/buildWorker.js';
import type { JobDefinition } from '../src/jobs/core/defineJob.js';
import { runJob, type JobRunResult } from '../src/jobs/runJob.js';
import { currentHold, placeHold, releaseHold } from '../src/jobs/core/scheduleHold.js';
import { initBackend } from '../src/ml/backend.js';
import { useTestDatabase } from './helpers/db.js';
import { waitFor } from './helpers/waitFor.js';

const database = useTestDatabase();
const DAY = 86_400_000;
let tmp: string;
let dataEnd: Date;
/** The pipeline's as-of: three weeks before the data ends. */
let D: Date;

async function run(job: JobDefinition, options: Record<string, unknown>): Promise<JobRunResult> {
  const outcome = await runJob(job, options, { database: database(), trigger: 'test' });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.value;
}

const dayOf = (d: Date) => d.toISOString().slice(0, 10);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-pipeline-'));
  await initBackend();
  await seedShop(database(), { customers: 150, days: 200, seed: 5, end: FIXED_SHOP_END });
  dataEnd = (await dataEndsAt(database()))!;
  D = new Date(Math.floor(dataEnd.getTime() / DAY) * DAY - 21 * DAY);
}, 240_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('dataEndsAt', () => {
  it('is the latest event time', async () => {
    const [latest] = await database().models.Event.collection.find({}).sort({ ts: -1 }).limit(1).toArray();
    expect(dataEnd).toEqual(latest!.ts);
  });
});

describe('training guard', () => {
  it("refuses a label window past the data's last event, naming it and the latest valid as-of", async () => {
    const asOf = new Date(dataEnd.getTime() - 10 * DAY);
    const result = await run(trainChurnJob, { asOf, horizon: 90, epochs: 2, modelsDir: tmp });
    expect(result.status).toBe('failed');
    expect(result.error?.type).toBe('TrainingRefused');
    // The data covers its last event's whole day.
    const latestValid = new Date(Math.ceil(dataEnd.getTime() / DAY) * DAY - 90 * DAY);
    expect(result.error?.message).toContain(`after the data's last event ${dataEnd.toISOString()}`);
    expect(result.error?.message).toContain(`Latest valid --as-of: ${dayOf(latestValid)} (last event − 90 days)`);
  });

  it('a pipeline as of a date after the data refuses before holding anything', async () => {
    const result = await run(pipelineJob, { asOf: new Date(dataEnd.getTime() + 5 * DAY) });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain(`the data's last event is ${dataEnd.toISOString()}`);
    expect(await currentHold(database())).toBeNull();
  });
});

describe('pipeline run --as-of', () => {
  let pipeline: JobRunResult;

  beforeAll(async () => {
    pipeline = await run(pipelineJob, {
      asOf: D,
      churnHorizon: 60,
      ltvHorizon: 90,
      sendTimeHorizon: 30,
      epochs: 3,
      modelsDir: tmp,
    });
    if (pipeline.status !== 'succeeded') throw new Error(`pipeline: ${pipeline.error?.message}`);
  }, 600_000);

  it('is one run whose steps are the stage jobs in order, each recorded with the pipeline as parent', async () => {
    const jobs = [
      'build-features',
      'train-churn',
      'train-first-purchase',
      'train-ltv',
      'train-send-time',
      'score-customers',
      'assign-segments',
    ];
    expect(pipeline.steps?.map((s) => [s.job, s.status])).toEqual(jobs.map((j) => [j, 'succeeded']));
    expect(pipeline.counts).toMatchObject({ steps: 7, modelsTrained: 4, customersScored: expect.any(Number) });
    const children = await database().models.JobRun.find({ parentRunId: pipeline.id }).lean();
    expect(children.map((c) => c.job).sort()).toEqual([...jobs].sort());
    expect(children.every((c) => c.trigger === 'pipeline')).toBe(true);
    // Each model trains at D − its horizon, so its labels end at D.
    const churn = children.find((c) => c.job === 'train-churn')!;
    expect(new Date((churn.options as { asOf: string }).asOf)).toEqual(new Date(D.getTime() - 60 * DAY));

    const key = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
    const listed = await request(buildApp({ database: database() }))
      .get('/v1/jobs')
      .query({ job: 'pipeline', status: 'succeeded' })
      .set('Authorization', `Bearer ${key}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items[0]).toMatchObject({
      id: pipeline.id,
      steps: jobs.map((job) => ({ job, status: 'succeeded' })),
    });
  });

  it('writes features, scores and segment counts as of D', async () => {
    const features = await database().models.Feature.collection.find({}).toArray();
    expect(features.length).toBeGreaterThan(0);
    expect(new Set(features.map((f) => (f.asOf as Date).getTime()))).toEqual(new Set([D.getTime()]));
    const scores = await database().models.Score.collection.find({}).toArray();
    expect(scores.length).toBe(features.length);
    for (const s of scores) {
      expect(s.asOf).toEqual(D);
      expect(s.featuresAsOf).toEqual(D);
      // Each cohort gets its own model's score.
      expect(s.cohort === 'buyer' ? s.churnRisk : s.firstPurchaseProbability).toEqual(expect.any(Number));
    }
    const counts = await database()
      .models.SegmentCount.collection.find({ day: dayOf(D) })
      .toArray();
    expect(counts.length).toBeGreaterThan(0);
  });

  it('holds the schedule: scheduled build-features and assign-segments skip and leave the as-of outputs alone, until released', async () => {
    const hold = await currentHold(database());
    expect(hold).toMatchObject({
      runId: pipeline.id,
      asOf: D,
      jobs: ['build-features', 'score-customers', 'assign-segments'],
    });
    const { Feature, CustomerSegments, JobRun, SegmentCount } = database().models;
    const before = {
      features: await Feature.collection.find({}).sort({ _id: 1 }).toArray(),
      segments: await CustomerSegments.collection.find({}).sort({ _id: 1 }).toArray(),
    };

    const worker = buildWorker({
      database: database(),
      jobs: [buildFeaturesJob, assignSegmentsJob],
      processEvery: 200,
    });
    await worker.start();
    try {
      await worker.agenda.now('build-features', { full: true });
      await worker.agenda.now('assign-segments', {});
      const skipped = await waitFor(async () => {
        const runs = await JobRun.find({ trigger: 'schedule', status: 'skipped' }).lean();
        return runs.length >= 2 && runs;
      });
      expect(skipped.map((r) => r.job).sort()).toEqual(['assign-segments', 'build-features']);
      for (const r of skipped) expect(r.notes?.[0]).toContain(`held by pipeline run ${pipeline.id}`);
    } finally {
      await worker.stop(5000);
    }
    expect(await Feature.collection.find({}).sort({ _id: 1 }).toArray()).toEqual(before.features);
    expect(await CustomerSegments.collection.find({}).sort({ _id: 1 }).toArray()).toEqual(before.segments);
    expect(await SegmentCount.collection.countDocuments({ day: dayOf(new Date()) })).toBe(0);

    // Released, the schedule's run goes through again (as of now).
    await releaseHold(database());
    const after = await runJob(assignSegmentsJob, {}, { database: database(), trigger: 'schedule' });
    expect(after.ok && after.value.status).toBe('succeeded');
  });
});

describe('score-customers --as-of', () => {
  it('scores from the feature snapshots of that date and stamps the scores with it', async () => {
    const D2 = new Date(D.getTime() - 14 * DAY);
    const snapshot = await run(buildFeaturesJob, { asOf: D2, snapshot: true });
    expect(snapshot.status).toBe('succeeded');
    const scored = await run(scoreCustomersJob, { asOf: D2 });
    expect(scored.status).toBe('succeeded');
    expect(scored.notes).toContain(`scored as of ${D2.toISOString()} from feature_snapshots computed as of it`);
    const snapshots = await database().models.FeatureSnapshot.collection.countDocuments({ asOf: D2 });
    expect(scored.counts.customers).toBe(snapshots);
    const scores = await database().models.Score.collection.find({ asOf: D2 }).toArray();
    expect(scores.length).toBe(snapshots);
    for (const s of scores) expect(s.featuresAsOf).toEqual(D2);
  });

  it('refuses a date with no features computed as of it, saying how to make them', async () => {
    const D3 = new Date(D.getTime() - 40 * DAY);
    const result = await run(scoreCustomersJob, { asOf: D3 });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe(
      `no features as of ${D3.toISOString()}: run \`breadcrumb job run build-features --as-of ${D3.toISOString()} --snapshot\` (or \`--full\`) first`,
    );
  });
});

describe('CLI help', () => {
  const cli = promisify(execFile);
  it('`job run --help` and `pipeline run --help` print help', async () => {
    const job = await cli('npx', ['tsx', 'src/cli/main.ts', 'job', 'run', '--help'], { encoding: 'utf8' });
    expect(job.stdout).toContain('Usage: breadcrumb job run <name>');
    expect(job.stderr).not.toContain('no job named');
    const pipeline = await cli('npx', ['tsx', 'src/cli/main.ts', 'pipeline', 'run', '--help'], { encoding: 'utf8' });
    expect(pipeline.stdout).toContain('--as-of  as-of date D (required)');
    expect(pipeline.stdout).toContain('--skip-training');
  }, 60_000);

  it('`pipeline status` and `pipeline release` report and lift the hold', async () => {
    const uri = new URL(inject('mongoUri'));
    uri.pathname = `/${database().db.databaseName}`;
    const env = { ...process.env, MONGODB_URI: uri.toString() };
    await placeHold(database(), { runId: 'cli-run', asOf: D, jobs: ['assign-segments'], by: 'test' });
    const held = await cli('npx', ['tsx', 'src/cli/main.ts', 'pipeline', 'status', '--json'], {
      encoding: 'utf8',
      env,
    });
    expect(JSON.parse(held.stdout)).toMatchObject({
      held: true,
      runId: 'cli-run',
      asOf: D.toISOString(),
      jobs: ['assign-segments'],
    });
    const released = await cli('npx', ['tsx', 'src/cli/main.ts', 'pipeline', 'release', '--json'], {
      encoding: 'utf8',
      env,
    });
    expect(JSON.parse(released.stdout)).toMatchObject({ released: true, hold: { runId: 'cli-run' } });
    expect(await currentHold(database())).toBeNull();
  }, 60_000);
});
