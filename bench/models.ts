// `npm run bench -- models --dataset cdnow|cdnow-full|online-retail|synthetic [--file F] [--customers N] [--no-peers] [--json]` (see `usage`).
// Breadcrumb's models against Python peers (lifetimes BG/NBD + Gamma-Gamma, scikit-learn,
// LightGBM) on one training table: the same rows, features, labels and folds, exported to CSV
// for the peers in the same run, every prediction scored here by the same metric code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { backendName, initBackend } from '../src/ml/backend.js';
import { CDNOW_MASTER_FILE, CDNOW_SAMPLE_FILE, cdnowTable } from '../src/ml/datasets/cdnow.js';
import { writeTableCsv } from '../src/ml/datasets/exportCsv.js';
import { ONLINE_RETAIL_FILE, onlineRetailTable } from '../src/ml/datasets/onlineRetail.js';
import { syntheticTable } from '../src/demo/syntheticTable.js';
import { FOLDS, type TrainingTable } from '../src/ml/datasets/trainingTable.js';
import { brier, hitRateWithin, mae, normalizedGini, pearson, prAuc, rocAuc, spearman, topShareCapture } from '../src/ml/metrics.js';
import { benchEnv, type ModelsReport, type ModelResult } from './_harness.js';
import { crossFitOurs, type Predictions } from './models/ours.js';
import { runPeers } from './models/runPeers.js';

const DATASETS = ['cdnow', 'cdnow-full', 'online-retail', 'synthetic'] as const;
const argsSchema = z.object({
  dataset: z.enum(DATASETS),
  file: z.string().optional(),
  customers: z.coerce.number().int().min(200).default(4000),
  peers: z.boolean().default(true),
});

export const usage = `usage: npm run bench -- models --dataset ${DATASETS.join('|')} [options]

Breadcrumb's churn, holdout-purchase, lifetime-value and send-time models against lifetimes
(BG/NBD + Gamma-Gamma), scikit-learn and LightGBM on the same rows, features, labels and 5 folds.

  --dataset NAME     cdnow (2,357-customer sample), cdnow-full (23,570), online-retail (the full UCI
                     file in ../shared/data when present, else data/public's 1-in-10 trim), synthetic
  --file F           another file of the same layout (CDNOW log or Online Retail CSV, plain or gzip)
  --customers N      synthetic shop size before the buyers-only cut (default 4000)
  --no-peers         ours only (the peers need python3; .venv/ is created on first use)
  --json             {"bench":"models","results":[{"dataset","task","model","metric","value"}],"env":{…}}`;

const progress = (message: string) => process.stderr.write(`${message}\n`);

/** The full UCI file (7.5 MB, beside the repository) when it is there; else the repository's 1-in-10 trim. */
function onlineRetailFile(): string {
  const full = path.resolve(import.meta.dirname, '../../shared/data/online_retail.csv.gz');
  if (fs.existsSync(full)) return full;
  progress(`online-retail: ${full} not found; using the repository's 1-in-10 customer trim ${ONLINE_RETAIL_FILE}`);
  return ONLINE_RETAIL_FILE;
}

async function loadTable(args: z.infer<typeof argsSchema>): Promise<TrainingTable> {
  switch (args.dataset) {
    case 'cdnow':
      return cdnowTable(args.file ?? CDNOW_SAMPLE_FILE, 'cdnow');
    case 'cdnow-full':
      return cdnowTable(args.file ?? CDNOW_MASTER_FILE, 'cdnow-full');
    case 'online-retail':
      return onlineRetailTable(args.file ?? onlineRetailFile());
    case 'synthetic':
      if (args.file) throw new Error('--file does not apply to the synthetic shop (it is generated)');
      return syntheticTable({ customers: args.customers });
  }
}

/** Every metric of every task a model predicts, over all customers (out of fold). */
function score(dataset: string, model: string, p: Predictions, table: TrainingTable): ModelResult[] {
  const { set, holdoutPurchases } = table;
  const rows: ModelResult[] = [];
  const add = (task: string, metric: string, value: number) => rows.push({ dataset, task, model, metric, value });
  if (p.churn) {
    add('churn', 'churn_auc', rocAuc(p.churn, set.churned));
    add('churn', 'churn_pr_auc', prAuc(p.churn, set.churned));
    add('churn', 'churn_brier', brier(p.churn, set.churned));
  }
  if (p.purchases) {
    add('holdout purchases', 'holdout_corr', pearson(p.purchases, holdoutPurchases));
    add('holdout purchases', 'holdout_mae', mae(p.purchases, holdoutPurchases));
  }
  if (p.revenue) {
    add('ltv', 'ltv_gini', normalizedGini(p.revenue, set.futureRevenue));
    add('ltv', 'ltv_spearman', spearman(p.revenue, set.futureRevenue));
    add('ltv', 'ltv_top20_capture', topShareCapture(p.revenue, set.futureRevenue, 0.2));
  }
  if (p.sendTime && table.sendTime) {
    const judged = [...table.sendTime.nextOpenHour.keys()].filter((i) => table.sendTime!.nextOpenHour[i]! >= 0);
    const predicted = judged.map((i) => p.sendTime![i]!);
    const actual = judged.map((i) => table.sendTime!.nextOpenHour[i]!);
    add('send time', 'sendtime_hit_1h', hitRateWithin(predicted, actual, 1));
    add('send time', 'sendtime_hit_2h', hitRateWithin(predicted, actual, 2));
  }
  return rows;
}

export default async function models(argv: string[]): Promise<ModelsReport> {
  const { values } = parseArgs({ args: argv, strict: true, options: { dataset: { type: 'string' }, file: { type: 'string' }, customers: { type: 'string' }, 'no-peers': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  const parsed = argsSchema.safeParse({ ...values, peers: !values['no-peers'] });
  if (!parsed.success) throw new Error(`--${String(parsed.error.issues[0]!.path[0])}: ${parsed.error.issues[0]!.message}\n${usage}`);
  const args = parsed.data;
  await initBackend();

  let started = performance.now();
  const table = await loadTable(args);
  const tableSeconds = (performance.now() - started) / 1000;
  progress(`${table.dataset}: ${table.set.rows} customers × ${table.set.featureNames.length} features in ${tableSeconds.toFixed(1)} s (${table.cut})`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-models-${table.dataset}-`));
  let ours: Awaited<ReturnType<typeof crossFitOurs>>;
  let peers: Awaited<ReturnType<typeof runPeers>>;
  let oursSeconds: number;
  try {
    writeTableCsv(table, dir);
    started = performance.now();
    ours = await crossFitOurs(table, progress);
    oursSeconds = (performance.now() - started) / 1000;
    peers = args.peers ? await runPeers(dir, table.set.customerIds, progress) : { ok: false, error: 'peers not run (--no-peers)' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!peers.ok) progress(`PEERS NOT RUN: ${peers.error}`);

  const all = { ...ours, ...(peers.ok ? peers.models : {}) };
  return {
    bench: 'models',
    results: Object.entries(all).flatMap(([model, p]) => score(table.dataset, model, p, table)),
    env: benchEnv({
      backend: backendName(),
      dataset: table.dataset,
      customers: table.set.rows,
      features: table.set.featureNames.length,
      cut: table.cut,
      folds: FOLDS,
      oursSeconds: Math.round(oursSeconds),
      peers: peers.ok ? { versions: peers.versions, seconds: peers.seconds } : { error: peers.error },
    }),
  };
}
