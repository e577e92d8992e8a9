import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSeedEnd, seedShop } from '../data/generator/seedShop.js';
import buildFeaturesJob from '../jobs/build-features.js';
import { trainDemoModels } from '../src/demo/demoModels.js';
import { loadJobs } from '../src/jobs/loadJobs.js';
import { runJob } from '../src/jobs/runJob.js';
import type { JobDefinition } from '../src/jobs/core/defineJob.js';
import { initBackend } from '../src/ml/backend.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
let tmp: string;
let jobs: JobDefinition[];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-demo-models-'));
  await initBackend();
  jobs = await loadJobs();
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const startupRuns = async () =>
  database().models.JobRun.collection.find({ trigger: 'startup' }).sort({ startedAt: 1 }).toArray();

describe('trainDemoModels', () => {
  it('leaves a database without the generated shop alone', async () => {
    const lines: string[] = [];
    const result = await trainDemoModels({
      database: database(),
      jobs,
      signal: new AbortController().signal,
      say: (m) => lines.push(m),
    });
    expect(result).toMatchObject({ trained: [], failed: [], stopped: false });
    expect(lines).toEqual([]);
    expect(await startupRuns()).toHaveLength(0);
  });

  it('stops on abort, resumes on the next call, scores, and does not retrain once models exist', async () => {
    // The demo's 365 days ending now, as `npm start` seeds them, with fewer customers.
    const { end } = await seedShop(database(), {
      customers: 300,
      days: 365,
      seed: 5,
      end: await defaultSeedEnd(database()),
    });
    expect(Date.now() - end.getTime()).toBeLessThan(60_000);
    const asOf = (horizonDays: number) => end.getTime() - horizonDays * DAY;
    const features = await runJob(buildFeaturesJob, { full: true }, { database: database(), trigger: 'test' });
    expect(features.ok && features.value.status).toBe('succeeded');
    const trainOptions = { epochs: 5, modelsDir: tmp };

    // Shutdown while churn trains: the run ends (recorded), nothing else starts.
    const stop = new AbortController();
    const first: string[] = [];
    const stopped = await trainDemoModels({
      database: database(),
      jobs,
      trainOptions,
      signal: stop.signal,
      say: (m) => (first.push(m), m.includes('training churn') && stop.abort()),
    });
    expect(stopped).toMatchObject({ trained: [], stopped: true });
    // The four training sets come from one read of the timelines, before the first model trains.
    expect(first[0]).toBe('demo models: building 4 training sets in one pass over the timelines…');
    expect(first[2]).toBe(`demo models: training churn (as of ${day(asOf(90))}, 90-day horizon)…`);
    expect((await startupRuns()).map((r) => [r.job, r.status])).toEqual([['train-churn', 'failed']]);
    expect(await database().models.ModelVersion.collection.countDocuments({})).toBe(0);

    const lines: string[] = [];
    const result = await trainDemoModels({
      database: database(),
      jobs,
      trainOptions,
      signal: new AbortController().signal,
      say: (m) => lines.push(m),
    });
    expect(result).toMatchObject({
      trained: ['churn', 'first-purchase', 'ltv', 'send-time'],
      failed: [],
      stopped: false,
    });
    expect(lines).toContain(`demo models: training ltv (as of ${day(asOf(180))}, 180-day horizon)…`);
    expect(lines).toContain(`demo models: training send-time (as of ${day(asOf(30))}, 30-day horizon)…`);
    expect(lines.at(-1)).toMatch(/^demo models: ready — scores for \d+ customers \(churn AUC /);
    expect(result.scored, lines.join('\n')).toBeGreaterThan(0);
    const runs = (await startupRuns()).slice(1);
    expect(runs.map((r) => [r.job, r.status])).toEqual([
      ['train-churn', 'succeeded'],
      ['train-first-purchase', 'succeeded'],
      ['train-ltv', 'succeeded'],
      ['train-send-time', 'succeeded'],
      ['score-customers', 'succeeded'],
      ['assign-segments', 'succeeded'],
    ]);
    expect(runs.slice(0, 4).map((r) => r.options)).toMatchObject([
      { asOf: new Date(asOf(90)), horizon: 90 },
      { asOf: new Date(asOf(30)), horizon: 30 },
      { asOf: new Date(asOf(180)), horizon: 180 },
      { asOf: new Date(asOf(30)), horizon: 30 },
    ]);
    const versions = await database()
      .models.ModelVersion.collection.find({}, { projection: { name: 1, asOf: 1 } })
      .toArray();
    expect(new Map(versions.map((v) => [v.name, v.asOf]))).toEqual(
      new Map([
        ['churn', new Date(asOf(90))],
        ['first-purchase', new Date(asOf(30))],
        ['ltv', new Date(asOf(180))],
        ['send-time', new Date(asOf(30))],
      ]),
    );

    const again: string[] = [];
    const later = await trainDemoModels({
      database: database(),
      jobs,
      trainOptions,
      signal: new AbortController().signal,
      say: (m) => again.push(m),
    });
    expect(later).toMatchObject({ trained: [], stopped: false });
    expect(later.scored).toBeUndefined();
    expect(again).toEqual([]);
    expect(await startupRuns()).toHaveLength(7);
  }, 300_000);
});
