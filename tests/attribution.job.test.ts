import { beforeAll, describe, expect, it } from 'vitest';
import job from '../jobs/attribution-report.js';
import type { Attribution } from '../src/attribution/credit.js';
import type { KpiRow } from '../src/attribution/kpis.js';
import { latestReport, type AttributionResult, type KpiResult } from '../src/attribution/report.js';
import { runJob } from '../src/jobs/runJob.js';
import { period, seedAttributionShop } from './attribution.fixture.js';
import { useTestDatabase } from './helpers/db.js';

const database = useTestDatabase();
let attribution: AttributionResult;
let kpis: KpiResult;

beforeAll(async () => {
  await seedAttributionShop(database());
  const outcome = await runJob(job, { from: period.from, to: period.to }, { database: database(), trigger: 'api' });
  expect(outcome.ok && outcome.value.status).toBe('succeeded');
  attribution = (await latestReport<AttributionResult>(database(), 'attribution'))!.result;
  kpis = (await latestReport<KpiResult>(database(), 'kpis'))!.result;
});

const credit = (a: Attribution) => Object.fromEntries(a.channels.map((c) => [c.channel, [c.conversions, c.value]]));
const W = 'email click · flow welcome';
const G = 'paid · google';

describe('attribution-report job', () => {
  it('builds one path per order inside the lookback windows, and keeps the non-converting one', () => {
    // Orders: c1 100, c2 50, c4 40, c5 20. c2's open is 10 days old and c5 had no touch: untouched.
    expect(attribution).toMatchObject({
      orders: 4,
      revenue: 210,
      journeys: 3,
      convertingJourneys: 2,
      untouched: { orders: 2, revenue: 70 },
    });
    // The machine open is no touch; c3's social visit and spring click make the null path.
    expect(Object.fromEntries(attribution.touches.map((t) => [t.channel, t.touches]))).toEqual({
      [W]: 2,
      [G]: 1,
      'social · instagram': 1,
      'email click · campaign spring': 1,
    });
  });

  it('credits the paths by every model', () => {
    expect(credit(attribution.models.first_touch)[W]).toEqual([2, 140]);
    expect(credit(attribution.models.last_touch)).toMatchObject({ [W]: [1, 40], [G]: [1, 100] });
    // Markov: start→W 2/3, start→social 1/3; W→G ½, W→conv ½; G→conv; social→spring→null.
    // P = 2/3. Without W: 0 (effect 1); without G: 1/3 (effect ½) → W 4/3, G 2/3.
    // Revenue: W ends in 40, G in 100: effects 1 and 5/7 → W 140·7/12, G 140·5/12.
    const m = credit(attribution.models.markov);
    expect(m[W]![0]).toBeCloseTo(4 / 3, 9);
    expect(m[G]![0]).toBeCloseTo(2 / 3, 9);
    expect(m[W]![1]).toBeCloseTo((140 * 7) / 12, 9);
    expect(m[G]![1]).toBeCloseTo((140 * 5) / 12, 9);
    expect(m['social · instagram']![0]).toBe(0);
    // Time decay (7-day half-life): c1's click is 2 days old, the paid visit 1 day.
    const [w2, w1] = [2 ** (-2 / 7), 2 ** (-1 / 7)];
    expect(credit(attribution.models.time_decay)[G]![0]).toBeCloseTo(w1 / (w1 + w2), 9);
  });

  it('email KPIs by flow, with the holdout comparison', () => {
    const welcome = kpis.by.flow.find((r) => r.key === 'welcome')!;
    expect(welcome).toMatchObject<Partial<KpiRow>>({
      sends: 2,
      delivered: 2,
      opens: 0,
      clicks: 2,
      clickToOpen: null,
      conversions: 2,
      revenue: 140,
      revenuePerEmail: 70,
      averageOrderValue: 70,
    });
    expect(welcome.roi).toBeCloseTo((140 - 0.002) / 0.002, 6);
    // Recipients c1 (100) and c4 (40) vs held-out c5 (20) and c6 (0): 70 − 10 = 60 ± 1.96·√(1800/2 + 200/2).
    expect(welcome.holdout).toMatchObject({
      recipients: 2,
      holdout: 2,
      revenuePerRecipient: 70,
      revenuePerHoldout: 10,
      incrementalPerRecipient: 60,
      attributedPerRecipient: 70,
    });
    expect(welcome.holdout!.ci95[0]).toBeCloseTo(60 - 1.96 * Math.sqrt(1000), 9);
  });

  it('by campaign, variant and segment', () => {
    const spring = kpis.by.campaign.find((r) => r.key === 'spring')!;
    expect(spring).toMatchObject({
      sends: 2,
      delivered: 2,
      opens: 1,
      clicks: 1,
      openRate: 0.5,
      clickRate: 0.5,
      clickToOpen: 1,
      unsubscribes: 1,
      unsubscribeRate: 0.5,
      conversions: 0,
      readingTimeSec: 30,
      holdout: null,
    });
    expect(Object.fromEntries(kpis.by.variant.map((r) => [r.key, r.revenue]))).toEqual({
      'welcome:A': 100,
      'welcome:B': 40,
    });
    // c4 left vip on the 10th, inside the period; c2 left before it.
    expect(kpis.by.segment).toEqual([expect.objectContaining({ key: 'vip', sends: 2, revenue: 140 })]);
  });

  it('lookback windows are per touch kind, and opens can be left out', async () => {
    const untouched = async (options: Record<string, unknown>) => {
      await runJob(job, { ...period, ...options }, { database: database(), trigger: 'api' });
      return (await latestReport<AttributionResult>(database(), 'attribution'))!.result.untouched.orders;
    };
    // c2's open, 10 days before the order, counts with a 15-day open window…
    expect(await untouched({ emailOpenDays: 15 })).toBe(1);
    // …unless opens are excluded; and with a 1-day click window c1's click (2 days before) drops out too.
    expect(await untouched({ emailOpenDays: 15, excludeOpens: true })).toBe(2);
    const touches = (await latestReport<AttributionResult>(database(), 'attribution'))!.result.touches;
    expect(touches.some((t) => t.channel.startsWith('email open'))).toBe(false);
    await runJob(job, { ...period, emailClickDays: 1 }, { database: database(), trigger: 'api' });
    const short = (await latestReport<AttributionResult>(database(), 'attribution'))!.result;
    expect(credit(short.models.first_touch)[W]).toEqual([1, 40]);
  });

  it('runs alone from the command line with --help', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('npx', ['tsx', 'jobs/attribution-report.ts', '--help'], { encoding: 'utf8' });
    expect(out).toContain('--email-click-days');
    expect(out).toContain('--exclude-opens');
  });
});
