import { trainChurn, type EpochLog, type TrainChurnOptions } from '../churn/train.js';
import { featureCatalog } from '../../features/catalog.js';
import { openHourNames } from '../../features/email.js';
import { keepColumns, rowsOf, type ColumnSpec, type TrainingSet } from '../trainingSet.js';
import { naiveBaselines, ordered } from './evaluate.js';
import type { FirstPurchaseMeta } from './meta.js';
import type * as tf from '@tensorflow/tfjs';

export type TrainFirstPurchaseOptions = Omit<TrainChurnOptions, 'label' | 'baselines'>;

export type TrainFirstPurchaseResult =
  | { ok: true; value: { model: tf.LayersModel; meta: FirstPurchaseMeta } }
  | { ok: false; error: { type: 'insufficient_data'; message: string } };

/**
 * What says something about a prospect: browsing, carts, email engagement and activity (tenure,
 * last activity, device). Order, spend, season and BG/NBD columns are the same for every prospect,
 * and the 24 open-hour counts are when someone reads, not whether they will buy: on the synthetic
 * shop they only gave the network more to overfit.
 */
const PROSPECT_GROUPS = new Set(['browsing', 'carts', 'email', 'activity']);
const groupOf = new Map(featureCatalog.map((f) => [f.name, f.group]));
const openHours = new Set<string>(openHourNames);
export const prospectColumn = (c: ColumnSpec) =>
  PROSPECT_GROUPS.has(groupOf.get(c.source) ?? '') && !openHours.has(c.source);

/**
 * Trains P(first order within the horizon) on a `prospects` training set: the churn network and
 * training (standardisation, class weights, early stopping, Platt scaling) with "ordered" as the
 * label, measured against the naive one-feature baselines instead of churn's recency and BG/NBD
 * (a prospect has no order history for either).
 */
export async function trainFirstPurchase(
  set: TrainingSet,
  opts: TrainFirstPurchaseOptions = {},
  onEpoch?: (log: EpochLog) => void | Promise<void>,
): Promise<TrainFirstPurchaseResult> {
  const trained = await trainChurn(
    keepColumns(set, prospectColumn),
    { ...opts, baselines: false, label: ordered },
    onEpoch,
  );
  if (!trained.ok) return trained;
  const { model, meta } = trained.value;
  const { churnRate: purchaseRate, baselines: _churnBaselines, ...metrics } = meta.metrics;
  const baselines = naiveBaselines(rowsOf(set, 'train'), rowsOf(set, 'test'));
  return {
    ok: true,
    value: { model, meta: { ...meta, kind: 'first_purchase', metrics: { ...metrics, purchaseRate, baselines } } },
  };
}
