import { connectDatabase, type Database } from '../db/database.js';
import { flushTracking } from '../ingest/tracking/trackingBuffer.js';
import { log } from '../log.js';
import { status } from './output.js';

/** Connects (starting or joining the embedded server when needed), runs `fn`, and always closes. */
export async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await connectDatabase({ status });
  try {
    return await fn(database);
  } finally {
    // Counters an import or a job gathered in memory (see trackingBuffer.ts).
    await flushTracking(database, { wait: true }).catch((err: unknown) =>
      log.warn({ err }, 'tracking counters of the last seconds not written'),
    );
    await database.close();
  }
}
