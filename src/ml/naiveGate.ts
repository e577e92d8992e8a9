import { cohortResults, type Cohort, type CohortResult, type JudgedRows, type NaiveTask } from './naiveBaselines.js';

/**
 * The promotion gate against the naive baselines: a version that loses to "days since last
 * order" (or order count, past revenue, the customer's own open hour) on the validation rows of
 * any cohort it will score is not promoted, whatever it does against the active version. The
 * baselines are computed from the same rows.
 */

/**
 * Fewer validation rows than this in a cohort are not judged: an AUC on a dozen customers moves
 * by ±0.15 from one draw to the next, and refusing on that would be refusing at random.
 */
export const MIN_JUDGED_ROWS = 30;

export interface NaiveVerdict {
  pass: boolean;
  /** For the run note and the version's notes: each loss with cohort, metric and both values. */
  reason: string;
  /** Scalars for the registry document: `val_<cohort>_<metric>` and `val_<cohort>_<naive model>`. */
  metrics: Record<string, number | null>;
  results: CohortResult[];
}

const fmt = (x: number) => x.toFixed(4);
const cohortKey = (c: Cohort) =>
  ({ prospects: 'prospects', 'one-time buyers': 'oneTime', 'repeat buyers': 'repeat', all: 'all' })[c];

/** Judges the predictions on the validation rows (`predicted` aligned with `rows`) in each cohort the model scores. */
export function naiveGate(
  task: NaiveTask,
  predicted: ArrayLike<number>,
  rows: JudgedRows,
  cohorts: readonly Cohort[],
): NaiveVerdict {
  return verdictOf(cohortResults(task, predicted, rows, { cohorts }));
}

export function verdictOf(results: readonly CohortResult[]): NaiveVerdict {
  const losses: string[] = [];
  const wins: string[] = [];
  const unjudged: string[] = [];
  const metrics: Record<string, number | null> = {};
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  for (const r of results) {
    metrics[`val_${cohortKey(r.cohort)}_${r.metric}`] = finite(r.model);
    for (const b of r.naive) metrics[`val_${cohortKey(r.cohort)}_${b.model}`] = finite(b.value);
    if (r.rows < MIN_JUDGED_ROWS || !Number.isFinite(r.model)) {
      unjudged.push(`${r.cohort} (${r.rows} rows)`);
      continue;
    }
    for (const b of r.naive) {
      if (!Number.isFinite(b.value)) continue;
      const line = `${r.cohort}: ${r.metric} ${fmt(r.model)} vs ${b.model} ${fmt(b.value)} (${r.rows} rows)`;
      (r.model < b.value ? losses : wins).push(line);
    }
  }
  const notJudged =
    unjudged.length > 0
      ? `; not judged (under ${MIN_JUDGED_ROWS} validation rows or no outcome to rank): ${unjudged.join(', ')}`
      : '';
  const reason =
    losses.length > 0
      ? `refused: loses to its naive baseline on the validation fold — ${losses.join('; ')}${notJudged}`
      : `beats its naive baselines on the validation fold${wins.length > 0 ? ` — ${wins.join('; ')}` : ''}${notJudged}`;
  return { pass: losses.length === 0, reason, metrics, results: [...results] };
}
