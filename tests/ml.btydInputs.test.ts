import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import { BTYD_FEATURES } from '../src/ml/btyd/btydInputs.js';
import { mulberry32 } from '../src/ml/trainLoop.js';
import {
  encodeRows,
  trainingSetFromEvents,
  withBtydInputs,
  withBtydValues,
  type TrainingEvent,
  type TrainingSet,
} from '../src/ml/trainingSet.js';

const T = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const H = 90;
const at = (days: number) => new Date(T.getTime() + days * DAY);

/** 120 customers buying at their own rate over the year before T; a fifth never buy. */
function history(): TrainingEvent[] {
  const random = mulberry32(7);
  const events: TrainingEvent[] = [];
  for (let c = 0; c < 120; c++) {
    const customerId = `c${c}`;
    events.push({ customerId, type: 'page_viewed', ts: at(-300 + c), props: {} });
    if (c % 5 === 0) continue;
    const rate = 0.005 + random() * 0.05;
    for (let d = -360 + c; d < 0; d++)
      if (d === -360 + c || random() < rate)
        events.push({
          customerId,
          type: 'order_completed',
          ts: at(d + random() * 0.9),
          props: { orderId: `${customerId}-${d}`, revenue: 20 + random() * 80 },
        });
  }
  return events;
}

/** Orders, opens and refunds after T, and an order exactly at T: none of it may reach the inputs. */
function future(): TrainingEvent[] {
  return Array.from({ length: 120 }, (_, c) => [
    { customerId: `c${c}`, type: 'order_completed', ts: at(1 + (c % 60)), props: { orderId: `f${c}`, revenue: 1000 } },
    { customerId: `c${c}`, type: 'email_opened', ts: at(2 + (c % 20) + (c % 24) / 24), props: { messageId: `m${c}` } },
    { customerId: `c${c}`, type: 'order_completed', ts: T, props: { orderId: `t${c}`, revenue: 5000 } },
  ]).flat();
}

let before: TrainingSet;
let after: TrainingSet;

beforeAll(async () => {
  await initBackend();
  before = await withBtydInputs(trainingSetFromEvents(history(), { asOf: T, horizonDays: H, population: 'all' }));
  after = await withBtydInputs(
    trainingSetFromEvents([...history(), ...future()], { asOf: T, horizonDays: H, population: 'all' }),
  );
});

describe('BG/NBD and Gamma-Gamma outputs as model inputs', () => {
  it('adds P(alive), expected purchases, expected spend and the wait to the next order as columns', () => {
    expect(before.btydError).toBeUndefined();
    expect(before.btyd).toMatchObject({
      horizonDays: H,
      bgnbd: { r: expect.any(Number) },
      gammaGamma: { p: expect.any(Number) },
    });
    for (const name of BTYD_FEATURES) expect(before.featureNames).toContain(name);
    // Customers who never ordered have no BTYD values: NaN raw, 0 plus a missing flag in X.
    expect(before.featureNames).toContain('btyd_missing');
    const pAlive = before.raw.btydPAlive!;
    const buyers = before.customerIds.map((id, i) => ({ id, i })).filter(({ id }) => Number(id.slice(1)) % 5 !== 0);
    for (const { i } of buyers) {
      expect(pAlive[i]).toBeGreaterThan(0);
      expect(pAlive[i]).toBeLessThanOrEqual(1);
      expect(before.raw.btydExpectedPurchases![i]).toBeGreaterThan(0);
      expect(before.raw.btydExpectedSpend![i]).toBeGreaterThan(0);
      expect(before.raw.btydDaysToNextOrder![i]).toBeGreaterThan(0);
    }
    expect(Number.isNaN(pAlive[before.customerIds.indexOf('c0')]!)).toBe(true);
  });

  it('takes nothing from events at or after T: the same parameters and the same matrix', () => {
    expect(after.customerIds).toEqual(before.customerIds);
    expect(after.btyd).toEqual(before.btyd);
    expect(after.featureNames).toEqual(before.featureNames);
    expect(Array.from(after.X)).toEqual(Array.from(before.X));
    // …while the labels do see the future.
    expect(Array.from(after.futureRevenue).every((v) => v >= 1000)).toBe(true);
    expect(Array.from(before.futureRevenue).every((v) => v === 0)).toBe(true);
    expect(after.nextOpenHour[after.customerIds.indexOf('c5')]).toBe(5);
    expect(before.nextOpenHour[0]).toBe(-1);
  });

  it('encodes a feature record at scoring time exactly as the training row, with the stored parameters', () => {
    const i = before.customerIds.indexOf('c7');
    const d = before.featureNames.length;
    const values: Record<string, unknown> = {};
    for (const [name, column] of Object.entries(before.raw))
      values[name] = Number.isFinite(column[i]!) ? column[i] : null;
    const scored = encodeRows([withBtydValues(values, before.btyd!)], before.columns);
    const btydColumns = before.columns.map((c, j) => (c.source.startsWith('btyd') ? j : -1)).filter((j) => j >= 0);
    for (const j of btydColumns) expect(scored[j]).toBeCloseTo(before.X[i * d + j]!, 5);
  });
});
