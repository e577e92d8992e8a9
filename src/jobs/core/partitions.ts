import { config } from '../../config.js';
import { isDuplicateKey } from '../../db/duplicateKey.js';
import type { JobContext } from './defineJob.js';

/**
 * Runs `work` once per customer partition this worker can claim for the run. The claim is an
 * insert under a unique key, the one primitive that is atomic on both MongoDB and FerretDB, so
 * several workers running the same occurrence split the partitions without doing any twice.
 * `only` restricts the run to some partitions (a worker started for part of the keyspace).
 */
export async function forEachPartition(
  ctx: JobContext,
  job: string,
  work: (partition: number) => Promise<void>,
  only?: number[],
): Promise<{ claimed: number; skipped: number }> {
  const partitions = only ?? Array.from({ length: config().PARTITIONS }, (_, p) => p);
  const leases = ctx.database.collections.jobLeases;
  let claimed = 0;
  let skipped = 0;
  for (const partition of partitions) {
    if (ctx.signal.aborted) break;
    try {
      await leases.insertOne({
        _id: `${job}:${ctx.runKey}:${partition}`,
        job,
        runKey: ctx.runKey,
        partition,
        worker: ctx.worker,
        createdAt: new Date(),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      skipped++;
      continue;
    }
    await work(partition);
    claimed++;
    ctx.progress(claimed + skipped, partitions.length);
  }
  return { claimed, skipped };
}
