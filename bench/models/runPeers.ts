// Runs bench/peers/peers.py on an exported table with the project virtualenv `.venv/`, creating
// it and installing bench/peers/requirements.txt when the peers are missing.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type { Predictions, Progress } from './ours.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const VENV = path.join(ROOT, '.venv');
const PYTHON = path.join(VENV, 'bin', 'python');
const PEERS = path.join(ROOT, 'bench', 'peers');
/** Several engineers (and notebooks) share .venv/: installs take turns under this lock. */
const PIP_LOCK = '/tmp/pip.lock';
const PEER_NAMES: Record<string, string> = { lifetimes: 'lifetimes BG/NBD+GG', sklearn: 'sklearn', lightgbm: 'lightgbm' };
const IMPORT_CHECK = 'import lifetimes, sklearn, lightgbm, pandas';

export type PeerRun = { ok: true; models: Record<string, Predictions>; versions: Record<string, string>; seconds: Record<string, number> } | { ok: false; error: string };

/** The peers' out-of-fold predictions for the table in `dir` (table.csv + manifest.json), or why there are none. */
export async function runPeers(dir: string, customerIds: readonly string[], progress: Progress): Promise<PeerRun> {
  const ready = await ensureVenv(progress);
  if (!ready.ok) return ready;
  progress('running the Python peers (lifetimes, scikit-learn, LightGBM)…');
  let stdout: string;
  try {
    ({ stdout } = await run(PYTHON, [path.join(PEERS, 'peers.py'), dir], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, error: `peers.py failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}` };
  }
  // lifetimes prints scipy's optimiser report when a fit stops early; the summary is the last line.
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { versions: Record<string, string>; seconds: Record<string, number> };
  return { ok: true, models: readPredictions(path.join(dir, 'predictions.csv'), customerIds), ...summary };
}

async function ensureVenv(progress: Progress): Promise<{ ok: true } | { ok: false; error: string }> {
  if (fs.existsSync(PYTHON) && (await succeeds(PYTHON, ['-c', IMPORT_CHECK]))) return { ok: true };
  if (!(await succeeds('python3', ['--version']))) return { ok: false, error: 'python3 is not on PATH: the peers (lifetimes, scikit-learn, LightGBM) were not run' };
  progress(`installing the peers into ${VENV} (bench/peers/requirements.txt; once)…`);
  const install = `[ -x ${PYTHON} ] || python3 -m venv ${VENV}; ${PYTHON} -m pip install -q -r ${path.join(PEERS, 'requirements.txt')}`;
  try {
    await run('flock', [PIP_LOCK, 'sh', '-c', install], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, error: `installing the Python peers failed: ${(e.stderr ?? e.message).trim().split('\n').at(-1)}` };
  }
  return (await succeeds(PYTHON, ['-c', IMPORT_CHECK])) ? { ok: true } : { ok: false, error: `the Python peers do not import in ${VENV} after installing them` };
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    // A missing interpreter or a failed import is the answer "no", reported by the caller.
    return false;
  }
}

/** Columns `<model>_<task>` of predictions.csv → predictions by model. */
function readPredictions(file: string, customerIds: readonly string[]): Record<string, Predictions> {
  const rows = parse(fs.readFileSync(file), { columns: true }) as Record<string, string>[];
  if (rows.length !== customerIds.length || rows.some((r, i) => r.customer_id !== customerIds[i])) throw new Error(`${file}: rows are not the table's customers in the table's order`);
  const models: Record<string, Predictions> = {};
  for (const column of Object.keys(rows[0] ?? {})) {
    const match = /^(lifetimes|sklearn|lightgbm)_(churn|purchases|revenue|sendtime)$/.exec(column);
    if (!match) continue;
    const [, model, task] = match as unknown as [string, string, string];
    const values = rows.map((r) => Number(r[column]));
    const predictions = (models[PEER_NAMES[model]!] ??= {});
    if (task === 'sendtime') predictions.sendTime = Int16Array.from(values);
    else predictions[task as 'churn' | 'purchases' | 'revenue'] = Float64Array.from(values);
  }
  return models;
}
