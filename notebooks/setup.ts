// The Python side of the notebooks: a virtualenv with papermill (and, on request, JupyterLab) and
// the TypeScript kernel registered inside it, never in the user's home. Idempotent: a second run
// only compares two small files.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.dirname(import.meta.dirname);
export const NOTEBOOKS_DIR = path.join(ROOT, 'notebooks');
/** The kernel's name in the notebooks' metadata; not `tslab`, so a tslab installed for the user cannot shadow it. */
export const KERNEL_NAME = 'breadcrumb-ts';
const REQUIREMENTS = path.join(NOTEBOOKS_DIR, 'requirements.txt');
/** Only for `--lab`: the headless run does not need it. */
const JUPYTERLAB = 'jupyterlab==4.6.6';
/** The lock `bench/` holds too while it fills the same virtualenv, so two installs never interleave. */
const PIP_LOCK = path.join(os.tmpdir(), 'pip.lock');

export class SetupError extends Error {}

/** A path as the messages show it: relative inside the repository, absolute outside. */
export function shownPath(p: string): string {
  const relative = path.relative(ROOT, p);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p;
}

export interface Venv {
  dir: string;
  python: string;
  bin: (name: string) => string;
}

export function venvAt(dir: string): Venv {
  const resolved = path.resolve(ROOT, dir);
  const bin = (name: string) => path.join(resolved, 'bin', name);
  return { dir: resolved, python: bin('python'), bin };
}

/** The kernelspec: Node runs notebooks/kernel.cjs (tslab adapted to this repository, see there). */
export function kernelSpec(node: string = process.execPath): Record<string, unknown> {
  return {
    argv: [node, path.join(NOTEBOOKS_DIR, 'kernel.cjs'), '--config-path', '{connection_file}'],
    display_name: 'TypeScript (Breadcrumb)',
    language: 'typescript',
  };
}

export type SetupStep = (message: string) => void;

/**
 * Makes `venv` ready to execute the notebooks: creates it with `python3 -m venv` when missing,
 * installs notebooks/requirements.txt when it changed since the last install (a copy is kept in
 * the venv), and (re)writes the kernelspec when it differs.
 */
export function ensureNotebookEnv(venv: Venv, opts: { lab?: boolean; step?: SetupStep } = {}): void {
  const step = opts.step ?? (() => undefined);
  if (!fs.existsSync(venv.python)) {
    const python = process.env.PYTHON ?? 'python3';
    if (run(python, ['--version']).error) throw new SetupError(`${python} not found: install Python 3 (or set PYTHON)`);
    step(`creating the virtualenv ${shownPath(venv.dir)} with ${python}`);
    const made = runLocked(python, ['-m', 'venv', venv.dir]);
    if (made.status !== 0) {
      fs.rmSync(venv.dir, { recursive: true, force: true });
      throw new SetupError(
        `${python} -m venv failed (on Debian/Ubuntu: apt-get install python3-venv): ${made.stderr.trim().split('\n').pop()}`,
      );
    }
  }
  installIfChanged(venv, 'notebooks', fs.readFileSync(REQUIREMENTS, 'utf8'), ['-r', REQUIREMENTS], step);
  if (opts.lab) installIfChanged(venv, 'lab', `${JUPYTERLAB}\n`, [JUPYTERLAB], step);

  const specFile = path.join(venv.dir, 'share', 'jupyter', 'kernels', KERNEL_NAME, 'kernel.json');
  const spec = `${JSON.stringify(kernelSpec(), null, 2)}\n`;
  if (readOrEmpty(specFile) !== spec) {
    step(`registering the ${KERNEL_NAME} kernel in the virtualenv`);
    fs.mkdirSync(path.dirname(specFile), { recursive: true });
    fs.writeFileSync(specFile, spec);
  }
}

function installIfChanged(venv: Venv, name: string, wanted: string, pipArgs: string[], step: SetupStep): void {
  const stamp = path.join(venv.dir, `.breadcrumb-${name}-requirements`);
  if (readOrEmpty(stamp) === wanted) return;
  step(`installing the ${name} requirements from PyPI into the virtualenv`);
  const installed = runLocked(
    venv.python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...pipArgs],
    { stdio: 'inherit' },
  );
  if (installed.status !== 0)
    throw new SetupError(`pip install ${pipArgs.join(' ')} failed (exit ${installed.status}); is PyPI reachable?`);
  fs.writeFileSync(stamp, wanted);
}

/** Runs a command holding PIP_LOCK (with util-linux `flock` when there is one). */
function runLocked(command: string, args: string[], opts: SpawnSyncOptions = {}) {
  hasFlock ??= run('flock', ['--version']).status === 0;
  return hasFlock ? run('flock', [PIP_LOCK, command, ...args], opts) : run(command, args, opts);
}
let hasFlock: boolean | undefined;

function run(command: string, args: string[], opts: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...opts });
  return { status: result.status, error: result.error, stderr: String(result.stderr ?? '') };
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
