import type { Collections } from '../../db/collections.js';
import { valueAt } from './compile.js';
import type { CompiledSegment, Profile, QuantileCutoffs, QuantileSpec } from './types.js';

/**
 * The cut-off of "top/bottom p" over a population's values: the value at rank ⌈p·n⌉ from that end
 * (non-numbers are not ranked). Members are those at or beyond it, so ties at the cut-off all get in.
 */
export function cutoffOf(spec: Pick<QuantileSpec, 'side' | 'fraction'>, values: Iterable<unknown>): number | null {
  const nums: number[] = [];
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) nums.push(v);
  if (nums.length === 0) return null;
  nums.sort((a, b) => (spec.side === 'top' ? b - a : a - b));
  return nums[Math.max(0, Math.ceil(spec.fraction * nums.length) - 1)]!;
}

/** Every cut-off a compiled rule needs, over profiles held in memory. */
export function quantileCutoffs(
  compiled: Pick<CompiledSegment, 'quantiles'>,
  profiles: readonly Profile[],
): QuantileCutoffs {
  const out: QuantileCutoffs = {};
  for (const q of compiled.quantiles)
    out[q.id] = cutoffOf(
      q,
      profiles.map((p) => valueAt(p, q.field)),
    );
  return out;
}

type ProfileCollections = Pick<Collections, 'customers' | 'features' | 'scores'>;

/** Where a profile path's values are stored: collection and document path. */
function storedAt(collections: ProfileCollections, field: string) {
  const [root, ...rest] = field.split('.');
  const path = rest.join('.');
  if (root === 'features') return { collection: collections.features, path: `values.${path}` };
  if (root === 'scores') return { collection: collections.scores, path };
  return { collection: collections.customers, path };
}

/**
 * Population-wide cut-offs for a rule's quantiles, streaming only the ranked field (a quantile is
 * over every customer, not over one partition).
 */
export async function populationCutoffs(
  collections: ProfileCollections,
  compiled: Pick<CompiledSegment, 'quantiles'>,
): Promise<QuantileCutoffs> {
  const out: QuantileCutoffs = {};
  for (const q of compiled.quantiles) {
    const { collection, path } = storedAt(collections, q.field);
    const values: unknown[] = [];
    for await (const doc of collection.find({}, { projection: { [path]: 1 } })) {
      let v: unknown = doc;
      for (const key of path.split('.'))
        v =
          v !== null && typeof v === 'object' && Object.hasOwn(v, key)
            ? (v as Record<string, unknown>)[key]
            : undefined;
      values.push(v);
    }
    out[q.id] = cutoffOf(q, values);
  }
  return out;
}
