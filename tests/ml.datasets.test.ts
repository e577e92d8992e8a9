import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CDNOW_SPLIT, cdnowTable, loadCdnow, readCdnowTransactions, type CdnowData } from '../src/ml/datasets/cdnow.js';
import { writeTableCsv } from '../src/ml/datasets/exportCsv.js';
import { onlineRetailTable } from '../src/ml/datasets/onlineRetail.js';
import { syntheticTable } from '../src/demo/syntheticTable.js';
import { FOLDS, foldOf, foldSet, tableFromEvents, type TrainingTable } from '../src/ml/datasets/trainingTable.js';
import { SPLITS } from '../src/ml/trainingSet.js';

const DAY = 86_400_000;
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('the CDNOW loader (classic split: weeks 1–39 calibrate, 40–78 holdout)', () => {
  let data: CdnowData;
  let table: TrainingTable;
  beforeAll(async () => {
    data = await loadCdnow();
    table = await cdnowTable();
  });

  it('reads every row and every customer of the sample', () => {
    expect(data.transactions).toHaveLength(6919);
    expect(data.customers).toHaveLength(2357);
    expect(data.rfm).toHaveLength(2357);
    expect(data.customers.every((c, i) => c.customerId === data.rfm[i]!.customerId)).toBe(true);
  });

  it('keeps calibration rows before the cut and counts holdout purchase days only inside (cut, end]', () => {
    const cut = CDNOW_SPLIT.calibrationEnd.getTime();
    const end = CDNOW_SPLIT.observationEnd.getTime();
    expect(
      data.customers.every((c) => c.calibration.length > 0 && c.calibration.every((t) => t.date.getTime() <= cut)),
    ).toBe(true);
    // Recounted from the raw rows, independently of rfmSummary.
    const days = new Map<string, Set<number>>();
    const value = new Map<string, number>();
    for (const t of data.transactions) {
      const at = t.date.getTime();
      if (at <= cut || at > end) continue;
      days.set(t.customerId, (days.get(t.customerId) ?? new Set()).add(at));
      value.set(t.customerId, (value.get(t.customerId) ?? 0) + t.value);
    }
    for (const c of data.customers) {
      expect(c.holdoutPurchases).toBe(days.get(c.customerId)?.size ?? 0);
      expect(c.holdoutValue).toBeCloseTo(value.get(c.customerId) ?? 0, 6);
    }
    expect(data.customers.reduce((s, c) => s + c.holdoutPurchases, 0)).toBe(1882);
  });

  it('gives the training table the same customers, BG/NBD summary and holdout labels', () => {
    const byId = new Map(data.customers.map((c, i) => [c.customerId, { c, rfm: data.rfm[i]! }]));
    const { set } = table;
    expect(set.rows).toBe(2357);
    set.customerIds.forEach((id, i) => {
      const { c, rfm } = byId.get(id)!;
      expect(table.holdoutPurchases[i]).toBe(c.holdoutPurchases);
      expect(set.futureRevenue[i]).toBeCloseTo(c.holdoutValue, 6);
      expect(set.churned[i]).toBe(c.holdoutPurchases === 0 ? 1 : 0);
      expect(set.raw.bgnbdX![i]).toBe(rfm.x);
      expect(set.raw.bgnbdT![i]).toBeCloseTo(rfm.T * 7, 9);
    });
    // Columns that never vary (every browsing and email feature of an orders-only log) are dropped.
    expect(set.featureNames).toContain('recencyDays');
    expect(set.featureNames).not.toContain('productViews30d');
    expect(table.sendTime).toBeUndefined();
  });

  it('splits customers into fixed folds: each in exactly one of train, validation and test', () => {
    const { fold, set } = table;
    expect(fold.every((f, i) => f === foldOf(set.customerIds[i]!) && f < FOLDS)).toBe(true);
    const sizes = Array.from({ length: FOLDS }, (_, k) => fold.filter((f) => f === k).length);
    for (const size of sizes) expect(size / set.rows).toBeGreaterThan(0.15);
    const testedIn = new Array<number>(set.rows).fill(0);
    for (let k = 0; k < FOLDS; k++) {
      const split = foldSet(table, k).split;
      const counts = SPLITS.map((_, code) => split.filter((s) => s === code).length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(set.rows);
      expect(counts[2]).toBe(sizes[k]);
      expect(counts[1]).toBe(sizes[(k + 1) % FOLDS]);
      split.forEach((s, i) => s === 2 && (testedIn[i] = testedIn[i]! + 1));
    }
    // Across the folds every customer is scored exactly once.
    expect(testedIn.every((n) => n === 1)).toBe(true);
  });

  it('exports the table as CSV with the manifest peers read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datasets-test-'));
    try {
      const { csv, manifest } = writeTableCsv(table, dir);
      const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
      const header = lines[0]!.split(',');
      expect(lines).toHaveLength(2358);
      expect(header.slice(0, 2)).toEqual(['customer_id', 'fold']);
      expect(header).toEqual(
        expect.arrayContaining(['f_recencyDays', 'btyd_bgnbdX', 'churn', 'holdout_purchases', 'holdout_revenue']),
      );
      const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      expect(m).toMatchObject({ dataset: 'cdnow', rows: 2357, folds: FOLDS, horizonDays: 273, sendTime: false });
      expect(m.features).toHaveLength(table.set.featureNames.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that is not a CDNOW log', async () => {
    const file = path.join(os.tmpdir(), `not-cdnow-${process.pid}.csv`);
    fs.writeFileSync(file, 'a,b\n1,2\n');
    try {
      await expect(readCdnowTransactions(file)).rejects.toThrow(/line 2 is not a CDNOW row/);
    } finally {
      fs.rmSync(file);
    }
  });
});

