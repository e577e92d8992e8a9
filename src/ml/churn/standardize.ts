/** Per-column mean and standard deviation of the training rows; stored in meta.json for scoring. */
export interface Standardization {
  means: number[];
  stds: number[];
}

export function computeStandardization(X: Float32Array, rows: number, d: number): Standardization {
  const means = new Array<number>(d).fill(0);
  const sq = new Array<number>(d).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) means[j]! += X[i * d + j]!;
  for (let j = 0; j < d; j++) means[j] = rows > 0 ? means[j]! / rows : 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) sq[j]! += (X[i * d + j]! - means[j]!) ** 2;
  // A constant column (std 0) is only centred: dividing by 1 keeps it at 0 instead of NaN.
  const stds = sq.map((s) => {
    const std = rows > 1 ? Math.sqrt(s / (rows - 1)) : 0;
    return std > 1e-6 ? std : 1;
  });
  return { means, stds };
}

/** (X − mean) / std, as a new matrix. */
export function standardize(X: Float32Array, { means, stds }: Standardization): Float32Array {
  const d = means.length;
  const out = new Float32Array(X.length);
  for (let k = 0; k < X.length; k++) {
    const j = k % d;
    out[k] = (X[k]! - means[j]!) / stds[j]!;
  }
  return out;
}
