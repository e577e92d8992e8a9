import type { Express } from 'express';
import { beforeAll } from 'vitest';
import { createApiKey } from '../../src/api/apiKeys.js';
import { buildApp } from '../../src/api/buildApp.js';
import { useTestDatabase } from './db.js';

/**
 * For a GA4 test file: its database, the app and an ingest key (getters: they exist once
 * `beforeAll` has run), and `url` for a Measurement Protocol path with its query.
 */
export function useGa4Sender() {
  const database = useTestDatabase();
  let app: Express | undefined;
  let key = '';
  beforeAll(async () => {
    app = buildApp({ database: database() });
    key = (await createApiKey(database().models, { role: 'ingest', name: 'sgtm' })).key;
  });
  return {
    database,
    app: () => app!,
    key: () => key,
    url: (path: string, measurementId = 'G-TEST123', secret = key) =>
      `${path}?measurement_id=${measurementId}&api_secret=${encodeURIComponent(secret)}`,
  };
}
