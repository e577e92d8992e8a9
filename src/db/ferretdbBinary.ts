import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../config.js';
import { log } from '../log.js';

const run = promisify(execFile);

export const FERRETDB_VERSION = 'v1.24.2';
/**
 * The version our patched build reports (`ferretdb --version`, buildInfo.ferretdbVersion): the
 * upstream release plus the level of src/db/ferretdb-patches/. Raise the suffix when a patch
 * changes, so that binaries built from older patches are rebuilt instead of reused.
 */
export const FERRETDB_BUILD = `${FERRETDB_VERSION}-bc1`;
const MODULE = 'github.com/FerretDB/FerretDB';
const patchesDir = path.join(import.meta.dirname, 'ferretdb-patches');

/** Project-local cache for the binary we build; survives `git clean` of data/ but not of .cache/. */
export const ferretdbCacheDir = path.join(projectRoot, '.cache', `ferretdb-${FERRETDB_BUILD}`);

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
 * The version a candidate binary reports, or undefined when it does not start: `go install
 * …@v1.24.2` produces a binary that panics at start (its version.txt is empty in the module zip).
 */
async function ferretdbVersion(bin: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(bin, ['--version'], { timeout: 10_000 });
    return /^version: (\S+)$/m.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

async function goBinDir(): Promise<string | undefined> {
  if (process.env.GOBIN) return process.env.GOBIN;
  const gopath = process.env.GOPATH?.split(path.delimiter)[0] ?? path.join(os.homedir(), 'go');
  return path.join(gopath, 'bin');
}

/**
 * FERRETDB_BIN wins when it starts (a stock build is used with a warning: its `_id` lookups scan
 * whole tables); a binary on PATH, in GOBIN or in the cache only when it is our patched build, so
 * that a stock `ferretdb` lying around never replaces building the patched one.
 */
export async function findFerretdb(): Promise<string | undefined> {
  const explicit = process.env.FERRETDB_BIN;
  if (explicit) {
    const version = await ferretdbVersion(explicit);
    if (version && version !== FERRETDB_BUILD) {
      log.warn(
        { bin: explicit, version, patched: FERRETDB_BUILD },
        'FERRETDB_BIN is not the patched build: lookups by _id scan whole tables',
      );
    }
    if (version?.startsWith(FERRETDB_VERSION)) return explicit;
  }
  const gobin = await goBinDir();
  const candidates = [
    await onPath('ferretdb'),
    gobin && path.join(gobin, 'ferretdb'),
    path.join(ferretdbCacheDir, 'ferretdb'),
  ];
  for (const candidate of candidates) {
    if (candidate && (await ferretdbVersion(candidate)) === FERRETDB_BUILD) return candidate;
  }
  return undefined;
}

/**
 * Builds FerretDB from the Go module proxy into the project cache. The module source is copied out
 * of the read-only module cache so that build/version/version.txt can be filled in, which is what
 * FerretDB's own release tooling does before `go build`, and so that our patches can be applied.
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
  status(`building FerretDB ${FERRETDB_BUILD} from the Go module proxy (first run only, about 1–3 minutes)…`);
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
    await applyPatches(work);
    await fs.writeFile(path.join(work, 'build', 'version', 'version.txt'), `${FERRETDB_BUILD}\n`);
    await fs.mkdir(ferretdbCacheDir, { recursive: true });
    const out = path.join(ferretdbCacheDir, 'ferretdb');
    await run(go, ['build', '-trimpath', '-o', out, './cmd/ferretdb'], { cwd: work, env, maxBuffer: 16 * 1024 * 1024 });
    if ((await ferretdbVersion(out)) !== FERRETDB_BUILD) throw new Error(`FerretDB built at ${out} but does not start`);
    status(`FerretDB ${FERRETDB_BUILD} built: ${out}`);
    return out;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Applies src/db/ferretdb-patches/*.patch in name order (see docs/embedded-database.md). The
 * ceiling keeps git from treating an enclosing repository as the patch's root.
 */
async function applyPatches(work: string): Promise<void> {
  const patches = (await fs.readdir(patchesDir)).filter((f) => f.endsWith('.patch')).sort();
  const env = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(work) };
  for (const patch of patches) {
    await run('git', ['apply', path.join(patchesDir, patch)], { cwd: work, env });
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
