import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import { buildFeatures, FEATURE_VERSION, foldContext } from '../features/buildFeatures.js';
import { featureCatalog } from '../features/catalog.js';
import type { FoldEvent } from '../features/defineFold.js';
import { DAY, orderRevenue, toNumber, toText } from '../features/read.js';
import { config } from '../config.js';
import { customerCount } from '../features/refreshFeatures.js';
import { shopHighValuePrice } from '../features/store.js';
import { timelineEventsOf } from '../ingest/timeline/compact.js';
import { deriveProfile } from '../ingest/timeline/profile.js';
import { timelineFromEvents } from '../ingest/timeline/timelineStore.js';
import { localHour, offsetFnFor } from '../features/time.js';
import {
  BTYD_FEATURES,
  btydSummary as btydSummaryOf,
  btydValues,
  fitBtydParams,
  type BtydParams,
  type BtydSummary,
} from './btyd/btydInputs.js';

export type Split = 'train' | 'validation' | 'test';
export type Population = 'buyers' | 'prospects' | 'all';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/** Rows of one split, or of the whole set: an n × d row-major matrix with its labels. */
export interface TrainingRows {
  rows: number;
  X: Float32Array;
  customerIds: string[];
  /** 1 when the customer placed no order in (T, T + H]. */
  churned: Float32Array;
  /** Order revenue in (T, T + H] (refunds not deducted). */
  futureRevenue: Float64Array;
  /** Distinct orders in (T, T + H]. */
  futureOrders: Float64Array;
  /** Local hour (0–23) of the first human email open in (T, T + H]; −1 without one (send-time label). */
  nextOpenHour: Int8Array;
  /** Untransformed values of the features named in `keepRaw` (null → NaN), for baselines. */
  raw: Record<string, Float64Array>;
}

export interface TrainingSet extends TrainingRows {
  asOf: Date;
  horizonDays: number;
  featureVersion: number;
  /** One spec per column of X, in order; `featureNames` are their names. */
  columns: ColumnSpec[];
  featureNames: string[];
  /** 0 train, 1 validation, 2 test, by a hash of the customer id. */
  split: Uint8Array;
  /** Where each customer's features came from. */
  sources: { events: number; snapshots: number };
  eventsScanned: number;
  /** BG/NBD + Gamma-Gamma parameters behind the `btyd*` columns (see withBtydInputs); null without them. */
  btyd?: BtydParams | null;
  /** Why the `btyd*` columns are absent, when they were asked for. */
  btydError?: string;
}

export interface TrainingSetOptions {
  asOf: Date;
  horizonDays: number;
  /**
   * `buyers` (default): customers with at least one order before T, the churn population;
   * `prospects`: customers without one, the first-purchase population; `all`: both.
   */
  population?: Population;
  /** Use `feature_snapshots` stored for exactly T (and the current FEATURE_VERSION) when present (default true). */
  useSnapshots?: boolean;
  /** Raw features kept alongside X (default: recency and the BG/NBD summary). */
  keepRaw?: readonly string[];
  /** Fixed columns (a model's schema); default: derived from the rows (numericColumns). */
  columns?: ColumnSpec[];
  onProgress?: (scanned: number, estimatedTotal: number) => void;
  /** Stops the events scan (a shutdown should not wait for a million events to be read). */
  signal?: AbortSignal;
}

export const DEFAULT_RAW = [
  'recencyDays',
  'bgnbdX',
  'bgnbdTx',
  'bgnbdT',
  'bgnbdMonetary',
  'orders',
  'monetaryNet',
  'monetaryMean',
] as const;

/** Deterministic split of a customer: 70 % train, 15 % validation, 15 % test. */
export function splitOf(customerId: string): Split {
  // Salted, so the split is independent of the partition hash of the same id.
  const u = createHash('md5').update(`split:${customerId}`).digest().readUInt32BE(0) / 2 ** 32;
  return u < 0.7 ? 'train' : u < 0.85 ? 'validation' : 'test';
}

interface CustomerAccumulator {
  /** Events strictly before T, kept only when features must be computed from events. */
  before: FoldEvent[];
  hasOrderBefore: boolean;
  /** Any event before T: a customer first seen after T did not exist to be scored at T. */
  seenBefore: boolean;
  orderIdsBefore: Set<string> | undefined;
  /** Orders in (T, T + H]; deduplicated at the end (events may arrive in any order). */
  future: { orderId: string | null; revenue: number }[];
  /** Earliest human email open in (T, T + H], ms; Infinity without one. */
  firstOpenAfter: number;
}

