import * as tf from '@tensorflow/tfjs';
import { backendName, initBackend } from '../backend.js';
import { fitStandardizer, standardize } from '../standardize.js';
import { mulberry32, trainWithEarlyStopping, type OnEpoch, type TrainLoopOptions } from '../trainLoop.js';
import { selectRows, SPLITS, type Split, type TrainingRows, type TrainingSet } from '../trainingSet.js';
import { mostFrequentPastHour, openHistograms, shopWideBestHour } from './baselines.js';
import { evaluateSendTime, scoreRows } from './evaluate.js';
import { checkHistogram, checkHour, HOURS } from './hours.js';
import type { SendTimeBase, SendTimeMeta, SendTimeRegistryMeta, ShrinkageMethod } from './meta.js';
import { createSendTimeNetwork, DEFAULT_NETWORK_HIDDEN, hourCrossEntropy, type SendTimeModel } from './model.js';
import { fitPreferredHour, segmentPis } from './preferredHour.js';
import { checkFeatureRows, predictProbs, predictSendTimeBatch, shrinkFlat } from './score.js';
import { chooseShrinkage, openHourPrior, segmentPriors, total } from './shrinkage.js';

export type TrainedSendTimeVersion = { model: SendTimeModel & { meta: SendTimeRegistryMeta } };

export type SendTimeTrainingData = {
  /** Past opens per local hour, 24 counts per customer (the `openHour_00…23` features). */
  histograms: readonly (readonly number[])[];
  features?: readonly (readonly number[])[];
  /** Optional segment per customer; each segment's pattern becomes that customer's prior. */
  segments?: readonly string[];
  /** The local hour (0–23) of the customer's next open after the histogram's as-of date. */
  nextOpenHour: readonly number[];
};

export type FitSendTimeOptions = TrainLoopOptions & {
  /** Train the network on top of the shrunk histograms; default: when features are given. */
  network?: boolean;
  hidden?: number[];
  featureNames?: string[];
  /** How opens are shrunk toward the shared pattern; 'auto' (default) keeps whichever predicts held-out next opens better. */
  method?: ShrinkageMethod | 'auto';
  /** Share of customers held out for choosing the method and for early stopping (default 0.2). */
  validationShare?: number;
  /** Hit tolerance the best hour is chosen for (default 1: ±1h). */
  radius?: number;
  kGrid?: readonly number[];
  bandwidthGrid?: readonly number[];
  sigmaGrid?: readonly number[];
  epsilonGrid?: readonly number[];
  /** Weight, in customers, of the shop-wide pattern in each segment's pattern (default 20). */
  segmentStrength?: number;
  /** The shared pattern and its few parameters are fitted on at most this many customers (default 50,000). */
  maxBaseRows?: number;
  /** Validation log-loss gain (nats) the network must bring to be kept (default 0.002). */
  networkMinGain?: number;
};

