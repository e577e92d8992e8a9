import type { Document } from 'mongodb';
import type { Database } from '../../db/database.js';

const projection = { _id: 0, customerId: 1, eventId: 1, type: 1, ts: 1, channel: 1, props: 1 } as const;

interface Request {
  limit: number;
  resolve: (events: Document[]) => void;
  reject: (err: unknown) => void;
}

const newestFirst = (a: Document, b: Document) => (b.ts as Date).getTime() - (a.ts as Date).getTime();

/**
 * One pass over the events for every customer asked about while the previous pass ran. On FerretDB
 * a query by `customerId` scans the whole events collection, and profile reads that each scan it
 * starve the server: measured with 50 readers during ingestion (tests/reliability.load.test.ts), no
 * profile was answered within a minute and ingestion fell from about 2,000 to 120 events/s. Shared
 * passes cost one scan per round however many readers wait.
 */
class SharedScan {
  private waiting = new Map<string, Request[]>();
  private running = false;

  constructor(private readonly database: Database) {}

  load(customerId: string, limit: number): Promise<Document[]> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(customerId);
      if (list) list.push({ limit, resolve, reject });
      else this.waiting.set(customerId, [{ limit, resolve, reject }]);
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Let the reads that arrive in this turn of the event loop join the first pass too.
    await new Promise(setImmediate);
    while (this.waiting.size > 0) {
      const round = this.waiting;
      this.waiting = new Map();
      try {
        const kept = new Map<string, { limit: number; events: Document[] }>([...round].map(([id, reqs]) => [id, { limit: Math.max(...reqs.map((r) => r.limit)), events: [] }]));
        const cursor = this.database.models.Event.collection.find({ customerId: { $in: [...round.keys()] } }, { projection, batchSize: 5000 });
        for await (const e of cursor) {
          const entry = kept.get(e.customerId as string)!;
          entry.events.push(e);
          // Only the newest `limit` are wanted: trim now and then, so a customer with a huge history stays small.
          if (entry.events.length > 2 * entry.limit + 100) entry.events = entry.events.sort(newestFirst).slice(0, entry.limit);
        }
        for (const [id, reqs] of round) {
          const events = kept.get(id)!.events.sort(newestFirst);
          for (const r of reqs) r.resolve(events.slice(0, r.limit));
        }
      } catch (err) {
        for (const reqs of round.values()) for (const r of reqs) r.reject(err);
      }
    }
    this.running = false;
  }
}

const scans = new WeakMap<Database, SharedScan>();

/** A customer's newest events (up to `limit`): one indexed query on MongoDB, a shared scan on FerretDB. */
export function recentEvents(database: Database, customerId: string, limit: number): Promise<Document[]> {
  if (!database.ferretdb) return database.models.Event.collection.find({ customerId }, { projection }).sort({ ts: -1 }).limit(limit).toArray();
  let scan = scans.get(database);
  if (!scan) scans.set(database, (scan = new SharedScan(database)));
  return scan.load(customerId, limit);
}
