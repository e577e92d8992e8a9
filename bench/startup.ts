// `npm run bench -- startup [--json]`: a first `npm start` on an empty data directory, timed from
// the process start to its start-up timeline line (demo seeded, models trained, customers scored,
// segments assigned), against a raw driver insertMany of as many events as the demo holds, into
// an embedded server of the same build, in the same run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase } from '../src/db/database.js';
import { projectRoot, resetConfig } from '../src/config.js';
import { benchEnv, type Bench } from './_harness.js';

export const usage = 'npm run bench -- startup [--json]   (about 5–10 minutes on 2 cores)';

interface Line {
  at: number;
  text: string;
}

/** The start must run its own embedded server, whatever this shell points at. */
function withoutUri(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MONGODB_URI: _ignored, ...rest } = env;
  return rest;
}

function startOnce(dataDir: string): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: projectRoot,
      env: withoutUri({ ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const lines: Line[] = [];
    let buffer = '';
    child.stderr.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^\[\s*([\d.]+) s\] (.*)$/.exec(text);
        if (!m) continue;
        lines.push({ at: Number(m[1]), text: m[2]! });
        process.stderr.write(`  ${text}\n`);
        if (m[2]!.startsWith('start-up timeline') || m[2]!.startsWith('error')) child.kill('SIGTERM');
      }
    });
    child.on('exit', () => resolve(lines));
    child.on('error', reject);
  });
}

const bench: Bench = async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-startup-'));
  const lines = await startOnce(dataDir);
  const timeline = lines.find((l) => l.text.startsWith('start-up timeline'));
  if (!timeline) throw new Error(`start-up did not finish: ${lines.map((l) => l.text).join(' | ')}`);
  const seeded = /seeded \d+ customers and (\d+) events/.exec(lines.map((l) => l.text).join('\n'));
  const events = Number(seeded?.[1] ?? 0);
  const at = (prefix: string) => lines.find((l) => l.text.startsWith(prefix))?.at ?? NaN;

  // Baseline: the same number of event documents, raw insertMany in chunks of 5,000, on an embedded server of the same build.
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-startup-raw-'));
  process.env.DATA_DIR = baseDir;
  delete process.env.MONGODB_URI;
  resetConfig();
  const database = await connectDatabase({ dbName: 'raw', skipIndexes: true });
  const t0 = performance.now();
  const raw = database.db.collection('events');
  for (let k = 0; k < events; k += 5000) {
    await raw.insertMany(
      Array.from({ length: Math.min(5000, events - k) }, (_, i) => ({
        eventId: `e${k + i}`,
        type: 'product_viewed',
        customerId: `c${(k + i) % 5000}`,
        partition: (k + i) % 16,
        ts: new Date(),
        receivedAt: new Date(),
        source: 'sim',
        props: { productId: `p${i % 450}`, price: 20 },
      })),
    );
  }
  const rawSeconds = (performance.now() - t0) / 1000;
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(baseDir, { recursive: true, force: true });
  return {
    bench: 'startup',
    results: [
      {
        case: 'npm start on an empty data dir → models trained, scored, segments assigned',
        ours: timeline.at,
        baseline: rawSeconds,
        unit: 's (lower is better)',
        ratio: rawSeconds / timeline.at,
      },
      {
        case: 'npm start → ready (API serving, demo seeded)',
        ours: at('ready:'),
        baseline: rawSeconds,
        unit: 's (lower is better)',
        ratio: rawSeconds / at('ready:'),
      },
    ],
    env: benchEnv({
      dataset: `demo shop: 5000 customers, ${events} events, 365 days`,
      baseline: `raw insertMany of ${events} events`,
      timeline: Object.fromEntries(lines.map((l) => [l.text.slice(0, 60), l.at])),
    }),
  };
};

export default bench;
