import fs from 'node:fs';
import zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import { expectedPurchases, fitBgNbd, nextPurchase, probabilityAlive, type BgNbdParams } from '../src/ml/btyd/bgnbd.js';
import { customerLifetimeValue, expectedAverageSpend, fitGammaGamma } from '../src/ml/btyd/gammaGamma.js';
import { hyp2f1 } from '../src/ml/btyd/hyp2f1.js';
import { lgamma } from '../src/ml/btyd/lgamma.js';
import { periodsBetween, rfmSummary, type RfmRow, type Transaction } from '../src/ml/btyd/summary.js';
import { CDNOW_SAMPLE_FILE } from '../src/ml/datasets/cdnow.js';
import { mae, pearson } from '../src/ml/metrics.js';

// The classic split: weeks 1–39 (1997-01-01 … 09-30) calibrate, weeks 40–78 (… 1998-06-30) are held out.
const calibrationEnd = new Date('1997-09-30');
const observationEnd = new Date('1998-06-30');

function loadCdnow(): Transaction[] {
  const lines = zlib.gunzipSync(fs.readFileSync(CDNOW_SAMPLE_FILE)).toString('utf8').trim().split('\n');
  // customer_id_master,customer_id_sample,date,number_of_cds,dollar_value
  return lines.slice(1).map((line) => {
    const [customerId, , date, , value] = line.split(',');
    return { customerId: customerId!, date: new Date(date!), value: Number(value) };
  });
}

const day = (iso: string) => new Date(iso);

describe('rfmSummary', () => {
  const transactions: Transaction[] = [
    { customerId: 'c1', date: day('2024-01-01T09:00Z'), value: 10 },
    { customerId: 'c1', date: day('2024-01-01T18:00Z'), value: 5 }, // same day: one purchase of 15
    { customerId: 'c1', date: day('2024-01-08'), value: 20 },
    { customerId: 'c1', date: day('2024-01-22T23:59Z'), value: 30 },
    { customerId: 'c1', date: day('2024-02-05'), value: 7 },
    { customerId: 'c1', date: day('2024-02-05'), value: 3 },
    { customerId: 'c1', date: day('2024-02-10'), value: 1 },
    { customerId: 'c1', date: day('2024-03-01'), value: 99 }, // after the observation end
    { customerId: 'c2', date: day('2024-01-15'), value: 40 },
    { customerId: 'c3', date: day('2024-02-01'), value: 50 }, // first bought after calibration
  ];
  const period = { calibrationEnd: day('2024-01-29'), observationEnd: day('2024-02-26') };

  it('summarises calibration and holdout per customer in weeks', () => {
    expect(rfmSummary(transactions, { ...period, unit: 'weeks' })).toEqual([
      // Days 0, 7, 21 of 28: two repeats averaging (20 + 30) / 2; holdout days Feb 5 and Feb 10.
      { customerId: 'c1', x: 2, t_x: 3, T: 4, monetary: 25, holdoutPurchases: 2, holdoutValue: 11 },
      { customerId: 'c2', x: 0, t_x: 0, T: 2, monetary: 0, holdoutPurchases: 0, holdoutValue: 0 },
    ]);
  });

  it('counts in days, and leaves holdout out without an observation end', () => {
    const rows = rfmSummary(transactions, { calibrationEnd: period.calibrationEnd, unit: 'days' });
    expect(rows[0]).toEqual({ customerId: 'c1', x: 2, t_x: 21, T: 28, monetary: 25 });
    expect(periodsBetween(period.calibrationEnd, period.observationEnd, 'weeks')).toBe(4);
  });
});

describe('special functions', () => {
  it('computes log-gamma in tf ops to float32 precision', async () => {
    await initBackend();
    // ln Γ at 0.1, ½ (ln √π), 1, 10 (ln 9!), 100 (ln 99!).
    const expected = [2.252712651734206, 0.5723649429247001, 0, 12.801827480081469, 359.1342053695754];
    const got = tf.tidy(() => lgamma(tf.tensor1d([0.1, 0.5, 1, 10, 100])).dataSync());
    expected.forEach((value, i) => expect(got[i]).toBeCloseTo(value, 4));
  });

  it('sums the hypergeometric series', () => {
    // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z.
    for (const z of [0.1, 0.5, 0.95]) expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 12);
    // A non-positive integer parameter ends the series: ₂F₁(−2, b; c; z) is a quadratic.
    expect(hyp2f1(-2, 3, 4, 0.5)).toBeCloseTo(1 - (2 * 3 * 0.5) / 4 + (2 * 1 * 3 * 4 * 0.25) / (4 * 5 * 2), 12);
  });
});

