import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Python's sqlite3 module edits the FerretDB database file: Node 20 has no SQLite of its own, and
// SQLite's file locking makes the edit safe while the server runs (it re-reads the schema).
const script = `
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
(table,) = con.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?", (sys.argv[2],)).fetchone()
index = table + "__id_"
con.execute("BEGIN IMMEDIATE")
con.execute(f'DROP INDEX "{index}"')
con.execute(f'CREATE UNIQUE INDEX "{index}" ON "{table}" (_ferretdb_sjson->"_id")')
con.execute("COMMIT")
`;

/**
 * Gives a collection the `_id` index stock FerretDB v1.24.2 creates, on `_ferretdb_sjson->"_id"`,
 * which its queries (filtering on `->'$._id'`) never use: a table as an unpatched build left it.
 */
export async function restoreStockIdIndex(dataDir: string, dbName: string, collection: string): Promise<void> {
  await run('python3', ['-c', script, path.join(dataDir, 'db', `${dbName}.sqlite`), collection]);
}
