import { createHash } from 'node:crypto';
import { localHour, offsetFnFor } from '../../features/time.js';
import { DAY } from '../../features/read.js';
import { SPLITS, trainingSetFromEvents, type TrainingEvent, type TrainingSet } from '../trainingSet.js';

/** Customers are split into this many folds; each model is trained once per fold and scored on it. */
export const FOLDS = 5;
export const OPEN_HOURS = Array.from({ length: 24 }, (_, h) => `openHour_${String(h).padStart(2, '0')}`);
/** Raw values the BTYD models, the churn baselines and the send-time histogram read. */
const KEEP_RAW = [
  'recencyDays',
  'orders',
  'monetaryNet',
  'bgnbdX',
  'bgnbdTx',
  'bgnbdT',
  'bgnbdMonetary',
  ...OPEN_HOURS,
];

/**
 * One dataset as every model sees it, ours and the Python peers alike: the feature matrix of
 * `buildFeatures` at the cut T (only columns that vary), the labels of the holdout (T, T + H], and
 * a fixed fold per customer.
 */
export interface TrainingTable {
  dataset: string;
  /** How T and H were chosen, for the report. */
  cut: string;
  /** X, churned (no order in the holdout), futureRevenue; `split` is set per fold by `foldSet`. */
  set: TrainingSet;
  /** Distinct purchase days (UTC) in the holdout: what BG/NBD predicts. */
  holdoutPurchases: Float64Array;
  /** 0 … FOLDS − 1 by a hash of the customer id. */
  fold: Uint8Array;
  /** Present when the customers open emails: the open-hour histogram before T and the label. */
  sendTime?: {
    histograms: number[][];
    /** Local hour of the first human open in the holdout; −1 when there is none. */
    nextOpenHour: Int8Array;
    /** The simulator's hidden preferred hour (synthetic shop only). */
    trueHour?: Int8Array;
  };
}

export interface TableOptions {
  dataset: string;
  cut: string;
  asOf: Date;
  horizonDays: number;
  timezones?: ReadonlyMap<string, string>;
}

/** The fold of a customer; salted so it is independent of the partition hash and of `splitOf`. */
export function foldOf(customerId: string): number {
  return createHash('md5').update(`fold:${customerId}`).digest().readUInt32BE(0) % FOLDS;
}

/**
 * Builds the table from events held in memory (a file's, or a generated shop's): features from
 * events strictly before T, labels from events in (T, T + H], as `trainingSetFromEvents` does.
 * `events` is read twice (features, then holdout days and opens), so pass an array.
 */
export function tableFromEvents(events: readonly TrainingEvent[], opts: TableOptions): TrainingTable {
  const full = trainingSetFromEvents(
    events,
    { asOf: opts.asOf, horizonDays: opts.horizonDays, keepRaw: KEEP_RAW },
    { timezones: opts.timezones },
  );
  const set = withoutConstantColumns(full);
  const T = opts.asOf.getTime();
  const end = T + opts.horizonDays * DAY;
  const index = new Map(set.customerIds.map((id, i) => [id, i]));
  const purchaseDays = set.customerIds.map(() => new Set<number>());
  const firstOpen = new Array<number>(set.rows).fill(Infinity);
  let opens = 0;
  for (const e of events) {
    const i = e.customerId ? index.get(e.customerId) : undefined;
    const t = e.ts.getTime();
    if (i === undefined || !(t > T && t <= end)) continue;
    if (e.type === 'order_completed') purchaseDays[i]!.add(Math.floor(t / DAY));
    // Machine opens (mail privacy prefetch) say nothing about when the person reads.
    else if (e.type === 'email_opened' && e.props?.machineOpen !== true) {
      opens++;
      firstOpen[i] = Math.min(firstOpen[i]!, t);
    }
  }
  const table: TrainingTable = {
    dataset: opts.dataset,
    cut: opts.cut,
    set,
    holdoutPurchases: Float64Array.from(purchaseDays, (days) => days.size),
    fold: Uint8Array.from(set.customerIds, foldOf),
  };
  if (opens > 0) {
    table.sendTime = {
      histograms: set.customerIds.map((_, i) => OPEN_HOURS.map((h) => set.raw[h]![i] || 0)),
      nextOpenHour: Int8Array.from(set.customerIds, (id, i) =>
        Number.isFinite(firstOpen[i]) ? localHour(firstOpen[i]!, offsetFnFor(opts.timezones?.get(id) ?? 'UTC')) : -1,
      ),
    };
  }
  return table;
}

/** The table's set with the split of fold k: test = k, validation = the next fold, train = the rest. */
export function foldSet(table: TrainingTable, k: number): TrainingSet {
  const [train, validation, test] = SPLITS.map((s) => SPLITS.indexOf(s));
  const split = table.fold.map((f) => (f === k ? test! : f === (k + 1) % FOLDS ? validation! : train!));
  return { ...table.set, split };
}

/**
 * Columns that never vary carry nothing and would only widen the exported table (CDNOW has
 * orders only, so every browsing and email feature is 0).
 */
function withoutConstantColumns(set: TrainingSet): TrainingSet {
  const d = set.columns.length;
  const keep = set.columns.flatMap((_, j) => {
    for (let i = 1; i < set.rows; i++) if (set.X[i * d + j] !== set.X[j]) return [j];
    return [];
  });
  const X = new Float32Array(set.rows * keep.length);
  for (let i = 0; i < set.rows; i++) keep.forEach((j, c) => (X[i * keep.length + c] = set.X[i * d + j]!));
  const columns = keep.map((j) => set.columns[j]!);
  return { ...set, X, columns, featureNames: columns.map((c) => c.name) };
}
