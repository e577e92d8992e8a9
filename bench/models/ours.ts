// Breadcrumb's models, cross-fitted on a training table: for each fold k, trained on the other
// folds (fold k+1 for early stopping and calibration) and scored on fold k, so every customer
// gets a prediction from models that never saw their labels — the same protocol as peers.py.
import { expectedPurchases, fitBgNbd, probabilityNoPurchase, type BgNbdParams } from '../../src/ml/btyd/bgnbd.js';
import { customerLifetimeValue, fitGammaGamma, type GammaGammaParams } from '../../src/ml/btyd/gammaGamma.js';
import { scoreChurn, trainChurn } from '../../src/ml/churn/index.js';
import { FOLDS, foldSet, type TrainingTable } from '../../src/ml/datasets/trainingTable.js';
import { blendPredictions, chooseBlendWeight, scoreLtv, trainLtv } from '../../src/ml/ltv/index.js';
import { scorePurchases, trainPurchases } from '../../src/ml/purchases/index.js';
import { shopWideBestHour, fitSendTime, predictSendTimeBatch } from '../../src/ml/sendTime/index.js';
import { rocAuc } from '../../src/ml/metrics.js';
import { selectRows, withBtydInputs, type TrainingSet } from '../../src/ml/trainingSet.js';

/** Out-of-fold predictions of one model; a task it does not do is absent. */
export interface Predictions {
  /** P(no order in the holdout). */
  churn?: Float64Array;
  /** Expected purchase days in the holdout. */
  purchases?: Float64Array;
  /** Expected holdout revenue. */
  revenue?: Float64Array;
  /** Best send hour (−1 where the customer has no holdout open to judge it by). */
  sendTime?: Int16Array;
  /** Scores that only rank (a naive baseline's days or orders): no Brier score. */
  rankOnly?: boolean;
}

export type Progress = (message: string) => void;

/**
 * `breadcrumb` (the networks and the send-time model), `breadcrumb BG/NBD+GG` (the TypeScript BTYD
 * fit) and, with send time, the best hour for everyone and (synthetic shop) the true preferred
 * hour; each customer's own most frequent open hour is the naive baseline (naive_open_hour).
 */
export async function crossFitOurs(table: TrainingTable, progress: Progress): Promise<Record<string, Predictions>> {
  const n = table.set.rows;
  const ours = { churn: new Float64Array(n), purchases: new Float64Array(n), revenue: new Float64Array(n) };
  const btyd = { churn: new Float64Array(n), purchases: new Float64Array(n), revenue: new Float64Array(n) };
  const hours = { ours: new Int16Array(n).fill(-1), everyone: new Int16Array(n).fill(-1) };
  for (let k = 0; k < FOLDS; k++) {
    const started = performance.now();
    const set = foldSet(table, k);
    const rows = { train: indexWhere(set.split, 0), validation: indexWhere(set.split, 1), test: indexWhere(set.split, 2) };
    const fitted = await fitBtyd(set, [...rows.train, ...rows.validation]);
    const stacked = await withBtydInputs(set);
    if (stacked.btydError) throw new Error(`${table.dataset}: the BG/NBD inputs could not be fitted: ${stacked.btydError}`);
    const fold: Fold = { table, set, rows, fitted, stacked, k };
    const predicted = { btyd: rows.test.map((i) => btydPredict(fitted, set, i)), churn: await churnFold(fold), revenue: await revenueFold(fold), purchases: await purchasesFold(fold) };
    rows.test.forEach((i, j) => {
      ({ churn: btyd.churn[i], purchases: btyd.purchases[i], revenue: btyd.revenue[i] } = predicted.btyd[j]!);
      ours.churn[i] = predicted.churn.test[j]!;
      ours.revenue[i] = predicted.revenue.test[j]!;
      ours.purchases[i] = predicted.purchases.test[j]!;
    });
    if (table.sendTime) await sendTimeFold(fold, table.sendTime, hours);
    const chosen = (['churn', 'revenue', 'purchases'] as const).map((task) => `${task}: ${predicted[task].chosen}`).join(', ');
    progress(`${table.dataset}: fold ${k + 1}/${FOLDS} of ours in ${((performance.now() - started) / 1000).toFixed(1)} s (${chosen})`);
  }
  if (!table.sendTime) return { breadcrumb: ours, 'breadcrumb BG/NBD+GG': btyd };
  const models: Record<string, Predictions> = {
    breadcrumb: { ...ours, sendTime: hours.ours },
    'breadcrumb BG/NBD+GG': btyd,
    'best hour for everyone': { sendTime: hours.everyone },
  };
  const { trueHour } = table.sendTime;
  if (trueHour) models['true preferred hour (sim_truth)'] = { sendTime: Int16Array.from(trueHour) };
  return models;
}

