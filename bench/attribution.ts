// `npm run bench -- attribution [--replicate 100] [--ca-sims 1e7] [--no-peer] [--json]`
// ChannelAttribution's example paths (10,000 rows, 12 channels) replicated to a million journeys:
// every attribution model, ours (identical journeys folded first) vs the same models on one path
// per journey, in one run; then ChannelAttribution's own Markov model (PyPI, in the project's
// .venv) on the same rows when it is installed, its credit side by side with ours.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Attribution } from '../src/attribution/credit.js';
import { markov } from '../src/attribution/markov.js';
import { attributeAll } from '../src/attribution/models.js';
import { buildPathSet, readPathTable, type Journey } from '../src/attribution/paths.js';
import { CHANNEL_ATTRIBUTION_FILE } from '../src/ml/datasets/publicData.js';
import { benchEnv, type Bench, type BenchResult } from './_harness.js';

const root = path.resolve(import.meta.dirname, '..');

interface Peer {
  package: string;
  rows: number;
  seconds: number;
  markov_credit: Record<string, number>;
}

/** Wall time, and the CPU time this process used: on a shared machine the second is the fair one. */
function timed<T>(work: () => T): { value: T; seconds: number; cpuSeconds: number } {
  const [t0, c0] = [performance.now(), process.cpuUsage()];
  const value = work();
  const cpu = process.cpuUsage(c0);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Installs ChannelAttribution into the shared .venv/ when it does not import yet (installs take
 * turns under /tmp/pip.lock with the other benches and the notebooks); false when it cannot.
 */
function ensurePeer(python: string): boolean {
  const imports = () =>
    fs.existsSync(python) && spawnSync(python, ['-c', 'import ChannelAttribution'], { stdio: 'ignore' }).status === 0;
  if (imports()) return true;
  process.stderr.write('installing ChannelAttribution into .venv/ (bench/peers/attribution-requirements.txt; once)…\n');
  const install = `[ -x ${python} ] || python3 -m venv ${path.dirname(path.dirname(python))}; ${python} -m pip install -q -r ${path.join(root, 'bench/peers/attribution-requirements.txt')}`;
  const run = spawnSync('flock', ['/tmp/pip.lock', 'sh', '-c', install], { encoding: 'utf8' });
  if (run.status !== 0)
    process.stderr.write(
      `ChannelAttribution did not install: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}\n`,
    );
  return imports();
}

/** Runs bench/peers/attribution.py in .venv; null (with the reason on stderr) when it cannot. */
function runPeer(replicate: number, sims: number): Peer | null {
  const python = path.join(root, '.venv/bin/python');
  if (!ensurePeer(python)) {
    process.stderr.write('ChannelAttribution unavailable: our side only\n');
    return null;
  }
  process.stderr.write(`ChannelAttribution markov_model on ${replicate * 10_000} rows, nsim_start ${sims}…\n`);
  const run = spawnSync(
    python,
    [path.join(root, 'bench/peers/attribution.py'), CHANNEL_ATTRIBUTION_FILE, String(replicate), String(sims), '0'],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  // The package prints a banner on import; the document is the last line.
  const last = run.stdout?.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !last.startsWith('{')) {
    process.stderr.write(
      `ChannelAttribution failed: ${(run.stderr || run.error?.message || 'no output').trim().split('\n').pop()}\n`,
    );
    return null;
  }
  return JSON.parse(last) as Peer;
}

function creditOf(a: Attribution, scale = 1): Record<string, number> {
  return Object.fromEntries(a.channels.map((c) => [c.channel, c.conversions / scale]));
}

function printSideBySide(ours: Record<string, number>, peer: Record<string, number>, peerName: string): void {
  process.stderr.write(
    `\nMarkov credit (conversions) on the reference file: ours (exact) vs ${peerName} (simulated)\n`,
  );
  process.stderr.write(
    `  ${'channel'.padEnd(10)} ${'ours'.padStart(10)} ${'peer'.padStart(10)} ${'diff'.padStart(8)}\n`,
  );
  for (const [channel, value] of Object.entries(ours).sort((a, b) => b[1] - a[1])) {
    const p = peer[channel] ?? NaN;
    process.stderr.write(
      `  ${channel.padEnd(10)} ${value.toFixed(1).padStart(10)} ${p.toFixed(1).padStart(10)} ${`${(((value - p) / p) * 100).toFixed(2)}%`.padStart(8)}\n`,
    );
  }
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({
    args,
    strict: false,
    options: { replicate: { type: 'string' }, 'ca-sims': { type: 'string' }, 'no-peer': { type: 'boolean' } },
  });
  const replicate = Number(values.replicate ?? 100);
  const sims = Number(values['ca-sims'] ?? 1e7);
  const reference = readPathTable(CHANNEL_ATTRIBUTION_FILE);
  const journeys: Journey[] = [];
  for (let r = 0; r < replicate; r++) journeys.push(...reference);
  const n = journeys.length;
  process.stderr.write(`${n.toLocaleString('en-US')} journeys (the reference file ×${replicate})\n`);

  // Warm-up on the file itself, so neither side pays for JIT compilation in its timing.
  attributeAll(buildPathSet(reference));
  const ours = timed(() => attributeAll(buildPathSet(journeys)));
  const baseline = timed(() => attributeAll(buildPathSet(journeys, { fold: false })));
  process.stderr.write(
    `all seven models: folded ${ours.seconds.toFixed(3)} s (CPU ${ours.cpuSeconds.toFixed(3)} s), one path per journey ${baseline.seconds.toFixed(3)} s (CPU ${baseline.cpuSeconds.toFixed(3)} s)\n`,
  );
  const oursMarkov = timed(() => markov(buildPathSet(journeys)));

  const results: BenchResult[] = [
    {
      case: `7 models, ${n} journeys (vs unfolded)`,
      ours: n / ours.seconds,
      baseline: n / baseline.seconds,
      unit: 'journeys/s',
      ratio: baseline.seconds / ours.seconds,
    },
  ];
  const markovCredit = creditOf(markov(buildPathSet(reference)));
  const peer = values['no-peer'] ? null : runPeer(replicate, sims);
  if (peer) {
    results.push({
      case: `markov, ${n} journeys (vs ${peer.package})`,
      ours: n / oursMarkov.seconds,
      baseline: n / peer.seconds,
      unit: 'journeys/s',
      ratio: peer.seconds / oursMarkov.seconds,
    });
    const peerCredit = Object.fromEntries(Object.entries(peer.markov_credit).map(([c, v]) => [c, v / replicate]));
    printSideBySide(markovCredit, peerCredit, peer.package);
  }
  return {
    bench: 'attribution',
    results,
    env: benchEnv({
      backend: 'TypeScript, typed arrays (no TF.js)',
      journeys: n,
      distinctPaths: buildPathSet(reference).conversions.length,
      channels: Object.keys(markovCredit).length,
      allModelsSeconds: Number(ours.seconds.toFixed(3)),
      allModelsCpuSeconds: Number(ours.cpuSeconds.toFixed(3)),
    }),
    markov_credit: markovCredit,
    ...(peer && {
      peer: {
        package: peer.package,
        nsim_start: sims,
        seconds: peer.seconds,
        markov_credit: Object.fromEntries(Object.entries(peer.markov_credit).map(([c, v]) => [c, v / replicate])),
      },
    }),
  };
};

export default bench;
