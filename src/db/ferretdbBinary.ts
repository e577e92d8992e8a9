import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../config.js';

const run = promisify(execFile);

export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';

/** Project-local cache for the binary we build; survives `git clean` of data/ but not of .cache/. */
export const ferretdbCacheDir = path.join(projectRoot, '.cache', `ferretdb-${FERRETDB_VERSION}`);

export type Status = (message: string) => void;

/** Resolves an executable on PATH without spawning a shell. */
export async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry; keep looking
    }
  }
  return undefined;
}

/**
 * `go install …@v1.24.2` produces a binary that panics at start (its version.txt is empty in the
 * module zip), so every candidate is asked for its version before we trust it.
 */
async function isWorkingFerretdb(bin: string): Promise<boolean> {
  try {
    const { stdout } = await run(bin, ['--version'], { timeout: 10_000 });
    return stdout.includes(`version: ${FERRETDB_VERSION}`);
  } catch {
    return false;
  }
}

async function goBinDir(): Promise<string | undefined> {
  if (process.env.GOBIN) return process.env.GOBIN;
  const gopath = process.env.GOPATH?.split(path.delimiter)[0] ?? path.join(os.homedir(), 'go');
  return path.join(gopath, 'bin');
}

export async function findFerretdb(): Promise<string | undefined> {
  const gobin = await goBinDir();
  const candidates = [
    process.env.FERRETDB_BIN,
    await onPath('ferretdb'),
    gobin && path.join(gobin, 'ferretdb'),
    path.join(ferretdbCacheDir, 'ferretdb'),
  ].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    if (await isWorkingFerretdb(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Builds FerretDB from the Go module proxy into the project cache. The module source is copied out
 * of the read-only module cache so that build/version/version.txt can be filled in, which is what
 * FerretDB's own release tooling does before `go build`.
 */
export async function buildFerretdb(status: Status): Promise<string> {
  const go = await onPath('go');
  if (!go) {
    throw new Error(
      'no database available: MONGODB_URI is not set, no mongod or ferretdb is installed, and Go is missing to build FerretDB. ' +
        'Set MONGODB_URI to a MongoDB server, or install Go (https://go.dev/dl/) so Breadcrumb can build its embedded FerretDB.',
    );
  }
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  status(`building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first run only, about 1–3 minutes)…`);
  const { stdout } = await run(go, ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], {
    env,
    maxBuffer: 16 * 1024 * 1024,
    cwd: os.tmpdir(),
  });
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'breadcrumb-ferretdb-'));
  try {
    await fs.cp(moduleDir, work, { recursive: true });
    await makeWritable(work);
    await fs.writeFile(path.join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    await fs.mkdir(ferretdbCacheDir, { recursive: true });
    const out = path.join(ferretdbCacheDir, 'ferretdb');
    await run(go, ['build', '-trimpath', '-o', out, './cmd/ferretdb'], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
    if (!(await isWorkingFerretdb(out))) throw new Error(`FerretDB built at ${out} but does not start`);
    status(`FerretDB ${FERRETDB_VERSION} built: ${out}`);
    return out;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(p);
    else await fs.chmod(p, 0o644);
  }
}
