import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { buildFerretdb, findFerretdb, onPath, type Status } from './ferretdbBinary.js';

/** What the process that started the embedded server records in the data directory. */
export interface ServerRecord {
  uri: string;
  pid: number;
  /** Process whose exit stops the server; null when started detached (`db start --detach`). */
  ownerPid: number | null;
  kind: 'ferretdb' | 'mongod';
  startedAt: string;
}

export interface EmbeddedServer extends ServerRecord {
  /** True when this process started the server and will stop it on exit. */
  owned: boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  /** Leave the server running after this process exits (no parent-death signal). */
  detached?: boolean;
  status?: Status;
  readyTimeoutMs?: number;
  /**
   * Listen on this port instead of a free one: a server restarted on the port it had is found
   * again by clients that are already connected (their driver keeps reconnecting to that address).
   */
  port?: number;
}

const dbDir = (dataDir: string) => path.join(dataDir, 'db');
export const recordPath = (dataDir: string) => path.join(dbDir(dataDir), 'server.json');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function ping(uri: string, timeoutMs = 2000): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export function readRecord(dataDir: string): ServerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordPath(dataDir), 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
}

/** The record of a live server on this data directory; a stale record (dead pid) is removed. */
export async function liveRecord(dataDir: string): Promise<ServerRecord | undefined> {
  const record = readRecord(dataDir);
  if (!record) return undefined;
  if (isAlive(record.pid) && (await ping(record.uri))) return record;
  if (!isAlive(record.pid)) fs.rmSync(recordPath(dataDir), { force: true });
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function serverCommand(
  dataDir: string,
  port: number,
  status: Status,
): Promise<{ kind: ServerRecord['kind']; argv: string[] }> {
  const mongod = await onPath('mongod');
  if (mongod) {
    const dir = path.join(dbDir(dataDir), 'mongod');
    fs.mkdirSync(dir, { recursive: true });
    return {
      kind: 'mongod',
      argv: [mongod, '--dbpath', dir, '--bind_ip', '127.0.0.1', '--port', String(port), '--quiet'],
    };
  }
  const ferretdb = (await findFerretdb()) ?? (await buildFerretdb(status));
  const dir = dbDir(dataDir);
  return {
    kind: 'ferretdb',
    argv: [
      ferretdb,
      '--handler=sqlite',
      // WAL with synchronous=NORMAL: an app crash loses nothing and the file never corrupts; only an OS
      // crash can drop the last commits. FULL (the default) fsyncs every update, about 17 ms each here.
      `--sqlite-url=file:${dir}/?_pragma=synchronous(normal)`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${dir}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
  };
}

/**
 * Only one process may start a server on a data directory at a time; the lock file is created
 * exclusively and holds the starter's pid so that a crashed starter's lock can be taken over.
 */
async function withStartLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dbDir(dataDir), 'start.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (!holder || !isAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for process ${holder} to start the database`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Connects to the server already running on `dataDir`, or starts one. A server this process
 * starts dies with it: the kernel sends it SIGTERM when we die (setpriv --pdeathsig), which also
 * covers a crash or SIGKILL of this process, where no exit handler runs.
 */
export async function startEmbedded(opts: StartOptions): Promise<EmbeddedServer> {
  const status = opts.status ?? (() => undefined);
  fs.mkdirSync(dbDir(opts.dataDir), { recursive: true });
  return withStartLock(opts.dataDir, async () => {
    const existing = await liveRecord(opts.dataDir);
    if (existing) return { ...existing, owned: false, stop: async () => undefined };

    const port = opts.port ?? (await freePort());
    const { kind, argv } = await serverCommand(opts.dataDir, port, status);
    const setpriv = opts.detached ? undefined : await onPath('setpriv');
    const [cmd, ...args] = setpriv ? [setpriv, '--pdeathsig', 'SIGTERM', ...argv] : argv;
    const logFile = fs.openSync(path.join(dbDir(opts.dataDir), `${kind}.log`), 'a');
    const child = spawn(cmd!, args, {
      cwd: dbDir(opts.dataDir),
      stdio: ['ignore', logFile, logFile],
      // Its own process group even when we own it (pdeathsig still ends it with us): a terminal's
      // Ctrl-C goes to the whole foreground group, and a server killed by it at once would fail
      // the jobs and requests the shutdown is letting finish, and lose their run records.
      detached: Boolean(opts.detached) || setpriv !== undefined,
    });
    fs.closeSync(logFile);
    const uri = `mongodb://127.0.0.1:${port}/`;
    await waitReady(child, uri, opts.readyTimeoutMs ?? 30_000, opts.dataDir, kind);

    const record: ServerRecord = {
      uri,
      pid: child.pid!,
      ownerPid: opts.detached ? null : process.pid,
      kind,
      startedAt: new Date().toISOString(),
    };
    fs.writeFileSync(recordPath(opts.dataDir), JSON.stringify(record, null, 2));

    if (opts.detached) {
      child.unref();
      return { ...record, owned: false, stop: async () => void (await stopServer(opts.dataDir)) };
    }
    const onExit = () => {
      child.kill('SIGTERM');
      removeRecordIfOurs(opts.dataDir, record.pid);
    };
    process.once('exit', onExit);
    return {
      ...record,
      owned: true,
      stop: async () => {
        process.removeListener('exit', onExit);
        await terminate(child);
        removeRecordIfOurs(opts.dataDir, record.pid);
      },
    };
  });
}

async function waitReady(
  child: ChildProcess,
  uri: string,
  timeoutMs: number,
  dataDir: string,
  kind: string,
): Promise<void> {
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const logTail = fs
        .readFileSync(path.join(dbDir(dataDir), `${kind}.log`), 'utf8')
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n');
      throw new Error(`${kind} exited with code ${exited} before it was ready:\n${logTail}`);
    }
    if (await ping(uri, 500)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${kind} did not answer on ${uri} within ${timeoutMs} ms`);
}

function removeRecordIfOurs(dataDir: string, pid: number): void {
  if (readRecord(dataDir)?.pid === pid) fs.rmSync(recordPath(dataDir), { force: true });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Stops the server recorded for `dataDir`, whoever started it. Returns false if none was running. */
export async function stopServer(dataDir: string): Promise<boolean> {
  const record = readRecord(dataDir);
  if (!record) return false;
  fs.rmSync(recordPath(dataDir), { force: true });
  if (!isAlive(record.pid)) return false;
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (isAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
  return true;
}
