import { describe, expect, it } from 'vitest';
import {
  averageRanks,
  brier,
  calibrationTable,
  decileMape,
  hitRateWithin,
  logLoss,
  mae,
  normalizedGini,
  pearson,
  prAuc,
  rocAuc,
  spearman,
  topShareCapture,
} from '../src/ml/metrics.js';

// Every expected value below is worked out by hand in the comment beside it.
describe('classification metrics', () => {
  it('averages the ranks of ties', () => {
    expect(Array.from(averageRanks([0.5, 0.5, 0.2, 0.8]))).toEqual([2.5, 2.5, 1, 4]);
  });

  it('computes ROC AUC, counting a tie as half a win', () => {
    // Pairs (positive, negative): 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 → 3/4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    // Positives {0.5, 0.8} vs negatives {0.5, 0.2}: ½ + 1 + 1 + 1 = 3.5 of 4.
    expect(rocAuc([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toBe(0.875);
    expect(rocAuc([0.3, 0.6], [1, 1])).toBeNaN();
  });

  it('computes PR AUC as average precision over distinct thresholds', () => {
    // Descending: 0.8 (+) P=1 R=½; 0.4 (−); 0.35 (+) P=⅔ R=1 → ½·1 + ½·⅔.
    expect(prAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(5 / 6, 12);
    // The tied 0.5s enter together: after them P=⅔, R rises by ½.
    expect(prAuc([0.5, 0.5, 0.2, 0.8], [1, 0, 0, 1])).toBeCloseTo(5 / 6, 12);
  });

  it('computes Brier score and clipped log loss', () => {
    expect(brier([0.9, 0.2], [1, 0])).toBeCloseTo((0.01 + 0.04) / 2, 12);
    expect(logLoss([0.9, 0.2], [1, 0])).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8)) / 2, 12);
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-15), 6);
  });

  it('builds a calibration table of the non-empty bins', () => {
    const table = calibrationTable([0.05, 0.15, 0.12, 0.95, 1.0], [0, 1, 0, 1, 1]);
    expect(table.map((b) => b.bin)).toEqual([0, 1, 9]);
    expect(table[1]).toMatchObject({ lo: 0.1, hi: 0.2, count: 2, observedRate: 0.5 });
    expect(table[1]!.meanPredicted).toBeCloseTo(0.135, 12);
    expect(table[2]).toMatchObject({ count: 2, observedRate: 1 });
    expect(table[2]!.meanPredicted).toBeCloseTo(0.975, 12);
  });
});

describe('value and ranking metrics', () => {
  it('normalises the Gini by the perfect ordering and shares ties', () => {
    // By prediction: cumulative actual 10,10,15 → (35/15 − 2)/3 = 1/9; perfect 10,15,15 → 2/9.
    expect(normalizedGini([3, 2, 1], [10, 0, 5])).toBeCloseTo(0.5, 12);
    // A tie between 10 and 0 counts as 5 and 5: cumulative 5,10,15 → Gini 0.
    expect(normalizedGini([1, 1, 0], [10, 0, 5])).toBeCloseTo(0, 12);
    expect(normalizedGini([1, 2], [0, 0])).toBeNaN();
  });

  it('computes Pearson and Spearman (average ranks for ties)', () => {
    // Deviations (−1,0,1) and (−7/3,−1/3,8/3): 5 / √(2 · 38/3).
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(76 / 3), 12);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBeCloseTo(1, 12);
    // Ranks (1, 2.5, 2.5, 4) vs (1, 2, 3, 4): 4.5 / √(4.5 · 5).
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    expect(pearson([1, 1], [2, 3])).toBeNaN();
  });

  it('computes MAE and decile MAPE', () => {
    expect(mae([1, 2], [2, 4])).toBe(1.5);
    const pred = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    // Only the first decile is off: |1 − 2| / 2, averaged over 10 deciles.
    expect(decileMape(pred, [2, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBeCloseTo(0.05, 12);
    // A decile with no actual value is skipped; the second is off by |2 − 1| / 1.
    expect(decileMape(pred, [0, 1, 3, 4, 5, 6, 7, 8, 9, 10])).toBeCloseTo(1 / 9, 12);
  });

  it('captures the top share by prediction, splitting a tie at the cut pro rata', () => {
    // Top 2 of 5 by prediction hold 10 + 0 of 40.
    expect(topShareCapture([5, 4, 3, 2, 1], [10, 0, 20, 5, 5], 0.4)).toBe(0.25);
    // The 4s tie (0 and 20, mean 10) and one of them makes the cut: 10 + 10 of 40.
    expect(topShareCapture([5, 4, 4, 2, 1], [10, 0, 20, 5, 5], 0.4)).toBe(0.5);
  });

  it('measures send-hour hits on the 24-hour circle', () => {
    // Distances: 23→0 is 1h, 0→22 is 2h, 5→8 is 3h, 12→12 is 0h.
    expect(hitRateWithin([23, 0, 5, 12], [0, 22, 8, 12], 1)).toBe(0.5);
    expect(hitRateWithin([23, 0, 5, 12], [0, 22, 8, 12], 2)).toBe(0.75);
  });

  it('refuses inputs of different lengths', () => {
    expect(() => mae([1], [1, 2])).toThrow(/length/);
  });
});
