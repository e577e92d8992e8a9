import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api/apiKeys.js';
import { buildApp } from '../src/api/buildApp.js';
import { trackingReport } from '../src/ingest/tracking/trackingReport.js';
import type { TrackingReport } from '../src/ingest/tracking/trackingReportSchema.js';
import { runCli } from './helpers/cli.js';
import { useTestDatabase } from './helpers/db.js';
import { openApiClient, type OpenApiClient } from './helpers/openApiClient.js';
import { seedTrackingFeed } from './helpers/trackingFeed.js';

const database = useTestDatabase();
let api: OpenApiClient;
let key = '';
let days: string[] = [];
// Five weeks ending on a past Sunday; segment's product_viewed breaks on the Wednesday of the last week.
const LAST_DAY = '2026-03-08';
const STOP_DAY = '2026-03-04';

const cli = (...args: string[]) => runCli(database(), ...args);

beforeAll(async () => {
  days = await seedTrackingFeed(database(), { lastDay: LAST_DAY, days: 35, stopDay: STOP_DAY });
  api = await openApiClient(buildApp({ database: database() }));
  key = (await createApiKey(database().models, { role: 'marketer', name: 'm' })).key;
}, 120_000);

const window = () => `from=${days[0]}&to=2026-03-09`;

describe('sudden drops in the tracking report', () => {
  it('flags the broken tag on the day it breaks, and nothing else over five weeks of weekly rhythm', async () => {
    const res = await api.get(`/v1/reports/tracking?${window()}`).set('Authorization', `Bearer ${key}`);
    expect(res.status).toBe(200);
    const report = res.body as TrackingReport;
    expect(report.rows.map((r) => `${r.source}/${r.type}`)).toEqual([
      'api/product_viewed',
      'segment/page_viewed',
      'segment/product_viewed',
    ]);
    const broken = report.rows.find((r) => r.source === 'segment' && r.type === 'product_viewed')!;
    expect(broken.drops.map((d) => d.day)).toEqual([
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-07',
      '2026-03-08',
    ]);
    expect(broken.drops[0]).toMatchObject({ events: 0, hours: 24, ratio: 0, baselineDays: 4 });
    expect(broken.volume.find((v) => v.at === '2026-03-03')!.events).toBeGreaterThan(80);
    for (const r of report.rows.filter((x) => x !== broken)) expect(r.drops, `${r.source}/${r.type}`).toEqual([]);
    expect(report.findings[0]).toMatchObject({ kind: 'drop', source: 'segment', type: 'product_viewed', count: 0 });
    expect(report.findings.filter((f) => f.kind === 'drop')).toHaveLength(5);
  });

  it('judges today on its complete hours only, against the same hours of the baseline days', async () => {
    const q = { from: '2026-03-03', to: '2026-03-05', by: 'hour' as const, source: 'segment', type: 'product_viewed' };
    // 09:30 on the day it breaks: no delivery is due before 10:00, so nothing is missing yet.
    const early = await trackingReport(database(), q, new Date('2026-03-04T09:30:00Z'));
    expect(early.rows[0]!.drops).toEqual([]);
    // 12:30: the 10:00 delivery is missing; compared over hours 0–11 only.
    const noon = await trackingReport(database(), q, new Date('2026-03-04T12:30:00Z'));
    expect(noon.rows[0]!.drops).toMatchObject([{ day: '2026-03-04', hours: 12, events: 0 }]);
    expect(noon.rows[0]!.drops[0]!.baseline).toBeLessThan(80);
    expect(noon.rows[0]!.volume).toHaveLength(48);
  });

  it('the CLI prints the same report as the API (--json), and a table that names the drop', async () => {
    const res = await api.get(`/v1/reports/tracking?${window()}`).set('Authorization', `Bearer ${key}`);
    const { stdout } = await cli('report', 'tracking', '--from', days[0]!, '--to', '2026-03-09', '--json');
    const fromCli = JSON.parse(stdout) as TrackingReport;
    expect({ ...fromCli, generatedAt: '' }).toEqual({ ...res.body, generatedAt: '' });
    const table = (await cli('report', 'tracking', '--from', days[0]!, '--to', '2026-03-09')).stdout;
    expect(table).toMatch(/segment\s+product_viewed\s+\d+/);
    expect(table).toMatch(/drop\s+segment\/product_viewed\s+2026-03-04: 0 events/);
    await expect(cli('report', 'tracking', '--from', '2026-03-09', '--to', '2026-03-01')).rejects.toMatchObject({
      stderr: expect.stringContaining('--to: must be after from'),
    });
  });
});
