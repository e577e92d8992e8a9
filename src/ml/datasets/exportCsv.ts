import fs from 'node:fs';
import path from 'node:path';
import { FOLDS, type TrainingTable } from './trainingTable.js';

/** What a peer needs besides the rows: which columns are features and the BTYD horizon. */
export interface TableManifest {
  dataset: string;
  cut: string;
  rows: number;
  folds: number;
  horizonDays: number;
  features: string[];
  sendTime: boolean;
}

const BTYD = ['bgnbdX', 'bgnbdTx', 'bgnbdT', 'bgnbdMonetary'] as const;
const HOURS = Array.from({ length: 24 }, (_, h) => `hist_${String(h).padStart(2, '0')}`);

/**
 * Writes the table as `table.csv` (customer_id, fold, the feature columns exactly as our models
 * get them, the raw BG/NBD summary in days, the labels and, with send time, the raw open-hour
 * histogram and next open hour) and `manifest.json` into `dir`. Returns the two paths.
 */
export function writeTableCsv(table: TrainingTable, dir: string): { csv: string; manifest: string } {
  const { set, sendTime } = table;
  const d = set.featureNames.length;
  const header = [
    'customer_id',
    'fold',
    ...set.featureNames.map((f) => `f_${f}`),
    ...BTYD.map((b) => `btyd_${b}`),
    'churn',
    'holdout_purchases',
    'holdout_revenue',
  ];
  if (sendTime) header.push(...HOURS, 'next_open_hour');
  const lines = [header.join(',')];
  for (let i = 0; i < set.rows; i++) {
    const cells: (string | number)[] = [JSON.stringify(set.customerIds[i]), table.fold[i]!];
    for (let j = 0; j < d; j++) cells.push(set.X[i * d + j]!);
    // BG/NBD's monetary value is undefined without repeat purchases; lifetimes and Gamma-Gamma take 0 there.
    for (const b of BTYD) cells.push(set.raw[b]![i]! || 0);
    cells.push(set.churned[i]!, table.holdoutPurchases[i]!, set.futureRevenue[i]!);
    if (sendTime) cells.push(...sendTime.histograms[i]!, sendTime.nextOpenHour[i]!);
    lines.push(cells.join(','));
  }
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, 'table.csv');
  const manifest = path.join(dir, 'manifest.json');
  fs.writeFileSync(csv, `${lines.join('\n')}\n`);
  const description: TableManifest = {
    dataset: table.dataset,
    cut: table.cut,
    rows: set.rows,
    folds: FOLDS,
    horizonDays: set.horizonDays,
    features: set.featureNames.map((f) => `f_${f}`),
    sendTime: Boolean(sendTime),
  };
  fs.writeFileSync(manifest, `${JSON.stringify(description, null, 2)}\n`);
  return { csv, manifest };
}