export async function fitSendTime(
  train: SendTimeTrainingData,
  options: FitSendTimeOptions = {},
  onEpoch?: OnEpoch,
): Promise<SendTimeModel> {
  const { histograms, features, segments, nextOpenHour } = train;
  const n = histograms.length;
  if (nextOpenHour.length !== n || (features && features.length !== n) || (segments && segments.length !== n))
    throw new Error('send-time training inputs differ in length');
  if (n < 2) throw new Error('fitSendTime needs at least two customers');
  histograms.forEach((h, i) => checkHistogram(h, i));
  nextOpenHour.forEach((h, i) => checkHour(h, i));
  const radius = options.radius ?? 1;

  const { fit, validation } = splitRows(n, options.validationShare ?? 0.2, options.seed ?? 1);
  const pick = <T>(rows: readonly T[], index: number[]) => index.map((i) => rows[i]!);
  // A few parameters and a 24-hour pattern need tens of thousands of customers, not millions.
  const baseRows = thin(fit, options.maxBaseRows ?? 50_000);
  const fitData = {
    histograms: pick(histograms, baseRows),
    nextOpenHour: pick(nextOpenHour, baseRows),
    segments: segments && pick(segments, baseRows),
  };
  const method = options.method ?? 'auto';
  const candidates: { base: SendTimeBase; fitLogLik: number }[] = [];
  if (method !== 'preferredHour') candidates.push(fitDirichlet(fitData, options));
  if (method !== 'dirichlet') candidates.push(fitLatentHour(fitData, options));

  // Held-out customers' next opens pick the method; without any, the fit's own next-open likelihood does.
  const held = {
    histograms: pick(histograms, validation),
    segments: segments && pick(segments, validation),
    hours: pick(nextOpenHour, validation),
  };
  const validationQuality =
    validation.length === 0
      ? []
      : candidates.map(({ base }) => scoreRows(shrinkAll(base, held.histograms, held.segments), held.hours, radius));
  const chosen =
    validation.length === 0
      ? argBest(candidates, (c) => c.fitLogLik)
      : argBest(candidates, (_, i) => -validationQuality[i]!.logLoss);
  const meta: SendTimeMeta = {
    kind: 'sendTime',
    base: candidates[chosen]!.base,
    radius,
    validation: { customers: validation.length },
  };
  candidates.forEach(({ base }, i) => {
    if (validationQuality[i]) meta.validation[base.method] = validationQuality[i];
  });

  if (!(options.network ?? features !== undefined)) return { meta };
  const baseline = validationQuality[chosen];
  if (!baseline) throw new Error('training the send-time network needs validation rows: set validationShare > 0');
  const shrunk = shrinkFlat(meta.base, histograms, segments);
  await initBackend();
  const extras = extraInputs(histograms, features);
  const standardizer = fitStandardizer(pick(extras, fit));
  const hidden = options.hidden ?? DEFAULT_NETWORK_HIDDEN;
  const network = createSendTimeNetwork(standardizer.means.length, { hidden, seed: options.seed ?? 1 });
  const tensorsFor = (rows: number[]) =>
    tf.tidy(() => ({
      x: [
        logProbTensor(shrunk, rows),
        tf.tensor2d(standardize(pick(extras, rows), standardizer), [rows.length, standardizer.means.length]),
      ],
      y: tf.tensor1d(
        rows.map((i) => nextOpenHour[i]!),
        'int32',
      ),
    }));
  const fitTensors = tensorsFor(fit);
  const validationTensors = tensorsFor(validation);
  try {
    const training = await trainWithEarlyStopping(
      network,
      hourCrossEntropy,
      fitTensors,
      validationTensors,
      options,
      onEpoch,
    );
    meta.network = {
      featureDim: features?.[0]?.length ?? 0,
      ...(options.featureNames ? { featureNames: options.featureNames } : {}),
      hidden,
      ...standardizer,
      epochs: training.epochs,
      bestEpoch: training.bestEpoch,
    };
    const heldExtras = pick(extras, validation);
    const refined = predictProbs(
      { meta, network },
      pickRows(shrunk, validation),
      validation.length,
      (start, end, into, stride) => {
        const x = standardize(heldExtras.slice(start, end), meta.network!);
        const columns = meta.network!.means.length;
        for (let r = 0; r < end - start; r++) into.set(x.subarray(r * columns, (r + 1) * columns), r * stride + HOURS);
      },
    );
    const scored = scoreRows(toRows(refined, validation.length), held.hours, radius);
    // The network must earn its place on held-out customers; otherwise the shrinkage alone is the model.
    const kept = scored.logLoss <= baseline.logLoss - (options.networkMinGain ?? 0.002);
    meta.validation.network = { ...scored, kept };
    if (kept) return { meta, network };
    delete meta.network;
    network.dispose();
    return { meta };
  } catch (err) {
    network.dispose();
    throw err;
  } finally {
    tf.dispose([fitTensors, validationTensors]);
  }
}

type FitData = {
  histograms: number[][] | readonly (readonly number[])[];
  nextOpenHour: readonly number[];
  segments?: readonly string[];
};

type Candidate = { base: SendTimeBase; fitLogLik: number };