describe('BG/NBD and Gamma-Gamma on the CDNOW sample', () => {
  let rows: RfmRow[];
  let bgnbd: BgNbdParams;
  beforeAll(async () => {
    rows = rfmSummary(loadCdnow(), { calibrationEnd, observationEnd, unit: 'weeks' });
    await initBackend();
  });

  it('builds the classic summary: 2,357 customers, 946 repeat buyers', () => {
    expect(rows).toHaveLength(2357);
    expect(rows.filter((r) => r.x > 0)).toHaveLength(946);
    // Customer 1 of Fader & Hardie's cdnow_customers.csv: x = 2, t_x = 30.43, T = 38.86.
    expect(rows[0]).toMatchObject({ x: 2, t_x: 213 / 7, T: 272 / 7 });
  });

  it('recovers the published BG/NBD parameters by maximum likelihood', async () => {
    const fit = await fitBgNbd(rows);
    if (!fit.ok) throw new Error(fit.error.message);
    bgnbd = fit.value.params;
    // Fader, Hardie & Lee (2005) / lifetimes: r 0.243, α 4.414, a 0.793, b 2.426; LL −9582.4.
    const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    for (const [name, value] of Object.entries(published))
      expect(bgnbd[name as keyof BgNbdParams] / value).toBeCloseTo(1, 1.5);
    expect(fit.value.nll).toBeCloseTo(9582.4, 0);
    // How fast it fits: `npm run bench -- btyd`.
    // Deterministic: the same data gives the same fit, bit for bit.
    expect(await fitBgNbd(rows)).toEqual(fit);
  });

  it('predicts holdout purchases about as well as the issue quotes for BG/NBD (r ≈ 0.626, MAE ≈ 0.785)', () => {
    const horizon = periodsBetween(calibrationEnd, observationEnd, 'weeks');
    expect(horizon).toBe(39);
    const predicted = rows.map((r) => expectedPurchases(bgnbd, horizon, r.x, r.t_x, r.T));
    const actual = rows.map((r) => r.holdoutPurchases!);
    expect(pearson(predicted, actual)).toBeCloseTo(0.626, 2);
    expect(mae(predicted, actual)).toBeCloseTo(0.785, 2);
  });

  it('gives consistent per-customer quantities', () => {
    const [x, t_x, T] = [3, 20, 38];
    // The Euler-transformed series equals Fader-Hardie-Lee's eq. 10 as written.
    const { r, alpha, a, b } = bgnbd;
    const z = 10 / (alpha + T + 10);
    const direct = ((a + b + x - 1) / (a - 1)) * (1 - Math.pow(1 - z, r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z));
    const pAlive = probabilityAlive(bgnbd, x, t_x, T);
    expect(expectedPurchases(bgnbd, 10, x, t_x, T)).toBeCloseTo(direct * pAlive, 10);
    // Over a short window the expectation is P(alive) × posterior rate × t.
    const { waitIfAlive } = nextPurchase(bgnbd, x, t_x, T);
    expect(expectedPurchases(bgnbd, 1e-4, x, t_x, T) / 1e-4).toBeCloseTo(pAlive / waitIfAlive, 4);
    expect(probabilityAlive(bgnbd, 0, 0, T)).toBe(1);
    // A long silence after frequent buying makes a customer likely gone.
    expect(probabilityAlive(bgnbd, 10, 5, 38)).toBeLessThan(0.1);
  });

  it('recovers lifetimes’ Gamma-Gamma parameters on repeat buyers', async () => {
    const fit = await fitGammaGamma(
      rows.map((r) => r.x),
      rows.map((r) => r.monetary),
    );
    if (!fit.ok) throw new Error(fit.error.message);
    const gg = fit.value.params;
    // lifetimes' documented CDNOW fit: p 6.25, q 3.74, v 15.45.
    expect(gg.p / 6.25).toBeCloseTo(1, 1.5);
    expect(gg.q / 3.74).toBeCloseTo(1, 1.5);
    expect(gg.v / 15.45).toBeCloseTo(1, 1.5);
    // lifetimes' documented conditional expected average profit for the first three customers.
    expect(expectedAverageSpend(gg, rows[0]!.x, rows[0]!.monetary)).toBeCloseTo(24.66, 1);
    expect(expectedAverageSpend(gg, rows[1]!.x, rows[1]!.monetary)).toBeCloseTo(18.91, 1);
    expect(expectedAverageSpend(gg, 0, 0)).toBeCloseTo(35.17, 0);

    const customer = rows[0]!;
    const undiscounted = customerLifetimeValue({ bgnbd, gammaGamma: gg }, customer, { horizon: 52 });
    expect(undiscounted).toBeCloseTo(
      expectedPurchases(bgnbd, 52, customer.x, customer.t_x, customer.T) *
        expectedAverageSpend(gg, customer.x, customer.monetary),
      10,
    );
    const discounted = customerLifetimeValue({ bgnbd, gammaGamma: gg }, customer, {
      horizon: 52,
      discountRate: 0.01,
      periods: 12,
    });
    expect(discounted).toBeLessThan(undiscounted);
    expect(discounted).toBeGreaterThan(undiscounted / 1.01 ** 12);
  });

  it('reports bad input as data rather than throwing', async () => {
    expect(await fitBgNbd([])).toMatchObject({ ok: false, error: { type: 'no_data' } });
    expect(await fitBgNbd([{ x: 1, t_x: 5, T: 3 }])).toMatchObject({ ok: false, error: { type: 'invalid_data' } });
    expect(await fitGammaGamma([0, 0], [0, 0])).toMatchObject({ ok: false, error: { type: 'no_data' } });
    expect(await fitGammaGamma([2], [0])).toMatchObject({ ok: false, error: { type: 'invalid_data' } });
  });
});
