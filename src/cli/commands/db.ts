import type { Command } from 'commander';
import { config, redactUri } from '../../config.js';
import { connectDatabase } from '../../db/database.js';
import { liveRecord, startEmbedded, stopServer } from '../../db/embedded.js';
import { buildFerretdb, findFerretdb } from '../../db/ferretdbBinary.js';
import { printJson, status } from '../output.js';

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('the database: embedded server control and status');

  db.command('start')
    .description('start the embedded database (FerretDB, or mongod when installed) and keep it running until Ctrl-C')
    .option('--detach', 'leave it running in the background; stop it with `breadcrumb db stop`')
    .option('--json', 'print {uri, pid, kind} as JSON')
    .action(async (opts: { detach?: boolean; json?: boolean }) => {
      if (config().MONGODB_URI) status('MONGODB_URI is set: Breadcrumb uses that server and needs no embedded one.');
      const server = await startEmbedded({ dataDir: config().DATA_DIR, detached: opts.detach, status });
      const info = {
        uri: server.uri,
        pid: server.pid,
        kind: server.kind,
        alreadyRunning: !server.owned && !opts.detach,
      };
      if (opts.json) printJson(info);
      else
        status(
          `${server.kind} ${info.alreadyRunning ? 'already running' : 'started'} at ${server.uri} (pid ${server.pid})`,
        );
      if (opts.detach || !server.owned) return;
      status('press Ctrl-C to stop');
      await new Promise<void>((resolve) => {
        const stop = () => void server.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  db.command('status')
    .description('where the database is and whether it answers')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = config();
      const record = c.MONGODB_URI ? undefined : await liveRecord(c.DATA_DIR);
      const uri = c.MONGODB_URI ?? record?.uri;
      let counts: Record<string, number> | undefined;
      if (uri) {
        const database = await connectDatabase({ uri, skipIndexes: true });
        counts = {
          customers: await database.estimatedCount('customers'),
          events: await database.estimatedCount('events'),
          products: await database.estimatedCount('products'),
        };
        await database.close();
      }
      const info = {
        uri: uri ? redactUri(uri) : null,
        source: c.MONGODB_URI ? 'MONGODB_URI' : record ? 'embedded' : 'none',
        running: Boolean(uri),
        pid: record?.pid ?? null,
        kind: record?.kind ?? null,
        dataDir: c.DATA_DIR,
        counts: counts ?? null,
      };
      if (opts.json) printJson(info);
      else
        status(
          uri
            ? `database at ${info.uri} (${info.source}${record ? `, pid ${record.pid}` : ''}) ${JSON.stringify(counts)}`
            : `no database running for ${c.DATA_DIR}; commands start one when needed`,
        );
    });

  db.command('build')
    .description('find the FerretDB binary, or build it from the Go module proxy (what the first start does)')
    .action(async () => {
      const found = await findFerretdb();
      if (found) status(`FerretDB found: ${found}`);
      else await buildFerretdb(status);
    });

  db.command('stop')
    .description('stop the embedded database recorded in the data directory')
    .action(async () => {
      const stopped = await stopServer(config().DATA_DIR);
      status(stopped ? 'embedded database stopped' : 'no embedded database was running');
    });
}
