import { DAY } from '../../features/read.js';
import { onlineRetailEvents } from '../../ingest/import/onlineRetail.js';
import { openSource } from '../../ingest/import/openSource.js';
import { csvRecords } from '../../ingest/import/records.js';
import type { TrainingEvent } from '../trainingSet.js';
import { publicDataFile } from './publicData.js';
import { tableFromEvents, type TrainingTable } from './trainingTable.js';

/** The repository's copy: 1 customer in 10 of the UCI file, whole histories (`data/public/trim.ts`). */
export const ONLINE_RETAIL_FILE = publicDataFile('online_retail.csv.gz');
/** The holdout: the last 90 days of the file, the churn horizon of the issue. */
export const ONLINE_RETAIL_HOLDOUT_DAYS = 90;

/**
 * UCI Online Retail (or Online Retail II) through the importer's own converter, so invoices
 * become orders and credit notes refunds exactly as `breadcrumb import` stores them. T is the
 * UTC midnight 90 days before the end of the file's last day: features from everything before,
 * labels (churn, purchase days, revenue) from the last 90 days; customers without an order
 * before T are not in the table.
 */
export async function onlineRetailTable(file: string = ONLINE_RETAIL_FILE): Promise<TrainingTable> {
  const events: TrainingEvent[] = [];
  let last = -Infinity;
  let rejected = 0;
  for await (const item of onlineRetailEvents(csvRecords(openSource(file).stream))) {
    // Rows the importer refuses (e.g. bad-debt adjustments with a negative price) are left out as it leaves them out.
    if (item.kind === 'reject') rejected++;
    if (item.kind !== 'event') continue;
    const e = item.event as {
      type: string;
      customerId: string;
      timestamp: string;
      properties: Record<string, unknown>;
    };
    const ts = new Date(e.timestamp);
    last = Math.max(last, ts.getTime());
    events.push({ type: e.type, customerId: e.customerId, ts, props: e.properties });
  }
  if (events.length === 0) throw new Error(`${file}: no Online Retail orders with a customer id`);
  const endOfData = Math.ceil(last / DAY) * DAY;
  const asOf = new Date(endOfData - ONLINE_RETAIL_HOLDOUT_DAYS * DAY);
  return tableFromEvents(events, {
    dataset: 'online-retail',
    cut: `features before ${asOf.toISOString().slice(0, 10)}, labels from the last ${ONLINE_RETAIL_HOLDOUT_DAYS} days (to ${new Date(endOfData - 1).toISOString().slice(0, 10)})${rejected ? `; ${rejected} rows refused by the importer left out` : ''}`,
    asOf,
    horizonDays: ONLINE_RETAIL_HOLDOUT_DAYS,
  });
}
