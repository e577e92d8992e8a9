import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import { mulberry32 } from '../src/ml/trainLoop.js';
import { mostFrequentPastHour, shopWideBestHour } from '../src/ml/sendTime/baselines.js';
import {
  evaluateSendTime,
  type SendTimeMetrics,
  fitSendTime,
  loadSendTimeModel,
  predictSendTime,
  predictSendTimeBatch,
  saveSendTimeModel,
  type SendTimeModel,
} from '../src/ml/sendTime/index.js';
import {
  bestWindowHour,
  circularDistance,
  circularKernel,
  circularSmooth,
  windowMass,
} from '../src/ml/sendTime/hours.js';
import { chooseShrinkage, openHourPrior, shrinkHistogram } from '../src/ml/sendTime/shrinkage.js';

let tmp: string;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-sendtime-'));
  await initBackend();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Simulated = {
  histograms: number[][];
  features: number[][];
  segments: string[];
  nextOpenHour: number[];
  preferred: number[];
};

/**
 * Customers of three kinds (morning, evening and all-day readers) each with a true preferred
 * hour; every open is N(preferred, 1.5h) rounded and wrapped, or (20%) any hour. 0–15 past opens
 * each. The features: the kind (right 85% of the time, also given as the segment), the usual
 * browsing hour (preferred ± 2h, as sin/cos) and a noise column.
 */
function simulate(n: number, seed: number): Simulated {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const draw = (weights: number[]) => {
    let u = random() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
    return weights.length - 1;
  };
  const kinds = [
    Array.from({ length: 24 }, (_, h) => (h >= 6 && h <= 9 ? 3 : 0.2)),
    Array.from({ length: 24 }, (_, h) => (h >= 18 && h <= 22 ? 3 : 0.2)),
    Array.from({ length: 24 }, (_, h) => (h >= 7 ? 1 : 0.2)),
  ];
  const open = (preferred: number) =>
    random() < 0.2 ? Math.floor(random() * 24) : ((Math.round(preferred + 1.5 * normal()) % 24) + 24) % 24;
  const out: Simulated = { histograms: [], features: [], segments: [], nextOpenHour: [], preferred: [] };
  for (let i = 0; i < n; i++) {
    const kind = draw([0.4, 0.35, 0.25]);
    const preferred = draw(kinds[kind]!);
    const histogram = new Array<number>(24).fill(0);
    const opens = Math.floor(random() * 16);
    for (let j = 0; j < opens; j++) histogram[open(preferred)]!++;
    const seen = random() < 0.85 ? kind : Math.floor(random() * 3);
    out.histograms.push(histogram);
    const browsing = ((preferred + 2 * normal()) * Math.PI) / 12;
    out.features.push([seen === 0 ? 1 : 0, seen === 1 ? 1 : 0, Math.sin(browsing), Math.cos(browsing), normal()]);
    out.segments.push(['morning', 'evening', 'allday'][seen]!);
    out.nextOpenHour.push(open(preferred));
    out.preferred.push(preferred);
  }
  return out;
}

const opensOf = (h: number[]) => h.reduce((s, v) => s + v, 0);
const rowsWhere = (data: Simulated, keep: (opens: number) => boolean) =>
  data.histograms.flatMap((h, i) => (keep(opensOf(h)) ? [i] : []));
const subset = <T>(values: readonly T[], index: number[]) => index.map((i) => values[i]!);

describe('hours on a circle', () => {
  it('smooths across midnight without changing the total', () => {
    const counts = new Array<number>(24).fill(0);
    counts[23] = 4;
    const smoothed = circularSmooth(counts, circularKernel(1));
    expect(smoothed.reduce((s, v) => s + v, 0)).toBeCloseTo(4, 12);
    expect(smoothed[0]).toBeCloseTo(smoothed[22]!, 12);
    expect(circularSmooth(counts, circularKernel(0))).toEqual(Float64Array.from(counts));
  });

  it('picks the hour whose ±1h window holds the most mass, wrapping, ties to the earliest', () => {
    const probs = new Array<number>(24).fill(0);
    probs[23] = 0.3;
    probs[0] = 0.2;
    probs[1] = 0.3;
    probs[12] = 0.2;
    expect(bestWindowHour(probs, 1)).toEqual({ hour: 0, mass: windowMass(probs, 0, 1) });
    expect(bestWindowHour(probs, 0).hour).toBe(1);
    expect(bestWindowHour(new Array<number>(24).fill(1 / 24), 1).hour).toBe(0);
  });
});