/**
 * One fold: the set with its split, the BTYD fit on train + validation (for the BTYD predictions)
 * and the set with the BTYD outputs as extra columns, as the training jobs build it (withBtydInputs).
 */
interface Fold {
  table: TrainingTable;
  set: TrainingSet;
  stacked: TrainingSet;
  rows: { train: number[]; validation: number[]; test: number[] };
  fitted: BtydFit;
  /** The test fold. */
  k: number;
}

/** A candidate's predictions for the validation and the test rows of a fold. */
interface Candidate {
  name: string;
  validation: ArrayLike<number>;
  test: ArrayLike<number>;
}

/**
 * The candidate with the best validation score (higher is better), the mean of the first two
 * included as a candidate of its own: which model, or blend, a dataset gets is decided on the
 * validation fold, never on the test fold.
 */
function chooseOnValidation(candidates: Candidate[], score: (predicted: ArrayLike<number>) => number): { chosen: string; test: ArrayLike<number> } {
  const [a, b] = candidates as [Candidate, Candidate];
  const mean = (x: ArrayLike<number>, y: ArrayLike<number>) => Float64Array.from(x, (v, i) => (v + y[i]!) / 2);
  const all = [...candidates, { name: `mean of ${a.name} and ${b.name}`, validation: mean(a.validation, b.validation), test: mean(a.test, b.test) }];
  const scores = all.map((c) => score(c.validation));
  const best = all[scores.indexOf(Math.max(...scores))]!;
  return { chosen: best.name, test: best.test };
}

/** The churn network and a logistic regression (the same trainer without a hidden layer), both calibrated; chosen by validation AUC. */
async function churnFold({ table, stacked, rows }: Fold): Promise<{ chosen: string; test: ArrayLike<number> }> {
  const candidates: Candidate[] = [];
  for (const [name, hidden] of [['network', undefined], ['logistic', []]] as const) {
    const trained = await trainChurn(stacked, { baselines: false, ...(hidden ? { hidden: [...hidden] } : {}) });
    if (!trained.ok) throw new Error(`${table.dataset}: ${trained.error.message}`);
    const { model, meta } = trained.value;
    const probabilities = (index: number[]) => scoreChurn(model, meta, selectRows(stacked, index).X).probabilities;
    candidates.push({ name, validation: probabilities(rows.validation), test: probabilities(rows.test) });
    model.dispose();
  }
  const churned = pick(stacked.churned, rows.validation);
  return chooseOnValidation(candidates, (p) => rocAuc(p, churned));
}

/**
 * ZILN on the stacked features and BG/NBD + Gamma-Gamma, blended with the weight that ranks best
 * out of fold over every non-test customer (chooseBlendWeight): the ZILN predictions for that
 * choice come from networks that never saw the customer, one per non-test fold.
 */
async function revenueFold({ table, set, stacked, rows, fitted, k }: Fold): Promise<{ chosen: string; test: ArrayLike<number> }> {
  const zilnOn = async (train: number[], validation: number[], scored: number[]) => {
    const ltv = await trainLtv({ X: selectRows(stacked, train), y: pick(set.futureRevenue, train), Xval: selectRows(stacked, validation), yval: pick(set.futureRevenue, validation) });
    try {
      return scoreLtv(ltv.model, ltv.meta, selectRows(stacked, scored)).expectedValue;
    } finally {
      ltv.model.dispose();
    }
  };
  // Inner folds: each non-test fold scored by a network trained on two others and stopped early on the remaining one.
  const inner = Array.from({ length: FOLDS - 1 }, (_, j) => (k + 1 + j) % FOLDS);
  const byFold = (f: number) => indexWhere(table.fold, f);
  const outOfFold = { rows: [] as number[], ziln: [] as number[] };
  for (const [j, f] of inner.entries()) {
    const stop = inner[(j + 1) % inner.length]!;
    const train = inner.filter((g) => g !== f && g !== stop).flatMap(byFold);
    const scored = byFold(f);
    outOfFold.rows.push(...scored);
    outOfFold.ziln.push(...(await zilnOn(train, byFold(stop), scored)));
  }
  const clv = (index: number[]) => index.map((i) => btydPredict(fitted, set, i).revenue);
  const { weight } = chooseBlendWeight(outOfFold.ziln, clv(outOfFold.rows), pick(set.futureRevenue, outOfFold.rows));
  const test = blendPredictions(await zilnOn(rows.train, rows.validation, rows.test), clv(rows.test), weight);
  return { chosen: `${weight} ZILN + ${1 - weight} BG/NBD+GG`, test };
}