/** What the builder needs from an event: a stored document or a generated one. */
export type TrainingEvent = FoldEvent & { customerId?: string | null };

export interface BuilderInputs {
  /** IANA timezone per customer id (local days and hours); missing means UTC. */
  timezones?: ReadonlyMap<string, string>;
  /** Feature values stored for exactly T, by customer id; such customers are not folded again. */
  snapshots?: ReadonlyMap<string, Record<string, unknown>>;
  /** The shop's high-value price, as build-features uses it (default: each customer's own 75th percentile). */
  highValuePrice?: number | null;
}

/**
 * Accumulates events in any order and turns them into a training set for as-of T and horizon H:
 * features from events strictly before T, labels from events in (T, T + H]. An event at or after
 * T only ever updates the label accumulators and never reaches `buildFeatures` (which on top of
 * that ignores everything at or after T itself).
 */
export class TrainingSetBuilder {
  private readonly customers = new Map<string, CustomerAccumulator>();
  private readonly T: number;
  private readonly end: number;
  private scanned = 0;

  constructor(
    private readonly opts: TrainingSetOptions,
    private readonly inputs: BuilderInputs = {},
  ) {
    this.T = opts.asOf.getTime();
    if (!Number.isFinite(this.T)) throw new RangeError('training set: asOf is not a valid date');
    if (!(opts.horizonDays > 0)) throw new RangeError('training set: horizonDays must be > 0');
    this.end = this.T + opts.horizonDays * DAY;
  }

  add(e: TrainingEvent): void {
    const customerId = e.customerId;
    const ts = e.ts instanceof Date ? e.ts.getTime() : NaN;
    if (typeof customerId !== 'string' || !Number.isFinite(ts) || ts > this.end) return;
    this.scanned++;
    let acc = this.customers.get(customerId);
    if (!acc)
      this.customers.set(
        customerId,
        (acc = {
          before: [],
          hasOrderBefore: false,
          seenBefore: false,
          orderIdsBefore: undefined,
          future: [],
          firstOpenAfter: Infinity,
        }),
      );
    const isOrder = e.type === 'order_completed';
    const props = e.props;
    if (ts < this.T) {
      acc.seenBefore = true;
      if (!this.inputs.snapshots?.has(customerId)) acc.before.push(e);
      if (isOrder) {
        acc.hasOrderBefore = true;
        const orderId = toText(props?.orderId);
        if (orderId !== null) (acc.orderIdsBefore ??= new Set()).add(orderId);
      }
    } else if (ts > this.T && isOrder) {
      // Events exactly at T belong to neither side: features stop before T, labels start after it.
      acc.future.push({ orderId: toText(props?.orderId), revenue: orderRevenue(props) });
    } else if (ts > this.T && e.type === 'email_opened' && props?.machineOpen !== true && ts < acc.firstOpenAfter) {
      // Machine opens (mail privacy prefetch) say nothing about when the person reads.
      acc.firstOpenAfter = ts;
    }
  }

