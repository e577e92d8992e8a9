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
import { COHORTS, cohortOf, naiveTasks } from '../src/ml/naiveBaselines.js';
import {
  brier,
  hitRateWithin,
  mae,
  normalizedGini,
  pearson,
  prAuc,
  rocAuc,
  spearman,
  topShareCapture,
} from '../src/ml/metrics.js';
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
(BG/NBD + Gamma-Gamma), scikit-learn and LightGBM on the same rows, features, labels and 5 folds,
and against the naive baselines a marketer would use without a model: naive_recency and
naive_frequency (churn AUC of days since the last order and of order count), naive_past_revenue
(LTV Gini of past revenue) and naive_open_hour (the customer's own most frequent open hour).
Every metric per cohort: one-time buyers, repeat buyers and all (the tables hold buyers only;
prospects are the first-purchase model's).

  --dataset NAME     cdnow (2,357-customer sample), cdnow-full (23,570), online-retail (the full UCI
                     file in ../shared/data when present, else data/public's 1-in-10 trim), synthetic
  --file F           another file of the same layout (CDNOW log or Online Retail CSV, plain or gzip)
  --customers N      synthetic shop size before the buyers-only cut (default 4000)
  --no-peers         ours only (the peers need python3; .venv/ is created on first use)
  --json             {"bench":"models","results":[{"dataset","cohort","task","model","metric","value"}],"env":{…}}`;

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

/** Naive predictions from the table's raw features: what a marketer would rank by without a model. */
function naiveModels(table: TrainingTable): Record<string, Predictions> {
  const [recency, frequency] = naiveTasks.churn.naive.map((b) => b.predict(table.set));
  const models: Record<string, Predictions> = {
    naive_recency: { churn: Float64Array.from(recency!), rankOnly: true },
    naive_frequency: { churn: Float64Array.from(frequency!), rankOnly: true },
    naive_past_revenue: { revenue: Float64Array.from(naiveTasks.ltv.naive[0]!.predict(table.set)), rankOnly: true },
  };
  if (table.sendTime)
    models.naive_open_hour = { sendTime: Int16Array.from(naiveTasks['send-time'].naive[0]!.predict(table.set)) };
  return models;
}

/** Every metric of every task a model predicts, out of fold, per cohort (orders before the cut) and over all customers. */
function score(dataset: string, model: string, p: Predictions, table: TrainingTable): ModelResult[] {
  const { set, holdoutPurchases } = table;
  const rows: ModelResult[] = [];
  for (const cohort of COHORTS) {
    const index = set.customerIds
      .map((_, i) => i)
      .filter((i) => cohort === 'all' || cohortOf(set.raw.orders![i]!) === cohort);
    // The bench tables hold buyers only (the churn population); prospects are scored by the first-purchase model, whose table adds them.
    if (index.length === 0) continue;
    const at = <A extends ArrayLike<number>>(values: A, only = index) => only.map((i) => values[i]!);
    const add = (task: string, metric: string, value: number) =>
      rows.push({ dataset, cohort, task, model, metric, value });
    const { churned, futureRevenue } = set;
    if (p.churn) {
      add('churn', 'churn_auc', rocAuc(at(p.churn), at(churned)));
      add('churn', 'churn_pr_auc', prAuc(at(p.churn), at(churned)));
      if (!p.rankOnly) add('churn', 'churn_brier', brier(at(p.churn), at(churned)));
    }
    if (p.purchases) {
      add('holdout purchases', 'holdout_corr', pearson(at(p.purchases), at(holdoutPurchases)));
      add('holdout purchases', 'holdout_mae', mae(at(p.purchases), at(holdoutPurchases)));
    }
    if (p.revenue) {
      add('ltv', 'ltv_gini', normalizedGini(at(p.revenue), at(futureRevenue)));
      add('ltv', 'ltv_spearman', spearman(at(p.revenue), at(futureRevenue)));
      add('ltv', 'ltv_top20_capture', topShareCapture(at(p.revenue), at(futureRevenue), 0.2));
    }
    if (p.sendTime && table.sendTime) {
      const { nextOpenHour } = table.sendTime;
      const judged = index.filter((i) => nextOpenHour[i]! >= 0);
      add('send time', 'sendtime_hit_1h', hitRateWithin(at(p.sendTime, judged), at(nextOpenHour, judged), 1));
      add('send time', 'sendtime_hit_2h', hitRateWithin(at(p.sendTime, judged), at(nextOpenHour, judged), 2));
    }
  }
  return rows;
}

export default async function models(argv: string[]): Promise<ModelsReport> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      dataset: { type: 'string' },
      file: { type: 'string' },
      customers: { type: 'string' },
      'no-peers': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const parsed = argsSchema.safeParse({ ...values, peers: !values['no-peers'] });
  if (!parsed.success)
    throw new Error(`--${String(parsed.error.issues[0]!.path[0])}: ${parsed.error.issues[0]!.message}\n${usage}`);
  const args = parsed.data;
  await initBackend();

  let started = performance.now();
  const table = await loadTable(args);
  const tableSeconds = (performance.now() - started) / 1000;
  progress(
    `${table.dataset}: ${table.set.rows} customers × ${table.set.featureNames.length} features in ${tableSeconds.toFixed(1)} s (${table.cut})`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-models-${table.dataset}-`));
  let ours: Awaited<ReturnType<typeof crossFitOurs>>;
  let peers: Awaited<ReturnType<typeof runPeers>>;
  let oursSeconds: number;
  try {
    writeTableCsv(table, dir);
    started = performance.now();
    ours = await crossFitOurs(table, progress);
    oursSeconds = (performance.now() - started) / 1000;
    peers = args.peers
      ? await runPeers(dir, table.set.customerIds, progress)
      : { ok: false, error: 'peers not run (--no-peers)' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!peers.ok) progress(`PEERS NOT RUN: ${peers.error}`);

  const all = { ...ours, ...naiveModels(table), ...(peers.ok ? peers.models : {}) };
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
