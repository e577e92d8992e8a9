import type { Collection, Document, Filter, OptionalUnlessRequiredId } from 'mongodb';
import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';

/** Ids per statement (SQLite binds one variable per id). */
const CHUNK = 500;

/**
 * `deleteMany $in` + `insertMany`, per chunk. Between the two another run may re-insert one of
 * the documents (an enrolment re-read from a trigger): its insert then wins the unique key and
 * ours is refused, so those are deleted and written again — the later state wins, as it would
 * with an update.
 */
async function replaceWhole<T extends Document & { _id: string }>(collection: Collection<T>, docs: T[]): Promise<void> {
  for (let i = 0; i < docs.length; i += CHUNK) {
    let pending = docs.slice(i, i + CHUNK);
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt === 5)
        throw new Error(
          `could not rewrite ${pending.length} documents of ${collection.collectionName}: they keep being re-inserted`,
        );
      // Filters and inserts of a generic document type are ones TypeScript cannot check.
      await collection.deleteMany({ _id: { $in: pending.map((d) => d._id) } } as Filter<T>);
      const refused = await insertIgnoringDuplicates(collection, pending as OptionalUnlessRequiredId<T>[]);
      pending = pending.filter((_, j) => refused.has(j));
    }
  }
}

interface Change<T> {
  doc: T;
  set: Partial<T>;
  inc?: Partial<Record<keyof T, number>>;
}

/**
 * Collects changes to documents read earlier in the run and writes them in bulk, in the form
 * the server survives. FerretDB decodes the whole table for every document a write by `_id`
 * touches (measured here: 500 status updates on 1,000 enrolments took 54 s, as `updateMany`
 * or one by one), so there the changed documents are rewritten whole (one `deleteMany $in` and
 * one `insertMany` per 500; see replaceWhole). That is a blind overwrite, which is safe
 * because the embedded server runs one worker (DESIGN.md); on MongoDB, where several workers
 * may change the same enrolment, each distinct `$set`/`$inc` is one `updateMany` on `_id`s, so
 * concurrent changes to different fields (an exit, an advance) never undo each other.
 */
export class DocumentWrites<T extends Document & { _id: string }> {
  private readonly changes = new Map<string, Change<T>>();

  add(doc: T, set: Partial<T>, inc?: Partial<Record<keyof T, number>>): void {
    const seen = this.changes.get(doc._id);
    if (seen) {
      Object.assign(seen.set, set);
      if (inc) seen.inc = { ...seen.inc, ...inc };
    } else this.changes.set(doc._id, { doc, set: { ...set }, ...(inc ? { inc } : {}) });
  }

  get size(): number {
    return this.changes.size;
  }

  async apply(database: Database, collection: Collection<T>): Promise<void> {
    const changes = [...this.changes.values()];
    this.changes.clear();
    if (!changes.length) return;
    if (database.ferretdb) {
      const docs = changes.map(({ doc, set, inc }) => {
        const out: Record<string, unknown> = { ...doc, ...set };
        for (const [k, v] of Object.entries(inc ?? {})) out[k] = Number(doc[k] ?? 0) + Number(v);
        return out as T;
      });
      await replaceWhole(collection, docs);
      return;
    }
    const groups = new Map<string, { update: Document; ids: string[] }>();
    for (const { doc, set, inc } of changes) {
      const update = inc ? { $set: set, $inc: inc } : { $set: set };
      const key = JSON.stringify(update, (_k, v: unknown) => (v instanceof Date ? `$date:${v.getTime()}` : v));
      const group = groups.get(key);
      if (group) group.ids.push(doc._id);
      else groups.set(key, { update, ids: [doc._id] });
    }
    for (const { update, ids } of groups.values()) {
      for (let i = 0; i < ids.length; i += CHUNK)
        await collection.updateMany({ _id: { $in: ids.slice(i, i + CHUNK) } } as Filter<T>, update);
    }
  }
}
