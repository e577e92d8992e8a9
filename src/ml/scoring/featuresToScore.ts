import type { Database } from '../../db/database.js';
import { FEATURE_VERSION } from '../../features/buildFeatures.js';
import type { FeatureDoc } from '../../db/models/feature.js';

/** Where a scoring run's features came from. */
export type FeatureSource = 'features' | 'snapshots' | 'features-as-of';

export interface FeaturesToScore {
  byPartition: Map<number, FeatureDoc[]>;
  source: FeatureSource;
}

/**
 * The feature documents of the claimed partitions, in one pass over a collection (on FerretDB a
 * filter on `partition` is a full scan anyway).
 *
 * Without `asOf`: the current `features`. With it, features as of exactly that date: the
 * `feature_snapshots` build-features wrote for it (`--as-of D --snapshot`) when there are any,
 * else the current features computed as of it (`--as-of D --full`, what a pipeline run writes);
 * null when neither exists, so scoring never mixes in features of another date.
 */
export async function featuresToScore(
  database: Database,
  claimed: readonly number[],
  partitions: number,
  asOf: Date | undefined,
  onRead: () => void,
): Promise<FeaturesToScore | null> {
  const byPartition = new Map<number, FeatureDoc[]>(claimed.map((p) => [p, []]));
  const onlyClaimed = byPartition.size === partitions ? {} : { partition: { $in: [...claimed] } };
  const read = async <D extends FeatureDoc>(cursor: AsyncIterable<D>, id: (doc: D) => string): Promise<number> => {
    let n = 0;
    for await (const doc of cursor) {
      byPartition.get(doc.partition)?.push({ ...doc, _id: id(doc) });
      if (++n % 5000 === 0) onRead();
    }
    return n;
  };
  const { features, featureSnapshots } = database.collections;
  const options = { projection: { computedAt: 0 }, batchSize: 5000 };
  if (!asOf) {
    await read(features.find(onlyClaimed, options), (d) => d._id);
    return { byPartition, source: 'features' };
  }
  const snapshots = await read(
    featureSnapshots.find({ ...onlyClaimed, asOf, version: FEATURE_VERSION }, options),
    (d) => d.customerId,
  );
  if (snapshots > 0) return { byPartition, source: 'snapshots' };
  const current = await read(features.find({ ...onlyClaimed, asOf }, options), (d) => d._id);
  return current > 0 ? { byPartition, source: 'features-as-of' } : null;
}
