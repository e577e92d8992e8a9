/**
 * One-dimensional logistic regression p = σ(a·x + b), fitted by Newton's method (with
 * backtracking) on the log loss. It is both Platt scaling (x = the model's logit, fitted on validation rows)
 * and the recency-only baseline (x = a single feature).
 */
export interface LogisticFit {
  a: number;
  b: number;
  iterations: number;
  converged: boolean;
}

export interface LogisticOptions {
  /**
   * Platt's targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) instead of 1 and 0: without them a small or
   * separable validation set drives a to infinity (Platt 1999; Lin, Lin & Weng 2007).
   */
  plattTargets?: boolean;
  maxIterations?: number;
}

export function fitLogistic(x: ArrayLike<number>, y: ArrayLike<number>, opts: LogisticOptions = {}): LogisticFit {
  const n = x.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (y[i]! > 0.5) positives++;
  const negatives = n - positives;
  const hi = opts.plattTargets ? (positives + 1) / (positives + 2) : 1;
  const lo = opts.plattTargets ? 1 / (negatives + 2) : 0;
  const target = (i: number) => (y[i]! > 0.5 ? hi : lo);
  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  const loss = (a_: number, b_: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a_ * x[i]! + b_;
      // log(1 + e^z) − t·z, written so neither branch overflows.
      sum += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - target(i) * z;
    }
    return sum;
  };
  let current = loss(a, b);
  const maxIterations = opts.maxIterations ?? 100;
  for (let it = 1; it <= maxIterations; it++) {
    let ga = 0,
      gb = 0,
      haa = 0,
      hab = 0,
      hbb = 0;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-(a * x[i]! + b)));
      const r = p - target(i);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += r * x[i]!;
      gb += r;
      haa += w * x[i]! * x[i]!;
      hab += w * x[i]!;
      hbb += w;
    }
    // A small ridge keeps the 2 × 2 system solvable when x is (nearly) constant.
    haa += 1e-9;
    hbb += 1e-9;
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // Backtracking: a full Newton step can overshoot far from the optimum.
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) return { a, b, iterations: it, converged: true };
    a -= step * da;
    b -= step * db;
    const improvement = current - next;
    current = next;
    if (Math.abs(step * da) < 1e-9 && Math.abs(step * db) < 1e-9) return { a, b, iterations: it, converged: true };
    if (improvement < 1e-12 * Math.max(1, Math.abs(current))) return { a, b, iterations: it, converged: true };
  }
  return { a, b, iterations: maxIterations, converged: false };
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
