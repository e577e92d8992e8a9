/**
 * Evaluation metrics as pure functions over plain arrays, predictions first and truth second.
 * A metric that is undefined for its input (no positives, zero variance, empty input) is NaN,
 * so a report shows it as missing instead of a misleading number.
 */

type Values = ArrayLike<number>;

/** 1-based ranks, tied values sharing the mean of the ranks they span. */
export function averageRanks(values: Values): Float64Array {
  const order = sortedIndex(values, 'asc');
  const ranks = new Float64Array(values.length);
  forEachTieGroup(values, order, (start, end) => {
    const rank = (start + end + 1) / 2; // mean of the 1-based ranks start+1 … end
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
  });
  return ranks;
}

/** Area under the ROC curve via the Mann–Whitney statistic (ties count one half). */
export function rocAuc(pred: Values, y: Values): number {
  sameLength(pred, y);
  const ranks = averageRanks(pred);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! > 0.5) {
      positives++;
      rankSum += ranks[i]!;
    }
  }
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** PR-AUC as average precision: Σ (recallₙ − recallₙ₋₁) · precisionₙ over distinct thresholds. */
export function prAuc(pred: Values, y: Values): number {
  sameLength(pred, y);
  let positives = 0;
  for (let i = 0; i < y.length; i++) if (y[i]! > 0.5) positives++;
  if (positives === 0) return NaN;
  const order = sortedIndex(pred, 'desc');
  let tp = 0;
  let seen = 0;
  let ap = 0;
  forEachTieGroup(pred, order, (start, end) => {
    let groupTp = 0;
    for (let k = start; k < end; k++) if (y[order[k]!]! > 0.5) groupTp++;
    tp += groupTp;
    seen = end;
    ap += (groupTp / positives) * (tp / seen);
  });
  return ap;
}

export function brier(pred: Values, y: Values): number {
  sameLength(pred, y);
  return mean(pred.length, (i) => (pred[i]! - y[i]!) ** 2);
}

/** Binary cross-entropy with probabilities clipped to [eps, 1 − eps] so one confident miss stays finite. */
export function logLoss(pred: Values, y: Values, eps = 1e-15): number {
  sameLength(pred, y);
  return mean(pred.length, (i) => {
    const p = Math.min(1 - eps, Math.max(eps, pred[i]!));
    return -(y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p));
  });
}

export type CalibrationBin = {
  bin: number;
  lo: number;
  hi: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
};

/** Equal-width bins over [0, 1] (the last one closed); empty bins are left out, as in scikit-learn. */
export function calibrationTable(pred: Values, y: Values, bins = 10): CalibrationBin[] {
  sameLength(pred, y);
  const count = new Array<number>(bins).fill(0);
  const predSum = new Array<number>(bins).fill(0);
  const ySum = new Array<number>(bins).fill(0);
  for (let i = 0; i < pred.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(pred[i]! * bins)));
    count[b]!++;
    predSum[b]! += pred[i]!;
    ySum[b]! += y[i]!;
  }
  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const n = count[b]!;
    if (n > 0)
      table.push({
        bin: b,
        lo: b / bins,
        hi: (b + 1) / bins,
        count: n,
        meanPredicted: predSum[b]! / n,
        observedRate: ySum[b]! / n,
      });
  }
  return table;
}

/**
 * Gini of the ordering by prediction, divided by the Gini of the perfect ordering (by actual),
 * as used for LTV. Customers with tied predictions share their group's mean actual: the expected
 * value over every order the tie could have been broken in, rather than an arbitrary one.
 */
export function normalizedGini(pred: Values, actual: Values): number {
  sameLength(pred, actual);
  const perfect = gini(actual, actual);
  return perfect === 0 || Number.isNaN(perfect) ? NaN : gini(pred, actual) / perfect;
}