describe('training tables from events', () => {
  it('takes features strictly before T and labels only from (T, T + H]', () => {
    const asOf = day('2024-03-01');
    const order = (iso: string, revenue: number, customerId = 'a') => ({
      customerId,
      type: 'order_completed',
      ts: new Date(iso),
      props: { orderId: `${customerId}-${iso}`, revenue },
    });
    const events = [
      order('2024-01-10T10:00:00Z', 10),
      order('2024-02-20T10:00:00Z', 20),
      order('2024-03-01T00:00:00Z', 1000), // exactly at T: neither side
      order('2024-03-05T09:00:00Z', 30),
      order('2024-03-05T18:00:00Z', 5), // same day: one purchase day, both revenues
      order('2024-03-31T00:00:00Z', 40), // exactly at T + H: inside
      order('2024-04-02T00:00:00Z', 2000), // after the holdout
      { customerId: 'a', type: 'email_opened', ts: new Date('2024-03-07T14:30:00Z'), props: {} },
      { customerId: 'a', type: 'email_opened', ts: new Date('2024-03-06T08:30:00Z'), props: { machineOpen: true } },
      order('2024-02-01T10:00:00Z', 15, 'b'),
      order('2024-04-10T10:00:00Z', 99, 'b'),
      order('2024-03-10T10:00:00Z', 50, 'later'), // first order after T: not in the churn population
    ];
    const table = tableFromEvents(events, {
      dataset: 'unit',
      cut: 'test',
      asOf,
      horizonDays: 30,
      timezones: new Map([['a', 'Europe/Lisbon']]),
    });
    const { set } = table;
    expect(set.customerIds).toEqual(['a', 'b']);
    const orders = set.featureNames.indexOf('orders');
    const d = set.featureNames.length;
    // log1p of the orders before T: 2 for a, 1 for b (the order at T is not a feature).
    expect(set.X[orders]).toBeCloseTo(Math.log1p(2), 5);
    expect(set.X[d + orders]).toBeCloseTo(Math.log1p(1), 5);
    expect(Array.from(table.holdoutPurchases)).toEqual([2, 0]);
    expect(Array.from(set.futureRevenue)).toEqual([75, 0]);
    expect(Array.from(set.churned)).toEqual([0, 1]);
    // The human open at 14:30 UTC is 14:30 in Lisbon (winter time); the machine open is ignored.
    expect(Array.from(table.sendTime!.nextOpenHour)).toEqual([14, -1]);
    expect(asOf.getTime() + 30 * DAY).toBe(new Date('2024-03-31T00:00:00Z').getTime());
  });

  it('cuts an Online Retail file 90 days before the end of its last day', async () => {
    const file = path.join(os.tmpdir(), `retail-${process.pid}.csv`);
    const rows = [
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country',
      '1001,A,Mug,2,2011-01-05 10:00:00,3.5,17850,United Kingdom',
      '1002,B,Plate,1,2011-06-01 09:00:00,10,17850,United Kingdom',
      'C1003,B,Plate,-1,2011-06-02 09:00:00,10,17850,United Kingdom',
      '1004,A,Mug,4,2011-07-01 12:00:00,3.5,12346,France',
      '1005,A,Mug,1,2011-11-20 12:00:00,3.5,17850,United Kingdom',
      '1006,A,Mug,1,2011-12-09 12:50:00,3.5,99999,United Kingdom',
    ];
    fs.writeFileSync(file, `${rows.join('\n')}\n`);
    try {
      const table = await onlineRetailTable(file);
      expect(table.set.asOf.toISOString()).toBe('2011-09-11T00:00:00.000Z');
      expect(table.set.customerIds).toEqual(['12346', '17850']);
      expect(Array.from(table.holdoutPurchases)).toEqual([0, 1]);
      expect(Array.from(table.set.futureRevenue)).toEqual([0, 3.5]);
      expect(table.cut).toMatch(/last 90 days \(to 2011-12-09\)/);
    } finally {
      fs.rmSync(file);
    }
  });

  it('generates the synthetic shop with send-time labels and the true preferred hour', () => {
    const table = syntheticTable({ customers: 300, seed: 3 });
    const { set, sendTime } = table;
    expect(set.rows).toBeGreaterThan(50);
    expect(sendTime).toBeDefined();
    const hours = Array.from(sendTime!.nextOpenHour);
    expect(hours.every((h) => h >= -1 && h < 24)).toBe(true);
    expect(hours.some((h) => h >= 0)).toBe(true);
    expect(Array.from(sendTime!.trueHour!).every((h) => h >= 0 && h < 24)).toBe(true);
    expect(sendTime!.histograms.every((h) => h.length === 24)).toBe(true);
  });
});