describe('empirical-Bayes shrinkage', () => {
  const prior = Array.from({ length: 24 }, (_, h) => (h + 1) / 300);

  it('is the prior without opens and the smoothed histogram with many', () => {
    expect(shrinkHistogram(new Array(24).fill(0), prior, { k: 5, bandwidth: 1 })).toEqual(
      prior.map((p) => expect.closeTo(p, 12)),
    );
    const many = new Array<number>(24).fill(0);
    many[8] = 1e6;
    expect(shrinkHistogram(many, prior, { k: 5, bandwidth: 0 })[8]).toBeCloseTo(1, 4);
  });

  it('chooses k and the bandwidth that best predict the next open', () => {
    const data = simulate(3000, 11);
    const shopPrior = openHourPrior(data.histograms);
    expect(shopPrior.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    const search = chooseShrinkage(
      data.histograms,
      data.nextOpenHour,
      data.histograms.map(() => shopPrior),
    );
    expect(search.logLik).toBe(Math.max(...search.grid.map((g) => g.logLik)));
    // Opens spread ±1.5h, so some smoothing helps, and a handful of opens should not be trusted blindly.
    expect(search.bandwidth).toBeGreaterThan(0);
    expect(search.k).toBeGreaterThan(0.1);
    expect(search.k).toBeLessThan(100);
  });
});

describe('send time on simulated customers', () => {
  const train = simulate(6000, 1);
  const test = simulate(4000, 2);
  const report: Record<string, SendTimeMetrics> = {};
  let shrinkage: SendTimeModel;
  let dirichlet: SendTimeModel;
  let networked: SendTimeModel;
  let shrinkageSeconds = 0;
  let networkSeconds = 0;

  beforeAll(async () => {
    let started = performance.now();
    shrinkage = await fitSendTime({ histograms: train.histograms, nextOpenHour: train.nextOpenHour });
    shrinkageSeconds = (performance.now() - started) / 1000;
    dirichlet = await fitSendTime(
      { histograms: train.histograms, nextOpenHour: train.nextOpenHour },
      { method: 'dirichlet' },
    );
    started = performance.now();
    networked = await fitSendTime(
      { histograms: train.histograms, features: train.features, nextOpenHour: train.nextOpenHour },
      { featureNames: ['morningType', 'eveningType', 'browsingHourSin', 'browsingHourCos', 'noise'] },
    );
    networkSeconds = (performance.now() - started) / 1000;
  });
  afterAll(() => {
    console.info(
      `send time, ${test.nextOpenHour.length} simulated test customers (fit ${shrinkageSeconds.toFixed(1)} s without network, ${networkSeconds.toFixed(1)} s with)`,
    );
    console.table(report);
    networked.network?.dispose();
  });

  const evaluate = (name: string, model: SendTimeModel, index: number[], withFeatures = false) => {
    const predictions = predictSendTimeBatch(model, {
      histograms: subset(test.histograms, index),
      features: withFeatures ? subset(test.features, index) : undefined,
    });
    const metrics = evaluateSendTime(
      predictions.map((p) => p.bestHour),
      subset(test.nextOpenHour, index),
      predictions.map((p) => p.probs),
    );
    report[name] = metrics;
    return { predictions, metrics };
  };

  it('picks the latent preferred-hour model here and recovers the simulation’s spread and noise', () => {
    const { base, validation } = shrinkage.meta;
    expect(base).toMatchObject({ method: 'preferredHour', sigma: 1.5, epsilon: 0.2 });
    expect(validation.preferredHour!.logLoss).toBeLessThan(validation.dirichlet!.logLoss);
    expect(dirichlet.meta.base.method).toBe('dirichlet');
    expect(dirichlet.meta.validation.preferredHour).toBeUndefined();
  });

  it('beats the best hour for everyone by far more than 10 points, and each customer’s most frequent hour', () => {
    const all = test.histograms.map((_, i) => i);
    const ours = evaluate('preferred hour, all', shrinkage, all).metrics;
    const withDirichlet = evaluate('Dirichlet, all', dirichlet, all).metrics;
    const prior = openHourPrior(train.histograms);
    const everyone = shopWideBestHour(train.histograms);
    const shopWide = (report['best hour for everyone'] = evaluateSendTime(
      new Array(all.length).fill(everyone),
      test.nextOpenHour,
      all.map(() => prior),
    ));
    report['shop-wide mode'] = evaluateSendTime(
      new Array(all.length).fill(shopWideBestHour(train.histograms, 0)),
      test.nextOpenHour,
    );
    const frequent = test.histograms.map((h) => mostFrequentPastHour(h, prior, everyone));
    const mostFrequent = (report['most frequent past hour'] = evaluateSendTime(frequent, test.nextOpenHour));
    report['true preferred hour'] = evaluateSendTime(test.preferred, test.nextOpenHour);

    expect(ours.hit1h).toBeGreaterThanOrEqual(shopWide.hit1h + 0.1);
    expect(ours.hit2h).toBeGreaterThan(shopWide.hit2h + 0.1);
    expect(ours.logLoss).toBeLessThan(shopWide.logLoss);
    expect(ours.hit1h).toBeGreaterThan(mostFrequent.hit1h);
    expect(ours.hit1h).toBeLessThanOrEqual(report['true preferred hour'].hit1h);
    // The Dirichlet alone also clears both baselines, by less.
    expect(withDirichlet.hit1h).toBeGreaterThanOrEqual(shopWide.hit1h + 0.1);
    expect(withDirichlet.hit1h).toBeGreaterThan(mostFrequent.hit1h);
    expect(withDirichlet.logLoss).toBeGreaterThan(ours.logLoss);
  });

  it('beats the most frequent past hour for customers with few opens', () => {
    const few = rowsWhere(test, (opens) => opens >= 1 && opens <= 3);
    const ours = evaluate('preferred hour, 1–3 opens', shrinkage, few).metrics;
    evaluate('Dirichlet, 1–3 opens', dirichlet, few);
    const prior = openHourPrior(train.histograms);
    const everyone = shopWideBestHour(train.histograms);
    const frequent = few.map((i) => mostFrequentPastHour(test.histograms[i]!, prior, everyone));
    const mostFrequent = (report['most frequent past hour, 1–3 opens'] = evaluateSendTime(
      frequent,
      subset(test.nextOpenHour, few),
    ));
    expect(ours.hit1h).toBeGreaterThanOrEqual(mostFrequent.hit1h);
    expect(ours.hit2h).toBeGreaterThanOrEqual(mostFrequent.hit2h);
  });

  it('gives probabilities that sum to 1, a best hour and its confidence', () => {
    const predictions = predictSendTimeBatch(dirichlet, { histograms: test.histograms.slice(0, 5) }).concat(
      predictSendTimeBatch(shrinkage, { histograms: test.histograms.slice(0, 5) }),
    );
    for (const p of predictions) {
      expect(p.probs).toHaveLength(24);
      expect(p.probs.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
      expect(p.confidence).toBeCloseTo(windowMass(p.probs, p.bestHour, 1), 12);
      expect(p.maxProb).toBe(Math.max(...p.probs));
    }
    // A customer with many opens around 20:00 is sent mail at 20:00, confidently.
    const evening = new Array<number>(24).fill(0);
    [19, 20, 20, 20, 21, 20, 19, 21, 20, 3].forEach((h) => evening[h]!++);
    const one = predictSendTime(shrinkage, evening);
    expect(one.bestHour).toBe(20);
    expect(one.confidence).toBeGreaterThan(0.5);
    // No opens: about the shop's best hour, with low confidence.
    const none = predictSendTime(shrinkage, new Array<number>(24).fill(0));
    expect(circularDistance(none.bestHour, shopWideBestHour(train.histograms))).toBeLessThanOrEqual(1);
    expect(none.confidence).toBeLessThan(one.confidence);
    expect(predictSendTime(dirichlet, new Array<number>(24).fill(0)).bestHour).toBe(shopWideBestHour(train.histograms));
  });

  it('is deterministic', async () => {
    const again = await fitSendTime({ histograms: train.histograms, nextOpenHour: train.nextOpenHour });
    expect(again).toEqual(shrinkage);
    // The network too, down to the last bit, for the same seed (a few epochs suffice to show it).
    const input = { histograms: test.histograms.slice(0, 200), features: test.features.slice(0, 200) };
    const small = {
      histograms: train.histograms.slice(0, 1500),
      features: train.features.slice(0, 1500),
      nextOpenHour: train.nextOpenHour.slice(0, 1500),
    };
    const tensorsBefore = tf.memory().numTensors;
    const [first, second] = [
      await fitSendTime(small, { epochs: 3, networkMinGain: -Infinity }),
      await fitSendTime(small, { epochs: 3, networkMinGain: -Infinity }),
    ];
    expect(first!.network).toBeDefined();
    expect(second!.meta).toEqual(first!.meta);
    expect(predictSendTimeBatch(second!, input)).toEqual(predictSendTimeBatch(first!, input));
    first!.network?.dispose();
    second!.network?.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('improves with a network on customer features, on held-out customers', () => {
    expect(networked.network).toBeDefined();
    expect(networked.meta.validation.network?.kept).toBe(true);
    const all = test.histograms.map((_, i) => i);
    const base = evaluate('preferred hour, all', shrinkage, all).metrics;
    const ours = evaluate('preferred hour + network, all', networked, all, true).metrics;
    expect(ours.logLoss).toBeLessThan(base.logLoss);
    expect(ours.hit1h).toBeGreaterThan(base.hit1h);
    // The features matter most where the customer's own opens say little.
    const few = rowsWhere(test, (opens) => opens <= 3);
    const baseFew = evaluate('preferred hour, 0–3 opens', shrinkage, few).metrics;
    const oursFew = evaluate('preferred hour + network, 0–3 opens', networked, few, true).metrics;
    expect(oursFew.hit1h).toBeGreaterThan(baseFew.hit1h);
  });

  it('uses segment patterns as priors', async () => {
    const model = await fitSendTime({
      histograms: train.histograms,
      segments: train.segments,
      nextOpenHour: train.nextOpenHour,
    });
    expect(Object.keys(model.meta.base.segmentPriors ?? {})).toEqual(['allday', 'evening', 'morning']);
    const predictions = predictSendTimeBatch(model, { histograms: test.histograms, segments: test.segments });
    const metrics = (report['preferred hour by segment, all'] = evaluateSendTime(
      predictions.map((p) => p.bestHour),
      test.nextOpenHour,
      predictions.map((p) => p.probs),
    ));
    expect(metrics.logLoss).toBeLessThan(report['preferred hour, all']!.logLoss);
    // An unknown segment falls back to the shop-wide pattern.
    expect(predictSendTime(model, test.histograms[0]!, undefined, 'nobody').probs).toEqual(
      predictSendTime({ meta: { ...model.meta, base: { ...model.meta.base, segmentPriors: {} } } }, test.histograms[0]!)
        .probs,
    );
  });

  it('saves and loads, with and without a network, predicting identically', async () => {
    for (const [name, model] of [
      ['shrinkage', shrinkage],
      ['network', networked],
    ] as const) {
      const dir = path.join(tmp, name);
      await saveSendTimeModel(dir, model);
      const loaded = await loadSendTimeModel(dir);
      if (!loaded.ok) throw new Error(loaded.error.message);
      expect(loaded.value.meta).toEqual(model.meta);
      const input = { histograms: test.histograms.slice(0, 300), features: test.features.slice(0, 300) };
      expect(predictSendTimeBatch(loaded.value, input)).toEqual(predictSendTimeBatch(model, input));
      loaded.value.network?.dispose();
    }
  });

  it('scores in batches without leaking tensors, and asks for the features it was trained on', () => {
    const before = tf.memory().numTensors;
    const input = { histograms: test.histograms.slice(0, 500), features: test.features.slice(0, 500) };
    expect(predictSendTimeBatch(networked, input, 64)).toEqual(predictSendTimeBatch(networked, input));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => predictSendTime(networked, test.histograms[0]!)).toThrow(/needs 5 features/);
  });
});

describe('send-time options', () => {
  it('chooses by the fit’s own likelihood when nothing is held out, and then cannot train a network', async () => {
    const data = simulate(800, 3);
    const model = await fitSendTime(
      { histograms: data.histograms, nextOpenHour: data.nextOpenHour },
      { validationShare: 0 },
    );
    expect(model.meta.validation).toEqual({ customers: 0 });
    expect(model.meta.base.method).toBe('preferredHour');
    await expect(fitSendTime(data, { validationShare: 0 })).rejects.toThrow(/validation rows/);
  });

  it('chooses the best hour for a wider tolerance when asked', async () => {
    const data = simulate(800, 4);
    const model = await fitSendTime(
      { histograms: data.histograms, nextOpenHour: data.nextOpenHour },
      { radius: 2, method: 'dirichlet' },
    );
    const p = predictSendTime(model, data.histograms[0]!);
    expect(p.confidence).toBeCloseTo(windowMass(p.probs, p.bestHour, 2), 12);
    expect(p.bestHour).toBe(bestWindowHour(p.probs, 2).hour);
  });
});

describe('send-time input checks', () => {
  it('rejects malformed histograms and hours', async () => {
    await expect(fitSendTime({ histograms: [[1, 2]], nextOpenHour: [3] })).rejects.toThrow();
    const h = new Array<number>(24).fill(0);
    await expect(fitSendTime({ histograms: [h, h], nextOpenHour: [3, 24] })).rejects.toThrow(/0–23/);
    await expect(fitSendTime({ histograms: [h, h], nextOpenHour: [3] })).rejects.toThrow(/length/);
  });
});
