import mongoose, { type Connection } from 'mongoose';
import type { AnyBulkWriteOperation, Collection, Db, Document } from 'mongodb';
import { config, redactUri } from '../config.js';
import { replaceById, safeBulkWrite, type BulkCounts } from './bulkWrite.js';
import { bindCollections, type Collections } from './collections.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';
import type { Status } from './ferretdbBinary.js';
import { bindModels, ensureIndexes, type Models } from './models/index.js';

export interface Database {
  uri: string;
  conn: Connection;
  /** The raw driver database, for hot paths where mongoose hydration costs too much. */
  db: Db;
  models: Models;
  /** The stored collections, typed by their documents (see collections.ts). */
  collections: Collections;
  /** Set when this process started or joined an embedded server. */
  server?: EmbeddedServer;
  /** `FerretDB v1.24.2` or `MongoDB 8.0.4`, from the server's buildInfo. */
  serverVersion: string;
  /** True on FerretDB, whose writes by `_id` scan the table and whose pool deadlocks on big update batches. */
  ferretdb: boolean;
  /** Bulk updates and replaces in a form the connected server survives (see bulkWrite.ts). */
  bulkWrite<T extends Document>(
    collection: Collection<T>,
    ops: AnyBulkWriteOperation<T>[],
    ordered?: boolean,
  ): Promise<BulkCounts>;
  /** Document count from collection statistics: `count` scans the whole table on FerretDB. */
  estimatedCount(collection: string): Promise<number>;
  /** Whole-document replace by `_id` for derived collections (see bulkWrite.ts). */
  replaceById<T extends Document & { _id: unknown }>(collection: Collection<T>, docs: T[]): Promise<number>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Overrides MONGODB_URI; when neither is set the embedded server is used. */
  uri?: string;
  dbName?: string;
  dataDir?: string;
  status?: Status;
  /** Skip creating collections and indexes (the caller knows they exist). */
  skipIndexes?: boolean;
}

export const DEFAULT_DB_NAME = 'breadcrumb';

/** Resolves where the database is: an explicit URI, or an embedded server started or joined. */
export async function resolveServer(opts: ConnectOptions = {}): Promise<{ uri: string; server?: EmbeddedServer }> {
  const uri = opts.uri ?? config().MONGODB_URI;
  if (uri) return { uri };
  const server = await startEmbedded({ dataDir: opts.dataDir ?? config().DATA_DIR, status: opts.status });
  return { uri: server.uri, server };
}

/**
 * Model calls made while the server is unreachable wait as long as driver calls do (mongoose's
 * default is 10 s), so a request during an outage gets its 503 after one selection timeout. A
 * documented createConnection option that mongoose's types leave out, hence the spread.
 */
const bufferLikeSelection = { bufferTimeoutMS: 5000 };

export async function connectDatabase(opts: ConnectOptions = {}): Promise<Database> {
  const { uri, server } = await resolveServer(opts);
  const conn = mongoose.createConnection(uri, {
    dbName: opts.dbName ?? (dbNameFromUri(uri) || DEFAULT_DB_NAME),
    serverSelectionTimeoutMS: 5000,
    ...bufferLikeSelection,
    autoIndex: false,
    autoCreate: false,
  });
  try {
    await conn.asPromise();
    await conn.db!.command({ ping: 1 });
  } catch (err) {
    await conn.close().catch(() => undefined);
    await server?.stop();
    throw new Error(
      `cannot reach the database at ${redactUri(uri)}: ${(err as Error).message}. Check MONGODB_URI (or unset it to use the embedded server).`,
      { cause: err },
    );
  }
  const models = bindModels(conn);
  const info = await conn.db!.admin().command({ buildInfo: 1 });
  const ferretdb = typeof info.ferretdbVersion === 'string';
  if (!opts.skipIndexes) await ensureIndexes(models, { uniqueOnly: ferretdb });
  return {
    uri,
    conn,
    db: conn.db!,
    models,
    collections: bindCollections(models),
    server,
    serverVersion: ferretdb ? `FerretDB ${info.ferretdbVersion}` : `MongoDB ${info.version}`,
    ferretdb,
    bulkWrite: (collection, ops, ordered) => safeBulkWrite(collection, ops, { ordered, chunked: ferretdb }),
    replaceById: (collection, docs) => replaceById(collection, docs, { chunked: ferretdb }),
    estimatedCount: async (collection) =>
      ferretdb
        ? Number((await conn.db!.command({ collStats: collection })).count ?? 0)
        : conn.db!.collection(collection).estimatedDocumentCount(),
    close: async () => {
      await conn.close();
      await server?.stop();
    },
  };
}

function dbNameFromUri(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : '';
}
