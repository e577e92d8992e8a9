import { z } from 'zod';
import { config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { MergeDoc } from '../../db/models/merge.js';

const DAY = 86_400_000;
const timestamp = z.iso.datetime();

/** A merge as the API and the customer profile show it. */
export const mergeViewSchema = z
  .object({
    id: z.string(),
    survivor: z.string().meta({ description: 'The id the person is known by now' }),
    merged: z.string().meta({ description: 'The id merged into the survivor' }),
    reason: z.enum(['email', 'link', 'manual']),
    email: z.string().nullable().meta({ description: 'The normalised address both ids had (reason `email`)' }),
    status: z.enum(['started', 'done', 'undoing', 'undone', 'abandoned']),
    at: timestamp,
    by: z.string().meta({ description: '`job:merge-duplicates`, `api_key:<id>` or `cli:<user>`' }),
    moved: z.record(z.string(), z.unknown()).meta({
      description:
        'What moved, per step: enrolments (moved, ended), events copied, consent denied, derived documents dropped, messages',
    }),
    undoableUntil: timestamp
      .nullable()
      .meta({ description: 'An admin can undo it until then (MERGE_UNDO_DAYS); null: not undoable' }),
    undoneAt: timestamp.nullable(),
    undoneBy: z.string().nullable(),
  })
  .meta({ id: 'CustomerMerge' });
export type MergeView = z.infer<typeof mergeViewSchema>;

export function mergeView(m: MergeDoc): MergeView {
  const until = m.at.getTime() + config().MERGE_UNDO_DAYS * DAY;
  return {
    id: m._id,
    survivor: m.survivor,
    merged: m.merged,
    reason: m.reason,
    email: m.email ?? null,
    status: m.status,
    at: m.at.toISOString(),
    by: m.by,
    moved: m.moved as Record<string, unknown>,
    undoableUntil: m.status === 'done' && until > Date.now() ? new Date(until).toISOString() : null,
    undoneAt: m.undoneAt?.toISOString() ?? null,
    undoneBy: m.undoneBy ?? null,
  };
}

/** The merges naming a customer, as survivor or as merged id, newest first (the collection is small: one read). */
export async function mergesOf(database: Database, customerId: string): Promise<MergeView[]> {
  const docs = await database.collections.merges
    .find({ $or: [{ survivor: customerId }, { merged: customerId }] })
    .toArray();
  return docs.sort((a, b) => b.at.getTime() - a.at.getTime()).map(mergeView);
}
