import { DAY } from '../../features/read.js';
import { periodsBetween, rfmSummary, type RfmRow, type Transaction } from '../btyd/summary.js';
import { tableFromEvents, type TrainingTable } from './trainingTable.js';
import { openSource } from '../../ingest/import/openSource.js';
import { csvRecords } from '../../ingest/import/records.js';
import { publicDataFile } from './publicData.js';

/** The copies carried in the repository, both complete. */
export const CDNOW_SAMPLE_FILE = publicDataFile('cdnow_sample.csv.gz');
export const CDNOW_MASTER_FILE = publicDataFile('cdnow_master.csv.gz');

/**
 * The classic split of the BTYD literature: weeks 1–39 (1997-01-01 … 1997-09-30) calibrate,
 * weeks 40–78 (1997-10-01 … 1998-06-30) are the holdout. Both ends are inclusive UTC days.
 */
export const CDNOW_SPLIT = { calibrationEnd: new Date('1997-09-30'), observationEnd: new Date('1998-06-30') } as const;

export type CdnowTransaction = Transaction & { cds: number };

export interface CdnowCustomer {
  customerId: string;
  /** Rows dated on or before the calibration end, in file order (the file is sorted by date per customer). */
  calibration: CdnowTransaction[];
  /** Distinct purchase days in the holdout (as lifetimes counts them with daily periods). */
  holdoutPurchases: number;
  /** Dollars spent in the holdout. */
  holdoutValue: number;
}

export interface CdnowData {
  transactions: CdnowTransaction[];
  /** Every customer with a calibration purchase (all of CDNOW's: the cohort joined in Q1 1997), in first-seen order. */
  customers: CdnowCustomer[];
  /** The BG/NBD summary in weeks, row i describing customers[i]. */
  rfm: RfmRow[];
}

/**
 * Reads a CDNOW log (the master's `customer_id,date,number_of_cds,dollar_value` or the sample's
 * `customer_id_master,customer_id_sample,…`; plain or gzip). A malformed row is a broken file, so it throws.
 */
export async function readCdnowTransactions(file: string = CDNOW_SAMPLE_FILE): Promise<CdnowTransaction[]> {
  const transactions: CdnowTransaction[] = [];
  for await (const { line, value: r } of csvRecords(openSource(file).stream)) {
    const t = {
      customerId: r.customer_id ?? r.customer_id_master ?? '',
      date: new Date(r.date ?? ''),
      cds: Number(r.number_of_cds),
      value: Number(r.dollar_value),
    };
    if (!t.customerId || Number.isNaN(t.date.getTime()) || !Number.isFinite(t.cds) || !Number.isFinite(t.value))
      throw new Error(`${file}: line ${line} is not a CDNOW row (customer_id,date,number_of_cds,dollar_value)`);
    transactions.push(t);
  }
  return transactions;
}

/** A CDNOW log split the classic way, per customer. */
export async function loadCdnow(file: string = CDNOW_SAMPLE_FILE): Promise<CdnowData> {
  const transactions = await readCdnowTransactions(file);
  const rfm = rfmSummary(transactions, { ...CDNOW_SPLIT, unit: 'weeks' });
  const calibrationEnd = CDNOW_SPLIT.calibrationEnd.getTime();
  const calibration = new Map<string, CdnowTransaction[]>();
  for (const t of transactions) {
    if (t.date.getTime() > calibrationEnd) continue;
    let list = calibration.get(t.customerId);
    if (!list) calibration.set(t.customerId, (list = []));
    list.push(t);
  }
  const customers = rfm.map((r) => ({
    customerId: r.customerId,
    calibration: calibration.get(r.customerId)!,
    holdoutPurchases: r.holdoutPurchases!,
    holdoutValue: r.holdoutValue!,
  }));
  return { transactions, customers, rfm };
}

/**
 * The CDNOW training table: one order per customer and day (several rows of a day summed, as
 * the BTYD literature and lifetimes count purchases), at 00:00 UTC as the importer stores them.
 * The log has dates only, and an event exactly at T belongs to neither side, so T is noon of the
 * last calibration day: features see weeks 1–39, labels weeks 40–78.
 */
export async function cdnowTable(file: string = CDNOW_SAMPLE_FILE, dataset = 'cdnow'): Promise<TrainingTable> {
  const days = new Map<string, CdnowTransaction & { n: number }>();
  for (const t of await readCdnowTransactions(file)) {
    const key = `${t.customerId} ${t.date.getTime()}`;
    const day = days.get(key);
    if (day) [day.value, day.cds, day.n] = [day.value + t.value, day.cds + t.cds, day.n + 1];
    else days.set(key, { ...t, n: 1 });
  }
  const events = [...days.values()].map((t) => ({
    customerId: t.customerId,
    type: 'order_completed',
    ts: t.date,
    props: {
      orderId: `${t.customerId}-${t.date.toISOString().slice(0, 10)}`,
      revenue: t.value,
      items: [{ productId: 'cd', category: 'music', price: t.cds > 0 ? t.value / t.cds : t.value, quantity: t.cds }],
    },
  }));
  const asOf = new Date(CDNOW_SPLIT.calibrationEnd.getTime() + DAY / 2);
  return tableFromEvents(events, {
    dataset,
    cut: 'classic: weeks 1–39 (1997-01-01 … 1997-09-30) features, weeks 40–78 (… 1998-06-30) labels',
    asOf,
    horizonDays: periodsBetween(CDNOW_SPLIT.calibrationEnd, CDNOW_SPLIT.observationEnd, 'days'),
  });
}
