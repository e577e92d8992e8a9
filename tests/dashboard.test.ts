import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import job from '../jobs/attribution-report.js';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { runJob } from '../src/jobs/runJob.js';
import { period, seedAttributionShop } from './attribution.fixture.js';
import { useTestDatabase } from './helpers/db.js';

// Debian's chromium (CI installs it, see .ci/run), driven by playwright-core: no browser download.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.resolve(import.meta.dirname, 'artifacts');
const database = useTestDatabase();
let server: Server;
let base = '';
let key = '';
let browser: Browser;

async function seedChartData(): Promise<void> {
  const { SegmentCount, Segment, Score, CustomerSegments, ModelVersion } = database().models;
  await seedAttributionShop(database());
  const outcome = await runJob(job, period, { database: database(), trigger: 'api' });
  expect(outcome.ok && outcome.value.status).toBe('succeeded');
  const days = [3, 2, 1, 0].map((d) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10));
  await Segment.collection.insertOne({ _id: 'vip' as never, name: 'VIPs', rule: {} });
  await SegmentCount.collection.insertMany(
    days.map((day, i) => ({ _id: `vip:${day}` as never, segmentId: 'vip', day, size: 10 + i })),
  );
  await Score.collection.insertMany(
    Array.from({ length: 30 }, (_, i) => ({
      _id: `s${i}` as never,
      partition: 0,
      bestSendHour: (i * 7) % 24,
      sendHourConfidence: (i % 10) / 10,
    })),
  );
  await CustomerSegments.collection.updateOne(
    { _id: 'c1' as never },
    { $set: { lifecycle: { stage: 'active', history: [{ from: 'new', to: 'active' }] } } },
  );
  // A churn model with a calibration table in its meta.json, as training writes it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-model-'));
  const table = [0.1, 0.3, 0.5, 0.7, 0.9].map((p) => ({
    lo: p - 0.1,
    hi: p + 0.1,
    count: 20,
    meanPredicted: p,
    observedRate: p * 0.9,
  }));
  fs.writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify({ calibration: { method: 'platt', a: 1, b: 0 }, metrics: { calibrationTable: table } }),
  );
  await ModelVersion.collection.insertOne({
    name: 'churn',
    version: 'v1',
    status: 'active',
    featureSchema: ['recency'],
    metrics: { auc: 0.81, prAuc: 0.6 },
    path: dir,
    createdAt: new Date(),
  });
}

beforeAll(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  await seedChartData();
  key = (await createApiKey(database().models, { role: 'marketer', name: 'dashboard' })).key;
  server = buildApp({ database: database() }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('GET /dashboard', () => {
  it('serves the page and Chart.js from node_modules without a key', async () => {
    const page = await request(base).get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/dashboard/vendor/chart.umd.js');
    const lib = await request(base).get('/dashboard/vendor/chart.umd.js');
    expect(lib.status).toBe(200);
    expect(lib.text.length).toBeGreaterThan(100_000);
  });

  it('renders every chart in Chromium with data from the API, after asking for a key once', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 2200 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard`);
    await page.fill('#key', 'bc_wrong_key');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error:has-text("API key")');
    await page.fill('#key', key);
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

    const charts = await page.evaluate(() => {
      const all = (
        window as unknown as {
          breadcrumbCharts: Record<
            string,
            { data: { labels?: unknown[]; datasets: { data: unknown[] }[] }; canvas: HTMLCanvasElement }
          >;
        }
      ).breadcrumbCharts;
      return Object.fromEntries(
        Object.entries(all).map(([name, chart]) => {
          const { width, height } = chart.canvas;
          const pixels = chart.canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
          let inked = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++;
          return [
            name,
            {
              labels: chart.data.labels ?? [],
              points: chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
              inked,
            },
          ];
        }),
      );
    });
    expect(Object.keys(charts).sort()).toEqual([
      'ab',
      'attribution',
      'attributionValue',
      'calibration',
      'holdout',
      'kpiSegments',
      'lifecycle',
      'modelMetrics',
      'segmentSizes',
      'sendHours',
    ]);
    for (const [name, c] of Object.entries(charts)) {
      expect(c.points, `${name} has data`).toBeGreaterThan(0);
      expect(c.inked, `${name} drew pixels`).toBeGreaterThan(2000);
    }
    expect(charts.attribution!.labels).toContain('email click · flow welcome');
    expect(charts.ab!.labels).toEqual(['welcome:A', 'welcome:B']);
    expect(charts.holdout!.labels).toEqual(['welcome (2 vs 2 held out)']);
    await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });

    // The key lives in the tab: a reload draws again without asking.
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    expect(await page.isHidden('#login')).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
