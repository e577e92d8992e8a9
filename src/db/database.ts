import mongoose, { type Connection } from 'mongoose';
import type { Db } from 'mongodb';
import { config, redactUri } from '../config.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';
import type { Status } from './ferretdbBinary.js';
import { bindModels, ensureIndexes, type Models } from './models/index.js';

export interface Database {
  uri: string;
  conn: Connection;
  /** The raw driver database, for hot paths where mongoose hydration costs too much. */
  db: Db;
  models: Models;
  /** Set when this process started or joined an embedded server. */
  server?: EmbeddedServer;
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

export async function connectDatabase(opts: ConnectOptions = {}): Promise<Database> {
  const { uri, server } = await resolveServer(opts);
  const conn = mongoose.createConnection(uri, {
    dbName: opts.dbName ?? (dbNameFromUri(uri) || DEFAULT_DB_NAME),
    serverSelectionTimeoutMS: 5000,
    autoIndex: false,
    autoCreate: false,
  });
  try {
    await conn.asPromise();
    await conn.db!.command({ ping: 1 });
  } catch (err) {
    await conn.close().catch(() => undefined);
    await server?.stop();
    throw new Error(`cannot reach the database at ${redactUri(uri)}: ${(err as Error).message}. Check MONGODB_URI (or unset it to use the embedded server).`);
  }
  const models = bindModels(conn);
  if (!opts.skipIndexes) await ensureIndexes(models);
  return {
    uri,
    conn,
    db: conn.db!,
    models,
    server,
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