  finish(): TrainingSet {
    const { opts, inputs, T } = this;
    const population = opts.population ?? 'buyers';
    const inPopulation = (acc: CustomerAccumulator) =>
      population === 'all'
        ? true
        : population === 'buyers'
          ? acc.hasOrderBefore
          : acc.seenBefore && !acc.hasOrderBefore;
    const ids = [...this.customers.keys()].filter((id) => inPopulation(this.customers.get(id)!)).sort();
    const values: Record<string, unknown>[] = [];
    const sources = { events: 0, snapshots: 0 };
    const contexts = new Map<string, ReturnType<typeof foldContext>>();
    for (const id of ids) {
      const snapshot = inputs.snapshots?.get(id);
      if (snapshot) {
        values.push(snapshot);
        sources.snapshots++;
        continue;
      }
      const acc = this.customers.get(id)!;
      const timezone = inputs.timezones?.get(id) ?? 'UTC';
      let ctx = contexts.get(timezone);
      if (!ctx)
        contexts.set(
          timezone,
          (ctx = foldContext({ asOf: T, timezone, highValuePrice: inputs.highValuePrice ?? null })),
        );
      acc.before.sort((a, b) => +a.ts - +b.ts);
      values.push(buildFeatures(acc.before, ctx) as unknown as Record<string, unknown>);
      acc.before = [];
      sources.events++;
    }

    const columns = opts.columns ?? numericColumns(values);
    const raw: Record<string, Float64Array> = {};
    for (const name of opts.keepRaw ?? DEFAULT_RAW)
      raw[name] = Float64Array.from(values, (v) => (typeof v[name] === 'number' ? (v[name] as number) : NaN));
    const n = ids.length;
    const churned = new Float32Array(n);
    const futureRevenue = new Float64Array(n);
    const futureOrders = new Float64Array(n);
    const split = new Uint8Array(n);
    const nextOpenHour = new Int8Array(n);
    ids.forEach((id, i) => {
      const acc = this.customers.get(id)!;
      const outcome = futureOutcome(acc);
      nextOpenHour[i] = Number.isFinite(acc.firstOpenAfter)
        ? localHour(acc.firstOpenAfter, offsetFnFor(inputs.timezones?.get(id) ?? 'UTC'))
        : -1;
      churned[i] = outcome.orders === 0 ? 1 : 0;
      futureRevenue[i] = outcome.revenue;
      futureOrders[i] = outcome.orders;
      split[i] = SPLITS.indexOf(splitOf(id));
    });
    return {
      asOf: new Date(T),
      horizonDays: opts.horizonDays,
      featureVersion: FEATURE_VERSION,
      rows: n,
      X: encodeRows(values, columns),
      columns,
      featureNames: columns.map((c) => c.name),
      customerIds: ids,
      churned,
      futureRevenue,
      futureOrders,
      nextOpenHour,
      raw,
      split,
      sources,
      eventsScanned: this.scanned,
    };
  }
}

/** A training set from events in memory (a generated shop, a file): the same rules as from the database. */
export function trainingSetFromEvents(
  events: Iterable<TrainingEvent>,
  opts: TrainingSetOptions,
  inputs?: BuilderInputs,
): TrainingSet {
  const builder = new TrainingSetBuilder(opts, inputs);
  for (const e of events) builder.add(e);
  return builder.finish();
}

/**
 * The training set from the database: one pass over the customers' timelines (one document per
 * customer, never the events collection), with each customer's time zone as their profile says
 * and the shop's high-value price as build-features uses it, and `feature_snapshots` for exactly T
 * when they were stored. See buildTrainingSets to build several (as-of, horizon) sets in one pass.
 */
export async function buildTrainingSet(database: Database, opts: TrainingSetOptions): Promise<TrainingSet> {
  const ready = prepared.get(database)?.get(setKey(opts));
  if (ready) {
    prepared.get(database)!.delete(setKey(opts));
    return ready;
  }
  return (await buildTrainingSets(database, [opts]))[0]!;
}

/** Sets built ahead by prepareTrainingSets, by database and (as-of, horizon, population, raw, snapshots). */
const prepared = new WeakMap<Database, Map<string, Promise<TrainingSet>>>();
const setKey = (o: TrainingSetOptions) =>
  JSON.stringify([
    o.asOf.toISOString(),
    o.horizonDays,
    o.population ?? 'buyers',
    o.keepRaw ?? null,
    o.useSnapshots ?? true,
    o.columns ?? null,
  ]);

/**
 * Builds several sets in one pass now, for the training jobs about to ask for them one by one
 * (start-up trains the demo's three models: one read of the timelines instead of three). Each
 * prepared set is handed out once; a job asking for another set builds its own.
 */
export function prepareTrainingSets(database: Database, list: readonly TrainingSetOptions[]): Promise<TrainingSet[]> {
  const all = buildTrainingSets(database, list);
  let map = prepared.get(database);
  if (!map) prepared.set(database, (map = new Map()));
  list.forEach((o, i) => {
    const one = all.then((sets) => sets[i]!);
    one.catch(() => undefined);
    map.set(setKey(o), one);
  });
  return all;
}

/**
 * Several training sets — e.g. churn, LTV and send time at their own as-of dates and horizons —
 * from one read of the timelines: each customer's events are handed to every builder, which keeps
 * what lies before its T (features) and in (T, T + H] (labels).
 */
