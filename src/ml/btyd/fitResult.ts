export type Fit<P> = { params: P; nll: number; iterations: number };

/** What a maximum-likelihood fit returns: the fit, or an expected failure a job can report. */
export type FitResult<P> =
  | { ok: true; value: Fit<P> }
  | { ok: false; error: { type: 'no_data' | 'invalid_data'; message: string } }
  | { ok: false; error: { type: 'not_converged'; message: string; last: Fit<P> } };

export type WeightedRow = { key: number[]; weight: number };

/**
 * Folds rows with identical likelihood inputs into one row weighted by their count, in order of
 * first appearance (so the fit is deterministic). Day-granular BTYD summaries repeat a lot: every
 * one-time buyer from the same first day is the same row.
 */
export function groupRows<T>(data: readonly T[], key: (row: T) => number[]): WeightedRow[] {
  const rows = new Map<string, WeightedRow>();
  for (const item of data) {
    const values = key(item);
    const id = values.join('|');
    const row = rows.get(id);
    if (row) row.weight++;
    else rows.set(id, { key: values, weight: 1 });
  }
  return [...rows.values()];
}
