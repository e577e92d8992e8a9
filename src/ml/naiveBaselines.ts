import { hitRateWithin, normalizedGini, rocAuc } from './metrics.js';
import { mostFrequentPastHour, openHistograms, shopWideBestHour } from './sendTime/baselines.js';
import { openHourPrior } from './sendTime/shrinkage.js';
import type { TrainingRows } from './trainingSet.js';

/**
 * What a marketer would use without us, per task and per cohort: "days since last order" and
 * "order count" for churn, past revenue for LTV, the customer's own most frequent open hour for
 * send time. The models bench reports them beside ours, and the promotion gate (naiveGate.ts)
 * refuses a version that loses to one of them on a cohort it will score.
 */

/** Customers by orders before T; `all` is every row judged. */
export const COHORTS = ['prospects', 'one-time buyers', 'repeat buyers', 'all'] as const;
export type Cohort = (typeof COHORTS)[number];
/** Cohorts of buyers: what the churn model scores (it is trained on buyers only). */
export const BUYER_COHORTS: readonly Cohort[] = ['one-time buyers', 'repeat buyers', 'all'];

export type NaiveModel =
  | 'naive_recency'
  | 'naive_frequency'
  | 'naive_past_revenue'
  | 'naive_open_hour'
  | 'naive_sessions'
  | 'naive_product_views'
  | 'naive_cart_adds';

/** What the metric and the naive predictors read: the raw features and the labels of the rows. */
export type JudgedRows = Pick<TrainingRows, 'rows' | 'raw' | 'churned' | 'futureRevenue' | 'nextOpenHour'>;

export interface TaskSpec {
  /** Registry metric name; higher is better for every task here. */
  metric: string;
  /** Rows the metric can judge (send time: customers with an open in the horizon). */
  judged(rows: JudgedRows, i: number): boolean;
  score(predicted: ArrayLike<number>, rows: JudgedRows, index: readonly number[]): number;
  naive: { model: NaiveModel; predict(rows: JudgedRows): ArrayLike<number> }[];
}

/** Raw feature values of the rows (NaN where absent, e.g. recency of a prospect). */
const raw = (rows: JudgedRows, name: string): Float64Array =>
  rows.raw[name] ?? new Float64Array(rows.rows).fill(Number.NaN);
const pick = (values: ArrayLike<number>, index: readonly number[]) => index.map((i) => values[i]!);

/**
 * The tasks with naive baselines. A task is added here with its metric and its naive predictors;
 * the first-purchase model (prospects) adds `first-purchase` with its own (e.g. days since the
 * last visit, cart adds) and scores the `prospects` cohort only.
 */
export const naiveTasks = {
  churn: {
    metric: 'auc',
    judged: () => true,
    score: (p, rows, index) => rocAuc(pick(p, index), pick(rows.churned, index)),
    naive: [
      // A customer whose last order is longer ago is more likely gone; one who ordered more often, less.
      {
        model: 'naive_recency',
        predict: (rows) => raw(rows, 'recencyDays').map((d) => (Number.isFinite(d) ? d : Number.MAX_VALUE)),
      },
      { model: 'naive_frequency', predict: (rows) => raw(rows, 'orders').map((n) => -(Number.isFinite(n) ? n : 0)) },
    ],
  },
  // Prospects: a first order within the horizon, against what a marketer would rank them by without us.
  'first-purchase': {
    metric: 'auc',
    judged: () => true,
    score: (p, rows, index) =>
      rocAuc(
        pick(p, index),
        pick(rows.churned, index).map((c) => 1 - c),
      ),
    naive: [
      { model: 'naive_sessions', predict: (rows) => raw(rows, 'sessions30d').map((n) => (Number.isFinite(n) ? n : 0)) },
      {
        model: 'naive_product_views',
        predict: (rows) => raw(rows, 'productViews30d').map((n) => (Number.isFinite(n) ? n : 0)),
      },
      {
        model: 'naive_cart_adds',
        predict: (rows) => raw(rows, 'cartAdds90d').map((n) => (Number.isFinite(n) ? n : 0)),
      },
    ],
  },
  ltv: {
    metric: 'gini',
    judged: () => true,
    score: (p, rows, index) => normalizedGini(pick(p, index), pick(rows.futureRevenue, index)),
    naive: [
      {
        model: 'naive_past_revenue',
        predict: (rows) => raw(rows, 'monetaryNet').map((v) => (Number.isFinite(v) ? v : 0)),
      },
    ],
  },
  'send-time': {
    metric: 'hit1h',
    judged: (rows, i) => rows.nextOpenHour[i]! >= 0,
    score: (p, rows, index) => hitRateWithin(pick(p, index), pick(rows.nextOpenHour, index), 1),
    naive: [
      {
        model: 'naive_open_hour',
        // The shop's prior (from the same rows' histograms, no labels) only breaks ties and serves customers without opens.
        predict: (rows) => {
          const histograms = openHistograms(rows);
          const prior = openHourPrior(histograms);
          const everyone = shopWideBestHour(histograms);
          return histograms.map((h) => mostFrequentPastHour(h, prior, everyone));
        },
      },
    ],
  },
} satisfies Record<string, TaskSpec>;
export type NaiveTask = keyof typeof naiveTasks;

/** The cohort of a row by its orders before T (a row without the count is a prospect). */
export function cohortOf(orders: number): Exclude<Cohort, 'all'> {
  if (!(orders >= 1)) return 'prospects';
  return orders === 1 ? 'one-time buyers' : 'repeat buyers';
}

/** One metric of the model and of each naive baseline on one cohort. */
export interface CohortResult {
  cohort: Cohort;
  rows: number;
  metric: string;
  /** NaN when the cohort cannot be judged (no rows, a single class, no revenue). */
  model: number;
  naive: { model: NaiveModel; value: number }[];
}

/**
 * The model's metric and its naive baselines', per cohort, on the rows `predicted` is aligned
 * with. `only` restricts to some rows (a fold), `cohorts` to the cohorts the model scores.
 */
export function cohortResults(
  task: NaiveTask,
  predicted: ArrayLike<number>,
  rows: JudgedRows,
  opts: { cohorts?: readonly Cohort[]; only?: readonly number[] } = {},
): CohortResult[] {
  const spec: TaskSpec = naiveTasks[task];
  const orders = raw(rows, 'orders');
  const candidates = (opts.only ?? Array.from({ length: rows.rows }, (_, i) => i)).filter((i) => spec.judged(rows, i));
  const naive = spec.naive.map((b) => ({ model: b.model, predicted: b.predict(rows) }));
  return (opts.cohorts ?? COHORTS).map((cohort) => {
    const index = cohort === 'all' ? candidates : candidates.filter((i) => cohortOf(orders[i]!) === cohort);
    const value = (p: ArrayLike<number>) => (index.length > 0 ? spec.score(p, rows, index) : Number.NaN);
    return {
      cohort,
      rows: index.length,
      metric: spec.metric,
      model: value(predicted),
      naive: naive.map((b) => ({ model: b.model, value: value(b.predicted) })),
    };
  });
}
