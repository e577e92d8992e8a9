import { createHash } from 'node:crypto';

/**
 * The form an erased person's address is kept in on the suppression list: `sha256:<hex>` of the
 * trimmed, lower-cased address. Stored in `suppressions.address` itself, so the unique
 * (address, channel) index still makes a second erasure a no-op, and the send-time check finds it
 * by hashing the address it is about to mail (see canSendBatch). A plain digest, not a keyed one,
 * on purpose: the list must keep working across deployments and secret rotations, and a hash that
 * only a known address can be matched against is what "never mail them again" needs.
 */
export function hashedAddress(address: string): string {
  return `sha256:${createHash('sha256').update(address.trim().toLowerCase()).digest('hex')}`;
}