function fitDirichlet(data: FitData, options: FitSendTimeOptions): Candidate {
  const prior = openHourPrior(data.histograms);
  const segmentPrior = data.segments
    ? segmentPriors(data.histograms, data.segments, prior, options.segmentStrength)
    : undefined;
  const priors = data.histograms.map((_, i) => (data.segments && segmentPrior?.[data.segments[i]!]) || prior);
  const { k, bandwidth, logLik } = chooseShrinkage(data.histograms, data.nextOpenHour, priors, {
    k: options.kGrid,
    bandwidth: options.bandwidthGrid,
  });
  return {
    base: { method: 'dirichlet', prior, ...(segmentPrior ? { segmentPriors: segmentPrior } : {}), k, bandwidth },
    fitLogLik: logLik,
  };
}

/** σ, ε and π are chosen shop-wide; segments then only get their own π. */
function fitLatentHour(data: FitData, options: FitSendTimeOptions): Candidate {
  const { pi, sigma, epsilon, logLik } = fitPreferredHour(data.histograms, data.nextOpenHour, {
    sigma: options.sigmaGrid,
    epsilon: options.epsilonGrid,
  });
  const segmentPrior = data.segments
    ? segmentPis(data.histograms, data.segments, { pi, sigma, epsilon }, options.segmentStrength)
    : undefined;
  return {
    base: {
      method: 'preferredHour',
      prior: pi,
      ...(segmentPrior ? { segmentPriors: segmentPrior } : {}),
      sigma,
      epsilon,
    },
    fitLogLik: logLik,
  };
}

/** Index of the item with the highest score; the first on ties. */
function argBest<T>(items: readonly T[], score: (item: T, i: number) => number): number {
  let best = 0;
  items.forEach((item, i) => {
    if (score(item, i) > score(items[best]!, best)) best = i;
  });
  return best;
}

/** Each customer's next-open distribution before any network, one array per customer. */
function shrinkAll(
  base: SendTimeBase,
  histograms: readonly (readonly number[])[],
  segments?: readonly string[],
): number[][] {
  return toRows(shrinkFlat(base, histograms, segments), histograms.length);
}

/** Rows of a row-major `[n × 24]` array as plain arrays. */
function toRows(
  flat: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> },
  n: number,
): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * HOURS, (i + 1) * HOURS)));
}

/** The given rows of a row-major `[n × 24]` array, in that order. */
function pickRows(flat: Float64Array, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * HOURS);
  rows.forEach((i, r) => out.set(flat.subarray(i * HOURS, (i + 1) * HOURS), r * HOURS));
  return out;
}

/** The network's extra inputs: how much evidence the histogram holds, then the customer's features. */
function extraInputs(
  histograms: readonly (readonly number[])[],
  features?: readonly (readonly number[])[],
  featureDim?: number,
): number[][] {
  checkFeatureRows(histograms.length, features, featureDim);
  return histograms.map((histogram, i) => [Math.log1p(total(histogram)), ...(features?.[i] ?? [])]);
}

/** Log-probabilities of a row-major `[n × 24]` array (or of its given rows) as a `[n, 24]` tensor. */
function logProbTensor(shrunk: Float64Array, rows?: readonly number[]): tf.Tensor2D {
  const n = rows ? rows.length : shrunk.length / HOURS;
  const flat = new Float32Array(n * HOURS);
  for (let r = 0; r < n; r++) {
    const from = (rows ? rows[r]! : r) * HOURS;
    for (let h = 0; h < HOURS; h++) flat[r * HOURS + h] = Math.log(shrunk[from + h]!);
  }
  return tf.tensor2d(flat, [n, HOURS]);
}

/** At most `max` of `rows`, evenly spaced (rows are already in random order of assignment). */
function thin(rows: number[], max: number): number[] {
  if (rows.length <= max) return rows;
  const step = rows.length / max;
  return Array.from({ length: max }, (_, i) => rows[Math.floor(i * step)]!);
}

