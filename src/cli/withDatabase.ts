import { connectDatabase, type Database } from '../db/database.js';
import { status } from './output.js';

/** Connects (starting or joining the embedded server when needed), runs `fn`, and always closes. */
export async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await connectDatabase({ status });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}
