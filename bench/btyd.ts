// `npm run bench -- btyd [--file F] [--json]`
// BG/NBD and Gamma-Gamma maximum-likelihood fits on a CDNOW log (default: the 2,357-customer
// sample in data/public/) on the process's TF.js backend vs the same fits on TF.js's
// pure-JS cpu backend, in one run. The unit tests check the fitted parameters; how fast the fits
// run is measured here.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/ml/backend.js';
import { fitBgNbd } from '../src/ml/btyd/bgnbd.js';
import { fitGammaGamma } from '../src/ml/btyd/gammaGamma.js';
import { type RfmRow } from '../src/ml/btyd/summary.js';
import { CDNOW_SAMPLE_FILE, loadCdnow } from '../src/ml/datasets/cdnow.js';
import { benchEnv, type Bench } from './_harness.js';

export const usage = `usage: npm run bench -- btyd [--file F] [--json]

Customers fitted per second by BG/NBD and by Gamma-Gamma (maximum likelihood, classic CDNOW split)
on the process's TF.js backend against the TF.js cpu backend, in the same run.

  --file F   another CDNOW log (default data/public/cdnow_sample.csv.gz, 2,357 customers;
             data/public/cdnow_master.csv.gz holds all 23,570)
  --json     {"bench":"btyd","results":[{"case","ours","baseline","unit","ratio"}],"env":{…}}`;

type Rates = { bgnbd: number; gammaGamma: number };

async function measure(rows: RfmRow[]): Promise<Rates> {
  const timed = async (fit: () => Promise<{ ok: boolean }>) => {
    const started = performance.now();
    const result = await fit();
    if (!result.ok) throw new Error(`fit failed: ${JSON.stringify(result)}`);
    return rows.length / ((performance.now() - started) / 1000);
  };
  return {
    bgnbd: await timed(() => fitBgNbd(rows)),
    // Gamma-Gamma needs a positive average spend from every repeat buyer (the master has one at $0).
    gammaGamma: await timed(() => {
      const spenders = rows.filter((r) => r.x === 0 || r.monetary > 0);
      return fitGammaGamma(
        spenders.map((r) => r.x),
        spenders.map((r) => r.monetary),
      );
    }),
  };
}

const bench: Bench = async (args) => {
  const { values } = parseArgs({ args, strict: false, options: { file: { type: 'string' } } });
  const file = typeof values.file === 'string' ? values.file : CDNOW_SAMPLE_FILE;
  const { rfm } = await loadCdnow(file);
  const choice = await initBackend();
  process.stderr.write(`fitting ${rfm.length} customers on ${choice.backend}…\n`);
  // A first, untimed round per backend: kernel set-up and the JIT would otherwise count against whichever runs first.
  await measure(rfm);
  const ours = await measure(rfm);
  process.stderr.write('fitting on cpu…\n');
  await tf.setBackend('cpu');
  await measure(rfm);
  const peer = await measure(rfm);
  await tf.setBackend(choice.backend);
  return {
    bench: 'btyd',
    results: [
      {
        case: `BG/NBD fit, ${choice.backend} vs cpu`,
        ours: ours.bgnbd,
        baseline: peer.bgnbd,
        unit: 'customers/s',
        ratio: ours.bgnbd / peer.bgnbd,
      },
      {
        case: `Gamma-Gamma fit, ${choice.backend} vs cpu`,
        ours: ours.gammaGamma,
        baseline: peer.gammaGamma,
        unit: 'customers/s',
        ratio: ours.gammaGamma / peer.gammaGamma,
      },
    ],
    // The goal the unit tests used to assert: each fit of the 2,357-customer sample within 10 s.
    env: benchEnv({
      backend: `${choice.backend}${choice.simd ? ' (SIMD)' : ''}; baseline: TF.js cpu backend`,
      dataset: `${file}: ${rfm.length} customers, weeks 1–39`,
      goal: '≥ 236 customers/s (the CDNOW sample in 10 s)',
    }),
  };
};

export default bench;
