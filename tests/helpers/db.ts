import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/database.js';

/**
 * A fresh database (`bc_test_<uuid>`) on the run's shared server for one test file, dropped
 * afterwards. Returns a getter because the connection only exists once `beforeAll` has run.
 */
export function useTestDatabase(): () => Database {
  let database: Database | undefined;
  beforeAll(async () => {
    database = await connectDatabase({
      uri: inject('mongoUri'),
      dbName: `bc_test_${randomUUID().replaceAll('-', '')}`,
    });
  });
  afterAll(async () => {
    if (!database) return;
    await database.db.dropDatabase();
    await database.close();
  });
  return () => {
    if (!database) throw new Error('useTestDatabase(): the database is only available inside tests and hooks');
    return database;
  };
}