export async function buildTrainingSets(
  database: Database,
  list: readonly TrainingSetOptions[],
): Promise<TrainingSet[]> {
  const timezones = new Map<string, string>();
  const highValuePrice = await shopHighValuePrice(database);
  const builders = await Promise.all(
    list.map(
      async (opts) =>
        new TrainingSetBuilder(opts, { timezones, snapshots: await readSnapshots(database, opts), highValuePrice }),
    ),
  );
  const total = await customerCount(
    database,
    Array.from({ length: config().PARTITIONS }, (_, p) => p),
  );
  const first = list[0]!;
  let read = 0;
  for await (const doc of database.collections.customerTimelines.find({}, { batchSize: 1000 })) {
    const customerId = String(doc._id);
    const events = timelineEventsOf(doc) ?? (await timelineFromEvents(database, customerId));
    timezones.set(customerId, deriveProfile(customerId, doc.partition as number, events).profile.timezone);
    for (const e of events) {
      const event: TrainingEvent = {
        customerId,
        type: e.t,
        ts: new Date(e.s),
        sessionId: e.ss ?? null,
        device: e.d ?? null,
        props: e.p,
      };
      for (const b of builders) b.add(event);
    }
    if (++read % 500 === 0) {
      first.signal?.throwIfAborted();
      first.onProgress?.(read, Math.max(total, read));
    }
  }
  first.onProgress?.(read, read);
  return builders.map((b) => b.finish());
}

async function readSnapshots(
  database: Database,
  opts: TrainingSetOptions,
): Promise<Map<string, Record<string, unknown>>> {
  const snapshots = new Map<string, Record<string, unknown>>();
  if (opts.useSnapshots === false) return snapshots;
  const cursor = database.collections.featureSnapshots.find(
    { asOf: opts.asOf, version: FEATURE_VERSION },
    { projection: { customerId: 1, values: 1 } },
  );
  for await (const doc of cursor) snapshots.set(doc.customerId, doc.values);
  return snapshots;
}

/** Why a training as-of is refused: its label window reaches past the data (or there is no data). */
export type LabelWindowError = { type: 'label_window_open' | 'no_events'; message: string };

/**
 * Until when the data counts as complete: the end of its last event's UTC day. As-of dates and
 * horizons are whole days, and a shop's data "ending on the 30th" covers the 30th (its last event
 * at 23:10 should not make the 30th-day horizon a day short).
 */
export function dataCoveredUntil(dataEnd: Date): Date {
  return new Date(Math.ceil(dataEnd.getTime() / DAY) * DAY);
}

/** The latest as-of whose label window (T, T + H] the data covers: the end of the last event's day − H. */
export function latestValidAsOf(dataEnd: Date, horizonDays: number): Date {
  return new Date(dataCoveredUntil(dataEnd).getTime() - horizonDays * DAY);
}

/**
 * A training as-of T is valid when the labels of (T, T + H] are known, i.e. the data reaches
 * T + H. Checked against the data's last event, not the clock: on a shop whose data ends in the
 * past a window past its end would label every customer "churned" with nothing to say so.
 */
export function checkLabelWindow(
  asOf: Date,
  horizonDays: number,
  dataEnd: Date | null,
): { ok: true } | { ok: false; error: LabelWindowError } {
  if (dataEnd === null)
    return { ok: false, error: { type: 'no_events', message: 'no events stored: there is nothing to train on' } };
  const windowEnd = asOf.getTime() + horizonDays * DAY;
  if (windowEnd <= dataCoveredUntil(dataEnd).getTime()) return { ok: true };
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    ok: false,
    error: {
      type: 'label_window_open',
      message:
        `the label window (${day(asOf)}, +${horizonDays} days] has not ended in the data: it ends ${new Date(windowEnd).toISOString()}, after the data's last event ${dataEnd.toISOString()}, so its labels are unknown. ` +
        `Latest valid --as-of: ${day(latestValidAsOf(dataEnd, horizonDays))} (last event − ${horizonDays} days)`,
    },
  };
}

