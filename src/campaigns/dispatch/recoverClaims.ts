import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import type { MessageDoc } from '../../db/models/message.js';
import type { DeliveryLedger } from '../delivery/deliveryLedger.js';
import { recordOutcomes, storedMessages } from './sendMessages.js';

export interface RecoveryCounts {
  staleClaims: number;
  /** The message was stored, or the ledger shows it went: recorded as sent, not sent again. */
  confirmedSent: number;
  /** The ledger shows it never arrived: the claim is released and the step goes again. */
  released: number;
  /** No ledger to ask: recorded as failed, never sent again (at most once). */
  unknown: number;
}

/**
 * Settles claims older than the lease: their sender crashed (or was killed) between its claim
 * and the end of its batch. The lease must outlast a send (SMTP timeouts are 30 s; the default
 * lease is 10 minutes), or a slow but live sender's claim could be released and sent twice.
 *
 * Why a retry never sends twice: the claim was inserted right before the SMTP hand-off and the
 * message document right after the server's 250. So a stale claim is either (a) recorded — the
 * message exists; (b) accepted by the server in the instant before the record; or (c) never
 * accepted. Only a ledger tells (b) from (c): with one, (b) is recorded as sent and (c) released
 * and sent again under the same id (so the same Message-ID); without one, both are recorded as
 * failed and never sent again — a possible loss, never a duplicate. Each stale claim is settled
 * by one worker: it takes a lease (an insert under a unique key) first.
 */
export async function recoverClaims(
  database: Database,
  opts: { leaseMs: number; worker: string; ledger?: DeliveryLedger },
): Promise<RecoveryCounts> {
  const counts: RecoveryCounts = { staleClaims: 0, confirmedSent: 0, released: 0, unknown: 0 };
  const stale = await database.collections.messageClaims
    .find({ claimedAt: { $lt: new Date(Date.now() - opts.leaseMs) } })
    .toArray();
  counts.staleClaims = stale.length;
  if (!stale.length) return counts;

  const leases = stale.map((c) => ({
    _id: `recover:${c._id}:${c.claimedAt.getTime()}`,
    job: 'dispatch-campaigns',
    runKey: 'recover',
    partition: c.message.partition,
    worker: opts.worker,
    createdAt: new Date(),
  }));
  const lost = await insertIgnoringDuplicates(database.collections.jobLeases, leases);
  const mine = stale.filter((_, i) => !lost.has(i));
  const stored = await storedMessages(
    database,
    mine.map((c) => c._id),
  );
  const unrecorded = mine.filter((c) => !stored.has(c._id));
  const accepted = opts.ledger ? await opts.ledger.accepted(unrecorded.map((c) => c._id)) : new Set<string>();

  const done: string[] = [];
  const records: MessageDoc[] = [];
  for (const c of mine) {
    const message = stored.get(c._id);
    if (message) {
      // Crashed after storing the message: make sure its send event exists too.
      records.push(message);
      if (message.status === 'sent') counts.confirmedSent++;
    } else if (accepted.has(c._id)) {
      records.push({ ...c.message, status: 'sent', sentAt: c.message.scheduledFor });
      counts.confirmedSent++;
    } else if (opts.ledger) counts.released++;
    else {
      records.push({
        ...c.message,
        status: 'failed',
        error: 'interrupted during sending; outcome unknown, not sent again (at most once)',
      });
      counts.unknown++;
    }
    done.push(c._id);
  }
  // One batch of inserts (a stored message is kept as it is; its event is added if missing).
  await recordOutcomes(database, records);
  if (done.length) await database.collections.messageClaims.deleteMany({ _id: { $in: done } });
  return counts;
}
