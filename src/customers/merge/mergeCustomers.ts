import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import type { MergeDoc, MergeReason } from '../../db/models/merge.js';
import { survivorsOf } from '../../ingest/identity.js';
import { runMerge } from './runMerge.js';

export interface MergeRequest {
  /** The id that goes: its history, enrolments and messages move to the survivor. */
  merged: string;
  survivor: string;
  reason: MergeReason;
  /** Who asked (`job:merge-duplicates`, `api_key:<id>`, `cli:<user>`). */
  by: string;
  email?: string;
  at?: Date;
}

export type MergeError =
  | { type: 'self'; message: string }
  | { type: 'loop'; message: string }
  | { type: 'already_merged'; message: string; mergeId: string }
  | { type: 'unknown_customer'; message: string; customerId: string }
  | { type: 'abandoned'; message: string };

export type MergeResult = { ok: true; value: MergeDoc } | { ok: false; error: MergeError };

/**
 * Merges one customer id into another. Both ids are first resolved through earlier merges, so a
 * chain (A into B, then B into C) ends with one survivor and a request naming an id merged
 * before acts on the person it became. Refused, with nothing written: an id merged into itself,
 * a merge that would close a loop (B into A after A into B) or repeat one, and an id with no
 * customer record — never seen, or erased (an erasure deletes the record, and the merges and
 * aliases that named the person: see eraseCustomer). Then the merge is recorded (`started`) and
 * run step by step (runMerge.ts).
 */
export async function mergeCustomers(database: Database, request: MergeRequest): Promise<MergeResult> {
  if (request.merged === request.survivor)
    return fail({ type: 'self', message: `customer ${request.merged} cannot be merged with itself` });
  const resolved = await survivorsOf(database, [request.merged, request.survivor]);
  const merged = resolved.get(request.merged) ?? request.merged;
  const survivor = resolved.get(request.survivor) ?? request.survivor;
  if (merged === survivor) {
    const alias = await database.collections.mergeAliases.findOne({ _id: request.merged });
    if (survivor === request.survivor && alias)
      return fail({
        type: 'already_merged',
        message: `customer ${request.merged} is already merged into ${survivor}`,
        mergeId: alias.mergeId,
      });
    return fail({
      type: 'loop',
      message: `merging ${request.merged} into ${request.survivor} would loop: ${request.survivor} is already merged into ${survivor}`,
    });
  }
  const known = new Set(
    (
      await database.collections.customers
        .find({ _id: { $in: [merged, survivor] } }, { projection: { _id: 1 } })
        .toArray()
    ).map((c) => c._id),
  );
  for (const id of [merged, survivor])
    if (!known.has(id))
      return fail({
        type: 'unknown_customer',
        message: `customer ${id} is not known (never seen, or erased): nothing merged`,
        customerId: id,
      });
  const merge: MergeDoc = {
    _id: randomUUID(),
    survivor,
    merged,
    reason: request.reason,
    ...(request.email ? { email: request.email } : {}),
    status: 'started',
    at: request.at ?? new Date(),
    by: request.by,
    moved: {},
  };
  await database.collections.merges.insertOne(merge);
  const run = await runMerge(database, merge);
  if (!run.ok)
    return fail({ type: 'abandoned', message: `customer ${merged} was merged by another request at the same time` });
  return { ok: true, value: run.merge };
}

const fail = (error: MergeError): MergeResult => ({ ok: false, error });
