import { createShopContext, FIXED_SHOP_END, simulateCustomer } from './syntheticShop.js';
import { DAY } from '../features/read.js';
import type { TrainingEvent } from '../ml/trainingSet.js';
import { tableFromEvents, type TrainingTable } from '../ml/datasets/trainingTable.js';

export interface SyntheticOptions {
  customers?: number;
  days?: number;
  seed?: number;
}

/** The last 90 days of recorded history are the holdout, as for Online Retail. */
const HOLDOUT_DAYS = 90;

/**
 * A synthetic shop generated in memory (the same generator as `breadcrumb seed`): features from
 * recorded history before T = end − 90 days, labels from the recorded last 90 days, and the
 * simulator's hidden preferred open hour (sim_truth) beside the send-time labels.
 */
export function syntheticTable({ customers = 3000, days = 365, seed = 7 }: SyntheticOptions = {}): TrainingTable {
  const ctx = createShopContext({ seed, days, end: FIXED_SHOP_END, partitions: 1 });
  const events: TrainingEvent[] = [];
  const timezones = new Map<string, string>();
  const trueHours = new Map<string, number>();
  for (let index = 0; index < customers; index++) {
    const simulated = simulateCustomer(ctx, index);
    for (const e of simulated.events) events.push(e);
    timezones.set(simulated.customer._id, simulated.customer.timezone);
    trueHours.set(simulated.customer._id, simulated.truth.outcomes.preferredOpenHour);
  }
  const asOf = new Date(ctx.endMs - HOLDOUT_DAYS * DAY);
  const table = tableFromEvents(events, {
    dataset: 'synthetic',
    cut: `${customers} simulated customers (seed ${seed}, ${days} days); features before ${asOf.toISOString().slice(0, 10)}, labels from the last ${HOLDOUT_DAYS} days`,
    asOf,
    horizonDays: HOLDOUT_DAYS,
    timezones,
  });
  if (table.sendTime) table.sendTime.trueHour = Int8Array.from(table.set.customerIds, (id) => trueHours.get(id)!);
  return table;
}
