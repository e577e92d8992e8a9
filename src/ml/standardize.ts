/** Per-column mean and standard deviation, stored in a model's meta.json and applied at scoring. */
export type Standardizer = { means: number[]; stds: number[] };

export type Rows = readonly (readonly number[])[];
/**
 * Feature rows either as arrays or as one row-major matrix of `rows` rows (the training set's
 * `{ X, rows }`, so a split can be passed as it is).
 */
export type Matrix =
  Rows | { X: ArrayLike<number> & { subarray?: (start: number, end: number) => ArrayLike<number> }; rows: number };

export function rowCount(m: Matrix): number {
  return isRows(m) ? m.length : m.rows;
}

export function columnCount(m: Matrix): number {
  if (isRows(m)) return m[0]?.length ?? 0;
  return m.rows === 0 ? 0 : m.X.length / m.rows;
}

/** Rows [start, end) of a matrix, in the same representation. */
export function sliceRows(m: Matrix, start: number, end: number): Matrix {
  if (isRows(m)) return m.slice(start, end);
  const cols = columnCount(m);
  const to = Math.min(end, m.rows);
  const X = m.X.subarray
    ? m.X.subarray(start * cols, to * cols)
    : Array.prototype.slice.call(m.X, start * cols, to * cols);
  return { X, rows: Math.max(0, to - start) };
}

/** Column means and (population) standard deviations; a constant column gets std 1 so it maps to 0. */
export function fitStandardizer(m: Matrix, columns = columnCount(m)): Standardizer {
  const means = new Array<number>(columns).fill(0);
  const m2 = new Array<number>(columns).fill(0);
  // Welford's update: one pass, no catastrophic cancellation on large raw values (revenue in cents).
  forEachRow(m, columns, (row, i) => {
    for (let j = 0; j < columns; j++) {
      const v = row[j]!;
      const delta = v - means[j]!;
      means[j]! += delta / (i + 1);
      m2[j]! += delta * (v - means[j]!);
    }
  });
  const n = rowCount(m);
  const stds = m2.map((s) => {
    const std = n > 0 ? Math.sqrt(s / n) : 0;
    return std > 1e-12 ? std : 1;
  });
  return { means, stds };
}

/** Row-major standardised values, ready for `tf.tensor2d(values, [rows, columns])`. */
export function standardize(m: Matrix, { means, stds }: Standardizer): Float32Array {
  const columns = means.length;
  const out = new Float32Array(rowCount(m) * columns);
  forEachRow(m, columns, (row, i) => {
    for (let j = 0; j < columns; j++) out[i * columns + j] = (row[j]! - means[j]!) / stds[j]!;
  });
  return out;
}

function isRows(m: Matrix): m is Rows {
  return Array.isArray(m);
}

function forEachRow(m: Matrix, columns: number, visit: (row: ArrayLike<number>, i: number) => void): void {
  if (!isRows(m) && m.X.length !== m.rows * columns)
    throw new Error(`matrix of ${m.rows} rows has ${m.X.length} values, expected ${m.rows * columns}`);
  const n = rowCount(m);
  for (let i = 0; i < n; i++) {
    const row = isRows(m) ? m[i]! : (sliceRows(m, i, i + 1) as { X: ArrayLike<number> }).X;
    checkRow(row, columns, i);
    visit(row, i);
  }
}

function checkRow(row: ArrayLike<number>, columns: number, i: number): void {
  if (row.length !== columns) throw new Error(`row ${i} has ${row.length} values, expected ${columns}`);
  for (let j = 0; j < columns; j++) {
    if (!Number.isFinite(row[j]!))
      throw new Error(
        `row ${i} has a non-finite value (${row[j]}); impute missing features before training or scoring`,
      );
  }
}