function gini(pred: Values, actual: Values): number {
  const n = pred.length;
  const order = sortedIndex(pred, 'desc');
  let total = 0;
  for (let i = 0; i < n; i++) total += actual[i]!;
  if (n === 0 || total === 0) return NaN;
  let cumulative = 0;
  let cumulativeSum = 0;
  forEachTieGroup(pred, order, (start, end) => {
    let group = 0;
    for (let k = start; k < end; k++) group += actual[order[k]!]!;
    const share = group / (end - start);
    for (let k = start; k < end; k++) {
      cumulative += share;
      cumulativeSum += cumulative;
    }
  });
  return (cumulativeSum / total - (n + 1) / 2) / n;
}

export function pearson(a: Values, b: Values): number {
  sameLength(a, b);
  const n = a.length;
  const meanA = mean(n, (i) => a[i]!);
  const meanB = mean(n, (i) => b[i]!);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - meanA;
    const db = b[i]! - meanB;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

export function spearman(a: Values, b: Values): number {
  sameLength(a, b);
  return pearson(averageRanks(a), averageRanks(b));
}

export function mae(pred: Values, actual: Values): number {
  sameLength(pred, actual);
  return mean(pred.length, (i) => Math.abs(pred[i]! - actual[i]!));
}

/**
 * Mean over deciles of predicted value of |Σ pred − Σ actual| / Σ actual. Tied predictions fall
 * in one decile (by average rank). Deciles whose actual total is 0 have no defined percentage
 * error and are skipped; NaN when every decile is.
 */
export function decileMape(pred: Values, actual: Values): number {
  sameLength(pred, actual);
  const n = pred.length;
  const ranks = averageRanks(pred);
  const predSum = new Array<number>(10).fill(0);
  const actualSum = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const d = Math.min(9, Math.floor((10 * (ranks[i]! - 1)) / n));
    predSum[d]! += pred[i]!;
    actualSum[d]! += actual[i]!;
  }
  let sum = 0;
  let deciles = 0;
  for (let d = 0; d < 10; d++) {
    if (actualSum[d]! === 0) continue;
    sum += Math.abs(predSum[d]! - actualSum[d]!) / actualSum[d]!;
    deciles++;
  }
  return deciles === 0 ? NaN : sum / deciles;
}

/**
 * Share of the actual total held by the top `share` of customers by prediction (round(share · n)
 * of them). A tie group straddling the cut contributes pro rata at its mean actual.
 */
export function topShareCapture(pred: Values, actual: Values, share = 0.2): number {
  sameLength(pred, actual);
  const n = pred.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += actual[i]!;
  if (total === 0) return NaN;
  const take = Math.round(share * n);
  const order = sortedIndex(pred, 'desc');
  let captured = 0;
  forEachTieGroup(pred, order, (start, end) => {
    if (start >= take) return;
    let group = 0;
    for (let k = start; k < end; k++) group += actual[order[k]!]!;
    captured += (group * (Math.min(end, take) - start)) / (end - start);
  });
  return captured / total;
}

/** Share of predictions within `tolerance` hours of the actual hour on the 24-hour circle (23 and 0 are 1h apart). */
export function hitRateWithin(predHour: Values, actualHour: Values, tolerance: number): number {
  sameLength(predHour, actualHour);
  return mean(predHour.length, (i) => {
    const diff = (((predHour[i]! - actualHour[i]!) % 24) + 24) % 24;
    return Math.min(diff, 24 - diff) <= tolerance ? 1 : 0;
  });
}

function mean(n: number, at: (i: number) => number): number {
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += at(i);
  return sum / n;
}

function sameLength(a: Values, b: Values): void {
  if (a.length !== b.length) throw new Error(`metric inputs differ in length: ${a.length} vs ${b.length}`);
}

function sortedIndex(values: Values, direction: 'asc' | 'desc'): Uint32Array {
  const order = Uint32Array.from({ length: values.length }, (_, i) => i);
  const sign = direction === 'asc' ? 1 : -1;
  return order.sort((i, j) => sign * (values[i]! - values[j]!) || i - j);
}

/** Calls `visit(start, end)` for each run [start, end) of equal values in `order`. */
function forEachTieGroup(values: Values, order: Uint32Array, visit: (start: number, end: number) => void): void {
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    visit(start, end);
    start = end;
  }
}
