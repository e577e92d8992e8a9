import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { dayOffset } from '../src/ingest/tracking/drops.js';
import { useTestDatabase } from './helpers/db.js';
import { seedTrackingFeed } from './helpers/trackingFeed.js';

// Debian's chromium, driven by playwright-core (see tests/dashboard.test.ts).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.resolve(import.meta.dirname, 'artifacts');
const database = useTestDatabase();
const today = new Date().toISOString().slice(0, 10);
const stopDay = dayOffset(today, -3);
let server: Server;
let base = '';
let key = '';
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  // Five weeks up to yesterday; segment's product_viewed broke three days ago.
  await seedTrackingFeed(database(), { lastDay: dayOffset(today, -1), days: 35, stopDay });
  key = (await createApiKey(database().models, { role: 'marketer', name: 'dashboard' })).key;
  server = buildApp({ database: database() }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the dashboard’s tracking-quality panel', () => {
  it('draws the volume lines with the broken tag’s days in red and lists the drop first', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 2600 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard`);
    await page.fill('#key', key);
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

    const chart = await page.evaluate(() => {
      const c = (
        window as unknown as {
          breadcrumbCharts: Record<
            string,
            {
              data: { labels: string[]; datasets: { label: string; data: number[]; pointBackgroundColor: string[] }[] };
            }
          >;
        }
      ).breadcrumbCharts.tracking!;
      return { labels: c.data.labels, datasets: c.data.datasets.map((d) => ({ ...d })) };
    });
    expect(chart.labels).toHaveLength(7);
    const broken = chart.datasets[0]!;
    expect(broken.label).toBe('segment/product_viewed ⚠ drop');
    const red = chart.labels.filter((_, i) => broken.pointBackgroundColor[i] === '#dc2626');
    expect(red).toEqual([stopDay, dayOffset(today, -2), dayOffset(today, -1)]);
    expect(broken.data.slice(-4)).toEqual([0, 0, 0, 0]);
    for (const other of chart.datasets.slice(1)) expect(other.label).not.toContain('drop');

    const findings = await page.$$eval('#tracking-findings li', (items) =>
      items.map((li) => ({ kind: (li as HTMLElement).dataset.kind, text: li.textContent })),
    );
    expect(findings[0]).toMatchObject({ kind: 'drop' });
    expect(findings[0]!.text).toContain(`drop · segment/product_viewed: ${stopDay}: 0 events`);
    await page.locator('[data-chart="tracking"]').screenshot({ path: path.join(artifacts, 'dashboard-tracking.png') });
    expect(errors).toEqual([]);
    await context.close();
  });
});
