import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKeyOnly } from './duplicateKey.js';

/**
 * insertMany that treats "already there" as success and returns the indexes of the documents that were;
 * any other failure is thrown. The one write that is safe on FerretDB as on MongoDB.
 */
export async function insertIgnoringDuplicates<T extends Document>(
  collection: Collection<T>,
  docs: readonly OptionalUnlessRequiredId<T>[],
): Promise<Set<number>> {
  if (!docs.length) return new Set();
  try {
    await collection.insertMany(docs, { ordered: false });
    return new Set();
  } catch (err) {
    if (!isDuplicateKeyOnly(err)) throw err;
    const list = (err as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
    return new Set((Array.isArray(list) ? list : list ? [list] : []).map((w) => w.index));
  }
}

/**
 * insertIgnoringDuplicates `size` documents at a time (one long insert holds FerretDB's only
 * writer); returns the indexes, into `docs`, of those already there.
 */
export async function insertInChunks<T extends Document>(
  collection: Collection<T>,
  docs: readonly OptionalUnlessRequiredId<T>[],
  size: number,
): Promise<Set<number>> {
  const duplicates = new Set<number>();
  for (let i = 0; i < docs.length; i += size)
    for (const k of await insertIgnoringDuplicates(collection, docs.slice(i, i + size))) duplicates.add(i + k);
  return duplicates;
}