/** Orders in (T, T + H], each orderId once and none already placed before T (as buildFeatures counts them). */
function futureOutcome(acc: CustomerAccumulator): { orders: number; revenue: number } {
  const seen = new Set(acc.orderIdsBefore);
  let orders = 0;
  let revenue = 0;
  for (const order of acc.future) {
    if (order.orderId !== null) {
      if (seen.has(order.orderId)) continue;
      seen.add(order.orderId);
    }
    orders++;
    revenue += order.revenue;
  }
  return { orders, revenue };
}

/** The rows of one split (copies), e.g. `rowsOf(set, 'train')`. */
export function rowsOf(set: TrainingSet, which: Split): TrainingRows {
  const code = SPLITS.indexOf(which);
  const index: number[] = [];
  for (let i = 0; i < set.rows; i++) if (set.split[i] === code) index.push(i);
  return selectRows(set, index);
}

export function selectRows(set: TrainingRows & { featureNames: string[] }, index: readonly number[]): TrainingRows {
  const d = set.featureNames.length;
  const X = new Float32Array(index.length * d);
  index.forEach((r, i) => X.set(set.X.subarray(r * d, (r + 1) * d), i * d));
  const pick = <A extends Float32Array | Float64Array | Int8Array>(a: A, make: (n: number) => A) => {
    const out = make(index.length);
    index.forEach((r, i) => (out[i] = a[r]!));
    return out;
  };
  const raw: Record<string, Float64Array> = {};
  for (const [name, a] of Object.entries(set.raw)) raw[name] = pick(a, (k) => new Float64Array(k));
  return {
    rows: index.length,
    X,
    customerIds: index.map((r) => set.customerIds[r]!),
    churned: pick(set.churned, (k) => new Float32Array(k)),
    futureRevenue: pick(set.futureRevenue, (k) => new Float64Array(k)),
    futureOrders: pick(set.futureOrders, (k) => new Float64Array(k)),
    nextOpenHour: pick(set.nextOpenHour, (k) => new Int8Array(k)),
    raw,
  };
}

/**
 * How one column of X is made from a customer's feature values. Written to a model's meta.json,
 * so scoring encodes new customers exactly as the training rows were.
 */
export type ColumnSpec =
  | { name: string; source: string; kind: 'value'; transform: 'log1p' | 'identity' }
  | { name: string; source: string; kind: 'missing' }
  | { name: string; source: string; kind: 'oneHot'; value: string };

/** Units whose values are heavy-tailed magnitudes; they enter the models as sign(x)·log(1 + |x|). */
const LOG_UNITS = new Set(['count', 'days', 'weeks', 'currency', 'seconds']);
/** Exact rescalings of other features (BG/NBD in weeks): the same information twice. */
const REDUNDANT = new Set(['bgnbdTxWeeks', 'bgnbdTWeeks']);
/** Text features with a small fixed vocabulary become one-hot columns; others (top categories) are left out. */
const ONE_HOT: Record<string, readonly string[]> = { preferredDevice: ['desktop', 'mobile', 'tablet'] };

/**
 * The columns for a set of rows: every numeric catalogue feature (log-transformed when it is a
 * count, duration or amount), a `<name>_missing` indicator where some row has no value (null
 * means "does not apply", e.g. the gap between orders of a one-time buyer; the value column then
 * holds 0), and one-hot columns for the device.
 */
export function numericColumns(rows: readonly Record<string, unknown>[]): ColumnSpec[] {
  const columns: ColumnSpec[] = [];
  for (const f of featureCatalog) {
    if (REDUNDANT.has(f.name)) continue;
    if (f.type === 'number') {
      columns.push({
        name: f.name,
        source: f.name,
        kind: 'value',
        transform: LOG_UNITS.has(f.unit) ? 'log1p' : 'identity',
      });
      if (rows.some((r) => !Number.isFinite(toNumber(r[f.name]))))
        columns.push({ name: `${f.name}_missing`, source: f.name, kind: 'missing' });
    } else {
      for (const value of ONE_HOT[f.name] ?? [])
        columns.push({ name: `${f.name}=${value}`, source: f.name, kind: 'oneHot', value });
    }
  }
  return columns;
}

/** Rows of feature values (from buildFeatures, `features` or `feature_snapshots`) → a row-major n × d matrix. */
export function encodeRows(rows: readonly Record<string, unknown>[], columns: readonly ColumnSpec[]): Float32Array {
  const d = columns.length;
  const X = new Float32Array(rows.length * d);
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) X[i * d + j] = encodeValue(row[columns[j]!.source], columns[j]!);
  });
  return X;
}

