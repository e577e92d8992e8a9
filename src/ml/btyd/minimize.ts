import * as tf from '@tensorflow/tfjs';

export type MinimizeOptions = {
  /** Stop when an accepted step lowers the objective by less than this, relative to max(1, |f|). */
  tolerance?: number;
  /** Stop when every gradient component is below this. */
  gradientTolerance?: number;
  maxIterations?: number;
  /** Number of (step, gradient change) pairs L-BFGS remembers. */
  memory?: number;
};

export type MinimizeResult = {
  theta: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
};

type Evaluation = { value: number; grad: number[] };

/**
 * Minimises a scalar tf objective of a small parameter vector by L-BFGS with a backtracking
 * (Armijo) line search. TF.js supplies the value and gradient; the quasi-Newton bookkeeping is a
 * handful of numbers, so it stays in float64 JS. Deterministic: no randomness anywhere.
 *
 * TF.js computes in float32, so near the optimum the objective stops being resolvable: when no
 * step along the search direction lowers it any more, the optimum has been reached to working
 * precision and that counts as converged.
 */
export function minimize(
  objective: (theta: tf.Tensor1D) => tf.Scalar,
  theta0: readonly number[],
  options: MinimizeOptions = {},
): MinimizeResult {
  const tolerance = options.tolerance ?? 1e-9;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 500;
  const memory = options.memory ?? 8;

  const valueAndGrad = tf.valueAndGrad(objective);
  let evaluations = 0;
  const evaluate = (theta: number[]): Evaluation => {
    evaluations++;
    return tf.tidy(() => {
      const { value, grad } = valueAndGrad(tf.tensor1d(theta));
      return { value: value.dataSync()[0]!, grad: Array.from(grad.dataSync()) };
    });
  };

  let theta = [...theta0];
  let current = evaluate(theta);
  if (!isFiniteEvaluation(current)) throw new Error('objective is not finite at the starting point');
  const steps: number[][] = [];
  const gradChanges: number[][] = [];

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (Math.max(...current.grad.map(Math.abs)) < gradientTolerance) return done(iteration - 1, true);
    let direction = searchDirection(current.grad, steps, gradChanges);
    let slope = dot(current.grad, direction);
    if (!(slope < 0)) {
      // The curvature memory no longer gives a descent direction: restart from steepest descent.
      steps.length = 0;
      gradChanges.length = 0;
      direction = searchDirection(current.grad, steps, gradChanges);
      slope = dot(current.grad, direction);
    }

    let step = 1;
    let next: Evaluation | undefined;
    let candidate: number[] = theta;
    for (let tries = 0; tries < 40; tries++, step /= 2) {
      candidate = theta.map((t, i) => t + step * direction[i]!);
      const trial = evaluate(candidate);
      if (isFiniteEvaluation(trial) && trial.value <= current.value + 1e-4 * step * slope) {
        next = trial;
        break;
      }
    }
    if (!next) return done(iteration - 1, true);

    const s = candidate.map((t, i) => t - theta[i]!);
    const y = next.grad.map((g, i) => g - current.grad[i]!);
    // Only pairs with positive curvature keep the inverse-Hessian estimate positive definite.
    if (dot(s, y) > 1e-12) {
      steps.push(s);
      gradChanges.push(y);
      if (steps.length > memory) {
        steps.shift();
        gradChanges.shift();
      }
    }
    const decrease = current.value - next.value;
    theta = candidate;
    current = next;
    if (decrease <= tolerance * Math.max(1, Math.abs(current.value))) return done(iteration, true);
  }
  return done(maxIterations, false);

  function done(iterations: number, converged: boolean): MinimizeResult {
    return { theta, value: current.value, iterations, evaluations, converged };
  }
}

/** The L-BFGS two-loop recursion: −H·g with H built from the remembered pairs. */
function searchDirection(grad: number[], steps: number[][], gradChanges: number[][]): number[] {
  const q = [...grad];
  const alphas: number[] = [];
  for (let k = steps.length - 1; k >= 0; k--) {
    const rho = 1 / dot(gradChanges[k]!, steps[k]!);
    const alpha = rho * dot(steps[k]!, q);
    alphas[k] = alpha;
    axpy(-alpha, gradChanges[k]!, q);
  }
  const last = steps.length - 1;
  // Initial scaling: the usual sᵀy / yᵀy, or a first step no longer than 1 in any coordinate.
  const gamma =
    last >= 0
      ? dot(steps[last]!, gradChanges[last]!) / dot(gradChanges[last]!, gradChanges[last]!)
      : 1 / Math.max(1, ...grad.map(Math.abs));
  const r = q.map((v) => v * gamma);
  for (let k = 0; k < steps.length; k++) {
    const rho = 1 / dot(gradChanges[k]!, steps[k]!);
    const beta = rho * dot(gradChanges[k]!, r);
    axpy(alphas[k]! - beta, steps[k]!, r);
  }
  return r.map((v) => -v);
}

function dot(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(alpha: number, x: number[], y: number[]): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}

function isFiniteEvaluation(e: Evaluation): boolean {
  return Number.isFinite(e.value) && e.grad.every(Number.isFinite);
}