/** A seeded split of row indices into fitting and validation sets, each in ascending order. */
function splitRows(n: number, validationShare: number, seed: number): { fit: number[]; validation: number[] } {
  const random = mulberry32(seed ^ 0x5eed);
  const fit: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (random() < validationShare ? validation : fit).push(i);
  return { fit, validation };
}

export function featureRows(rows: TrainingRows, d: number): number[][] {
  return Array.from({ length: rows.rows }, (_, i) => Array.from(rows.X.subarray(i * d, (i + 1) * d)));
}

/** Rows of a split whose customer opened an email in the horizon. */
export function labelled(set: TrainingSet, split: Split): TrainingRows {
  const code = SPLITS.indexOf(split);
  const index: number[] = [];
  for (let i = 0; i < set.rows; i++) if (set.split[i] === code && set.nextOpenHour[i]! >= 0) index.push(i);
  return selectRows(set, index);
}

/**
 * Fits the send-time model on the train and validation customers with an open in (T, T + H]
 * (their first open's local hour is the label) and measures it on the test customers against
 * the two baselines: one best hour for everyone, and each customer's most frequent past hour.
 */
export async function trainSendTimeVersion(
  set: TrainingSet,
  opts: { epochs: number; seed: number },
  onEpoch: (epoch: number, maxEpochs: number) => void,
): Promise<
  { ok: true; value: TrainedSendTimeVersion } | { ok: false; error: { type: 'insufficient_data'; message: string } }
> {
  const fitRows = [labelled(set, 'train'), labelled(set, 'validation')];
  const test = labelled(set, 'test');
  const fitCount = fitRows[0]!.rows + fitRows[1]!.rows;
  if (fitCount < 10 || test.rows === 0)
    return {
      ok: false,
      error: {
        type: 'insufficient_data',
        message: `${fitCount} training and ${test.rows} test customers opened an email in the horizon: too few`,
      },
    };
  const d = set.featureNames.length;
  const started = performance.now();
  const histograms = fitRows.flatMap(openHistograms);
  const model = await fitSendTime(
    {
      histograms,
      features: fitRows.flatMap((r) => featureRows(r, d)),
      nextOpenHour: fitRows.flatMap((r) => Array.from(r.nextOpenHour)),
    },
    { epochs: opts.epochs, seed: opts.seed, featureNames: set.featureNames },
    (log) => onEpoch(log.epoch, opts.epochs),
  );
  const testHistograms = openHistograms(test);
  const predictions = predictSendTimeBatch(model, { histograms: testHistograms, features: featureRows(test, d) });
  const actual = Array.from(test.nextOpenHour);
  const scored = evaluateSendTime(
    predictions.map((p) => p.bestHour),
    actual,
    predictions.map((p) => p.probs),
  );
  const shopHour = shopWideBestHour(histograms, model.meta.radius);
  const shopWide = evaluateSendTime(
    actual.map(() => shopHour),
    actual,
  );
  const prior = openHourPrior(histograms);
  const mostFrequent = evaluateSendTime(
    testHistograms.map((h) => mostFrequentPastHour(h, prior, shopHour)),
    actual,
  );
  const meta: SendTimeRegistryMeta = {
    ...model.meta,
    featureVersion: set.featureVersion,
    asOf: set.asOf.toISOString(),
    horizonDays: set.horizonDays,
    columns: set.columns,
    metrics: {
      hit1h: scored.hit1h,
      hit2h: scored.hit2h,
      logLoss: Number.isFinite(scored.logLoss) ? scored.logLoss : null,
      customers: test.rows,
      baselines: {
        shopWideHour: { hour: shopHour, hit1h: shopWide.hit1h, hit2h: shopWide.hit2h },
        mostFrequentPastHour: { hit1h: mostFrequent.hit1h, hit2h: mostFrequent.hit2h },
      },
    },
    training: { durationMs: Math.round(performance.now() - started), customers: fitCount, seed: opts.seed },
    backend: backendName(),
    trainedAt: new Date().toISOString(),
  };
  return { ok: true, value: { model: { meta, ...(model.network ? { network: model.network } : {}) } } };
}