function encodeValue(v: unknown, c: ColumnSpec): number {
  if (c.kind === 'oneHot') return v === c.value ? 1 : 0;
  const x = toNumber(v);
  if (c.kind === 'missing') return Number.isFinite(x) ? 0 : 1;
  if (!Number.isFinite(x)) return 0;
  return c.transform === 'log1p' ? Math.sign(x) * Math.log1p(Math.abs(x)) : x;
}

/**
 * The set with BG/NBD + Gamma-Gamma outputs appended as columns (`btyd*`, see btydInputs.ts).
 * The parameters are fitted on the training split's RFM summaries, which come from events before
 * T only, so no label leaks into them; `params` (a model's stored ones) skips the fit. A failed fit
 * leaves the set as it was, with `btydError` saying why.
 */
export async function withBtydInputs(set: TrainingSet, params?: BtydParams): Promise<TrainingSet> {
  const summaries = Array.from({ length: set.rows }, (_, i) => rawSummary(set.raw, i));
  let fitted = params;
  if (!fitted) {
    const train = SPLITS.indexOf('train');
    const result = await fitBtydParams(
      summaries.filter((_, i) => set.split[i] === train),
      set.horizonDays,
    );
    if (!result.ok) return { ...set, btyd: null, btydError: result.error.message };
    fitted = result.value;
  }
  const values = summaries.map((s) => btydValues(fitted, s) as Record<string, unknown>);
  const extra = btydColumns(values);
  const d = set.columns.length;
  const e = extra.length;
  const added = encodeRows(values, extra);
  const X = new Float32Array(set.rows * (d + e));
  for (let i = 0; i < set.rows; i++) {
    X.set(set.X.subarray(i * d, (i + 1) * d), i * (d + e));
    X.set(added.subarray(i * e, (i + 1) * e), i * (d + e) + d);
  }
  const raw = { ...set.raw };
  for (const name of BTYD_FEATURES) raw[name] = Float64Array.from(values, (v) => v[name] as number);
  const columns = [...set.columns, ...extra];
  return { ...set, X, columns, featureNames: columns.map((c) => c.name), raw, btyd: fitted };
}

/** P(alive) is a probability; counts, amounts and waits are heavy-tailed, so log-scaled like the catalogue's. */
function btydColumns(values: readonly Record<string, unknown>[]): ColumnSpec[] {
  const columns: ColumnSpec[] = BTYD_FEATURES.map((name) => ({
    name,
    source: name,
    kind: 'value',
    transform: name === 'btydPAlive' ? 'identity' : 'log1p',
  }));
  // The four are missing together (a customer without orders): one indicator covers them.
  if (values.some((v) => !Number.isFinite(v.btydPAlive)))
    columns.push({ name: 'btyd_missing', source: 'btydPAlive', kind: 'missing' });
  return columns;
}

function rawSummary(raw: Record<string, Float64Array>, i: number): BtydSummary {
  const get = (name: string) => raw[name]?.[i] ?? NaN;
  const orderValue = Number.isFinite(get('monetaryMean')) ? get('monetaryMean') : get('monetaryNet') / get('orders');
  return { x: get('bgnbdX'), t_x: get('bgnbdTx'), T: get('bgnbdT'), monetary: get('bgnbdMonetary'), orderValue };
}

/** A customer's feature record with the BTYD outputs added under their column names, for encodeRows at scoring. */
export function withBtydValues(values: Record<string, unknown>, params: BtydParams): Record<string, unknown> {
  return { ...values, ...btydValues(params, btydSummaryOf(values)) };
}

/** The set with only the columns `keep` accepts (a model that reads part of the catalogue). */
export function keepColumns(set: TrainingSet, keep: (column: ColumnSpec) => boolean): TrainingSet {
  const d = set.columns.length;
  const index = set.columns.flatMap((c, j) => (keep(c) ? [j] : []));
  const k = index.length;
  const X = new Float32Array(set.rows * k);
  for (let i = 0; i < set.rows; i++) for (let j = 0; j < k; j++) X[i * k + j] = set.X[i * d + index[j]!]!;
  const columns = index.map((j) => set.columns[j]!);
  return { ...set, X, columns, featureNames: columns.map((c) => c.name) };
}
