// Types and helpers shared by the benchmarks (run.ts imports each bench, so they cannot import run.ts).
import os from 'node:os';

export interface BenchResult {
  case: string;
  ours: number;
  baseline: number;
  unit: string;
  /** ours / baseline for throughput units; the bench says when a lower value is better. */
  ratio: number;
}

export interface BenchReport {
  bench: string;
  results: BenchResult[];
  env: Record<string, unknown>;
  [extra: string]: unknown;
}

/** One metric of one model on one task and cohort (`npm run bench -- models`); `model` is `breadcrumb` for ours, `naive_*` for the naive baselines. */
export interface ModelResult {
  dataset: string;
  /** Customers by orders before the cut: `one-time buyers`, `repeat buyers`, `prospects`, or `all`. */
  cohort: string;
  task: string;
  model: string;
  metric: string;
  value: number;
}

export interface ModelsReport {
  bench: 'models';
  results: ModelResult[];
  env: Record<string, unknown>;
}

export type Bench = (args: string[]) => Promise<BenchReport | ModelsReport>;

export function benchEnv(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, ...extra };
}
