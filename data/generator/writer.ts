import { MongoBulkWriteError, type Collection, type Document } from 'mongodb';

/**
 * Buffered raw-driver inserts for the generator's hot path. Chunks go out with unordered
 * `insertMany` while the next ones are generated (at most `maxInFlight` at a time, so memory
 * stays flat). Documents carry deterministic ids, so a re-run's duplicates fail with 11000: those
 * are counted and skipped, any other failure stops the run.
 */
export class BatchWriter {
  inserted = 0;
  duplicates = 0;
  private buffer: Document[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly collection: Collection,
    private readonly chunkSize = 5_000,
    private readonly maxInFlight = 2,
  ) {}

  async add(docs: readonly Document[]): Promise<void> {
    for (const doc of docs) this.buffer.push(doc);
    while (this.buffer.length >= this.chunkSize) await this.send(this.buffer.splice(0, this.chunkSize));
  }

  /** Sends what is buffered and waits for every insert; rethrows the first failure. */
  async flush(): Promise<void> {
    if (this.buffer.length > 0) await this.send(this.buffer.splice(0));
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  private async send(chunk: Document[]): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    const pending: Promise<void> = this.insert(chunk).then(
      () => void this.inFlight.delete(pending),
      (err: unknown) => {
        this.failure ??= err;
        this.inFlight.delete(pending);
      },
    );
    this.inFlight.add(pending);
  }

  private async insert(chunk: Document[]): Promise<void> {
    try {
      const result = await this.collection.insertMany(chunk, { ordered: false });
      this.inserted += result.insertedCount;
    } catch (err) {
      const duplicates = duplicateCount(err);
      if (duplicates === undefined) throw err;
      this.duplicates += duplicates;
      this.inserted += (err as MongoBulkWriteError).insertedCount;
    }
  }
}

/** How many writes failed as duplicate keys, or undefined when anything else went wrong. */
function duplicateCount(err: unknown): number | undefined {
  if (!(err instanceof MongoBulkWriteError) || err.result.hasWriteErrors() === false) return undefined;
  if (err.result.getWriteConcernError() !== undefined) return undefined;
  const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return writeErrors.every((w) => w.code === 11000) ? writeErrors.length : undefined;
}
