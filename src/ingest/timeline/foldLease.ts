import { randomUUID } from 'node:crypto';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { isDuplicateKey } from '../../db/duplicateKey.js';

/** A holder that stops renewing (crashed, frozen) loses the partition after this long (FOLD_LEASE_SECONDS). */
export const foldLeaseMs = () => config().FOLD_LEASE_SECONDS * 1000;
const owner = `${process.pid}:${randomUUID()}`;

const leaseId = (partition: number) => `fold:${partition}`;

/**
 * Claims the right to fold a partition: an insert under a unique `_id`, atomic on MongoDB and on
 * FerretDB alike. An expired lease is deleted (matching its old owner and expiry) and claimed
 * again; the only race left is two processes taking over the same dead holder's lease at once.
 */
export async function claimFoldLease(database: Database, partition: number): Promise<boolean> {
  const leases = database.collections.foldLeases;
  const doc = { _id: leaseId(partition), owner, expiresAt: new Date(Date.now() + foldLeaseMs()) };
  try {
    await leases.insertOne(doc);
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const held = await leases.findOne({ _id: leaseId(partition) });
  if (!held || (held.expiresAt as Date) > new Date()) return false;
  await leases.deleteOne({ _id: leaseId(partition), owner: held.owner, expiresAt: held.expiresAt });
  try {
    await leases.insertOne(doc);
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return false;
  }
}

export async function renewFoldLease(database: Database, partition: number): Promise<void> {
  await database.collections.foldLeases.updateOne(
    { _id: leaseId(partition), owner },
    { $set: { expiresAt: new Date(Date.now() + foldLeaseMs()) } },
  );
}

export async function releaseFoldLease(database: Database, partition: number): Promise<void> {
  await database.collections.foldLeases.deleteOne({ _id: leaseId(partition), owner });
}

/** Claims the partition's fold lease, waiting while another fold holds it; throws after `waitMs`, naming `who` wanted it. */
export async function waitForFoldLease(
  database: Database,
  partition: number,
  who: string,
  waitMs: number,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await claimFoldLease(database, partition))) {
    if (Date.now() > deadline)
      throw new Error(
        `${who}: partition ${partition} stayed leased by another fold for ${Math.round(waitMs / 1000)} s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