/** The Poisson network on the stacked features and BG/NBD's expected count, chosen by validation Poisson loss. */
async function purchasesFold({ table, set, stacked, rows, fitted }: Fold): Promise<{ chosen: string; test: ArrayLike<number> }> {
  const matrix = (index: number[]) => selectRows(stacked, index);
  const counts = table.holdoutPurchases;
  const trained = await trainPurchases({ X: matrix(rows.train), y: pick(counts, rows.train), Xval: matrix(rows.validation), yval: pick(counts, rows.validation) });
  const network = (index: number[]) => scorePurchases(trained.model, trained.meta, matrix(index));
  const bgnbd = (index: number[]) => index.map((i) => btydPredict(fitted, set, i).purchases);
  const candidates = [
    { name: 'Poisson network', validation: network(rows.validation), test: network(rows.test) },
    { name: 'BG/NBD', validation: bgnbd(rows.validation), test: bgnbd(rows.test) },
  ];
  trained.model.dispose();
  const actual = pick(counts, rows.validation);
  // A proper scoring rule for an expected count: the correlation on a few hundred heavy-tailed
  // validation customers picked noise when tried, the Poisson loss did not.
  return chooseOnValidation(candidates, (p) => -poissonLossOf(p, actual));
}

/** The send-time model and its baselines, fitted on the train and validation customers with an open in the holdout. */
async function sendTimeFold({ rows }: Fold, { histograms, nextOpenHour }: NonNullable<TrainingTable['sendTime']>, hours: Record<'ours' | 'everyone', Int16Array>): Promise<void> {
  const fitRows = [...rows.train, ...rows.validation];
  const opened = (index: number[]) => index.filter((i) => nextOpenHour[i]! >= 0);
  const fit = opened(fitRows);
  const model = await fitSendTime({ histograms: fit.map((i) => histograms[i]!), nextOpenHour: fit.map((i) => nextOpenHour[i]!) });
  const judged = opened(rows.test);
  predictSendTimeBatch(model, { histograms: judged.map((i) => histograms[i]!) }).forEach((p, j) => (hours.ours[judged[j]!] = p.bestHour));
  model.network?.dispose();
  const fitHistograms = fitRows.map((i) => histograms[i]!);
  const everyoneHour = shopWideBestHour(fitHistograms);
  for (const i of judged) hours.everyone[i] = everyoneHour;
}

interface BtydFit {
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
}

/** BG/NBD and Gamma-Gamma on the raw summary (days) of the given rows; labels are not used. */
async function fitBtyd(set: TrainingSet, index: number[]): Promise<BtydFit> {
  const summary = index.map((i) => btydSummary(set, i));
  const bgnbd = await fitBgNbd(summary);
  // Gamma-Gamma models positive spend: repeat buyers whose repeat days are all $0 (CDNOW has some) carry none.
  const spenders = summary.filter((s) => s.monetary > 0);
  const gammaGamma = await fitGammaGamma(
    spenders.map((s) => s.x),
    spenders.map((s) => s.monetary),
  );
  if (!bgnbd.ok) throw new Error(`BG/NBD: ${bgnbd.error.message}`);
  if (!gammaGamma.ok) throw new Error(`Gamma-Gamma: ${gammaGamma.error.message}`);
  return { bgnbd: bgnbd.value.params, gammaGamma: gammaGamma.value.params };
}

function btydSummary(set: TrainingSet, i: number): { x: number; t_x: number; T: number; monetary: number } {
  const { bgnbdX, bgnbdTx, bgnbdT, bgnbdMonetary } = set.raw;
  return { x: bgnbdX![i]!, t_x: bgnbdTx![i]!, T: bgnbdT![i]!, monetary: bgnbdMonetary![i]! || 0 };
}

function btydPredict({ bgnbd, gammaGamma }: BtydFit, set: TrainingSet, i: number): { churn: number; purchases: number; revenue: number } {
  const c = btydSummary(set, i);
  const horizon = set.horizonDays;
  return {
    churn: probabilityNoPurchase(bgnbd, horizon, c.x, c.t_x, c.T),
    purchases: expectedPurchases(bgnbd, horizon, c.x, c.t_x, c.T),
    revenue: customerLifetimeValue({ bgnbd, gammaGamma }, c, { horizon }),
  };
}

/** The purchases network's loss (mean of E − y·log E) for any predictions. */
function poissonLossOf(expected: ArrayLike<number>, y: number[]): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) sum += expected[i]! - y[i]! * Math.log(Math.max(expected[i]!, 1e-12));
  return sum / expected.length;
}

function indexWhere(codes: Uint8Array, code: number): number[] {
  const index: number[] = [];
  codes.forEach((c, i) => c === code && index.push(i));
  return index;
}

function pick(values: Float64Array | Float32Array, index: number[]): number[] {
  return index.map((i) => values[i]!);
}
