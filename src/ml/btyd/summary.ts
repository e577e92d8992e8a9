export type Transaction = { customerId: string; date: Date; value: number };
export type TimeUnit = 'weeks' | 'days';

export type RfmOptions = {
  /** Last day (inclusive, UTC) of the calibration period. */
  calibrationEnd: Date;
  /** Last day (inclusive, UTC) of the holdout period; without it no holdout columns are produced. */
  observationEnd?: Date;
  unit: TimeUnit;
};

export type RfmRow = {
  customerId: string;
  /** Repeat purchases in calibration: distinct purchase days after the first. */
  x: number;
  /** Time of the last purchase, from the first. */
  t_x: number;
  /** Age at the end of calibration, from the first purchase. */
  T: number;
  /** Mean value of a repeat purchase day (the first purchase excluded); 0 when x = 0. */
  monetary: number;
  /** Purchase days in (calibrationEnd, observationEnd]. */
  holdoutPurchases?: number;
  /** Total value in (calibrationEnd, observationEnd]. */
  holdoutValue?: number;
};

const DAY_MS = 86_400_000;
const UNIT_DAYS: Record<TimeUnit, number> = { days: 1, weeks: 7 };

/** Whole UTC days from the epoch: purchases are counted per customer per day, as in lifetimes' freq='D'. */
export function utcDay(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}

/** Length of (from, to] in `unit`, on UTC day boundaries. */
export function periodsBetween(from: Date, to: Date, unit: TimeUnit): number {
  return (utcDay(to) - utcDay(from)) / UNIT_DAYS[unit];
}

/**
 * Recency/frequency/monetary summary per customer for BTYD models, the equivalent of lifetimes'
 * `calibration_and_holdout_data` with daily periods: several orders on one day count as one
 * purchase of their summed value. Customers whose first purchase is after the calibration end are
 * not in the result (the models only describe customers already acquired).
 */
export function rfmSummary(transactions: Iterable<Transaction>, options: RfmOptions): RfmRow[] {
  const calEnd = utcDay(options.calibrationEnd);
  const obsEnd = options.observationEnd ? utcDay(options.observationEnd) : undefined;
  if (obsEnd !== undefined && obsEnd < calEnd) throw new Error('observationEnd is before calibrationEnd');
  const unitDays = UNIT_DAYS[options.unit];

  // Per customer: value per calibration day, value per holdout day.
  const calibration = new Map<string, Map<number, number>>();
  const holdout = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    const day = utcDay(t.date);
    const target = day <= calEnd ? calibration : obsEnd !== undefined && day <= obsEnd ? holdout : undefined;
    if (!target) continue;
    let days = target.get(t.customerId);
    if (!days) target.set(t.customerId, (days = new Map()));
    days.set(day, (days.get(day) ?? 0) + t.value);
  }

  const rows: RfmRow[] = [];
  for (const [customerId, days] of calibration) {
    const sorted = [...days.keys()].sort((a, b) => a - b);
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const x = sorted.length - 1;
    let repeatValue = 0;
    for (const day of sorted.slice(1)) repeatValue += days.get(day)!;
    const row: RfmRow = {
      customerId,
      x,
      t_x: (last - first) / unitDays,
      T: (calEnd - first) / unitDays,
      monetary: x > 0 ? repeatValue / x : 0,
    };
    if (obsEnd !== undefined) {
      const later = holdout.get(customerId);
      row.holdoutPurchases = later?.size ?? 0;
      row.holdoutValue = later ? [...later.values()].reduce((sum, v) => sum + v, 0) : 0;
    }
    rows.push(row);
  }
  return rows;
}
