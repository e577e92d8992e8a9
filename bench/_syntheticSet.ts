// A synthetic training set in memory, for benchmarks that measure model speed, not data access.
import type { ColumnSpec, TrainingSet } from '../src/ml/trainingSet.js';
import { mulberry32 } from '../src/ml/trainLoop.js';

/**
 * n customers × d standard-normal features; churn is a logistic function of a fixed linear mix
 * of them (so training has something to learn) and revenue is lognormal among non-churners.
 */
export function syntheticSet(n: number, d: number, seed = 1): TrainingSet {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const weights = Array.from({ length: d }, () => normal() / Math.sqrt(d));
  const X = new Float32Array(n * d);
  const churned = new Float32Array(n);
  const futureRevenue = new Float64Array(n);
  const split = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += weights[j]! * (X[i * d + j] = normal());
    churned[i] = random() < 1 / (1 + Math.exp(-2 * z)) ? 1 : 0;
    futureRevenue[i] = churned[i] ? 0 : Math.exp(3.5 + 0.5 * z + 0.7 * normal());
    const u = random();
    split[i] = u < 0.7 ? 0 : u < 0.85 ? 1 : 2;
  }
  const columns: ColumnSpec[] = Array.from({ length: d }, (_, j) => ({
    name: `f${j}`,
    source: `f${j}`,
    kind: 'value',
    transform: 'identity',
  }));
  return {
    asOf: new Date('2026-01-01T00:00:00Z'),
    horizonDays: 90,
    featureVersion: 0,
    rows: n,
    X,
    columns,
    featureNames: columns.map((c) => c.name),
    customerIds: Array.from({ length: n }, (_, i) => `c${i}`),
    churned,
    futureRevenue,
    futureOrders: Float64Array.from(futureRevenue, (v) => (v > 0 ? 1 : 0)),
    nextOpenHour: new Int8Array(n).fill(-1),
    raw: {},
    split,
    sources: { events: n, snapshots: 0 },
    eventsScanned: 0,
  };
}
