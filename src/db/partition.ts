import { createHash } from 'node:crypto';

/**
 * Stable partition of a customer id: the first 4 bytes of its MD5, modulo the partition count.
 * The same hash on every process and every language makes partitions a shared contract.
 */
export function partitionOf(customerId: string, partitions: number): number {
  return createHash('md5').update(customerId).digest().readUInt32BE(0) % partitions;
}
