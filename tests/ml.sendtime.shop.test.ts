import { beforeAll, describe, expect, it } from 'vitest';
import { createShopContext, FIXED_SHOP_END, simulateCustomer } from '../data/generator/seedShop.js';
import { localHour, offsetFnFor } from '../src/features/time.js';
import { mostFrequentPastHour, shopWideBestHour } from '../src/ml/sendTime/baselines.js';
import {
  evaluateSendTime,
  type SendTimeMetrics,
  fitSendTime,
  predictSendTimeBatch,
  type SendTimeModel,
} from '../src/ml/sendTime/index.js';
import { openHourPrior } from '../src/ml/sendTime/shrinkage.js';

const CUSTOMERS = 6000;
const DAY = 86_400_000;
/** Training labels come from the last 90 days of recorded history; the truth is what comes after it. */
const LABEL_WINDOW_DAYS = 90;

type ShopCustomer = {
  /** Human opens (machine prefetches excluded, as in the email features) before the end of history. */
  opens: { t: number; hour: number }[];
  nextOpenLocalHour: number | null;
  preferredOpenHour: number;
};

const histogramOf = (opens: { hour: number }[]) => {
  const histogram = new Array<number>(24).fill(0);
  for (const o of opens) histogram[o.hour]!++;
  return histogram;
};

describe('send time on the synthetic shop (generator in memory, truth from sim_truth)', () => {
  const ctx = createShopContext({ seed: 11, days: 365, end: FIXED_SHOP_END, partitions: 8 });
  const asOf = ctx.endMs - LABEL_WINDOW_DAYS * DAY;
  let customers: ShopCustomer[];
  const report: Record<string, SendTimeMetrics> = {};

  beforeAll(() => {
    const started = performance.now();
    customers = Array.from({ length: CUSTOMERS }, (_, index) => {
      const { customer, events, truth } = simulateCustomer(ctx, index);
      const offset = offsetFnFor(customer.timezone);
      const opens = events
        .filter((e) => e.type === 'email_opened' && e.props?.machineOpen !== true)
        .map((e) => ({ t: e.ts.getTime(), hour: localHour(e.ts.getTime(), offset) }));
      return {
        opens,
        nextOpenLocalHour: truth.outcomes.nextOpenLocalHour,
        preferredOpenHour: truth.outcomes.preferredOpenHour,
      };
    });
    console.info(`simulated ${CUSTOMERS} customers in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it('beats the best hour for everyone by 10+ points and the most frequent past hour on the next real open', async () => {
    // Training set as a job would build it from recorded history alone: opens before T as the
    // histogram, the first open in (T, end] as the label.
    const training = customers.flatMap((c) => {
      const next = c.opens.find((o) => o.t >= asOf);
      return next ? [{ histogram: histogramOf(c.opens.filter((o) => o.t < asOf)), label: next.hour }] : [];
    });
    const started = performance.now();
    const model: SendTimeModel = await fitSendTime({
      histograms: training.map((r) => r.histogram),
      nextOpenHour: training.map((r) => r.label),
    });
    const fitSeconds = (performance.now() - started) / 1000;
    const dirichlet = await fitSendTime(
      { histograms: training.map((r) => r.histogram), nextOpenHour: training.map((r) => r.label) },
      { method: 'dirichlet' },
    );

    // Scored on all history, judged on the first real open after it (the hidden truth).
    const scored = customers.filter((c) => c.nextOpenLocalHour !== null);
    const histograms = scored.map((c) => histogramOf(c.opens));
    const actual = scored.map((c) => c.nextOpenLocalHour!);
    const judge = (name: string, m: SendTimeModel, rows: number[]) => {
      const predictions = predictSendTimeBatch(m, { histograms: rows.map((i) => histograms[i]!) });
      return (report[name] = evaluateSendTime(
        predictions.map((p) => p.bestHour),
        rows.map((i) => actual[i]!),
        predictions.map((p) => p.probs),
      ));
    };
    const all = scored.map((_, i) => i);
    const ours = judge(`${model.meta.base.method}, all`, model, all);
    judge('dirichlet, all', dirichlet, all);

    const trainingHistograms = training.map((r) => r.histogram);
    const prior = openHourPrior(trainingHistograms);
    const everyoneHour = shopWideBestHour(trainingHistograms);
    const everyone = (report['best hour for everyone'] = evaluateSendTime(
      new Array(all.length).fill(everyoneHour),
      actual,
    ));
    const frequent = histograms.map((h) => mostFrequentPastHour(h, prior, everyoneHour));
    const mostFrequent = (report['most frequent past hour'] = evaluateSendTime(frequent, actual));
    report['true preferred hour'] = evaluateSendTime(
      scored.map((c) => c.preferredOpenHour),
      actual,
    );

    const few = all.filter((i) => histograms[i]!.reduce((s, v) => s + v, 0) <= 3);
    judge(`${model.meta.base.method}, 0–3 opens`, model, few);
    report['most frequent past hour, 0–3 opens'] = evaluateSendTime(
      few.map((i) => frequent[i]!),
      few.map((i) => actual[i]!),
    );

    console.info(
      `synthetic shop: ${training.length} training customers (fit ${fitSeconds.toFixed(1)} s), ${scored.length} judged on their next real open`,
      {
        chosen: { ...model.meta.base, prior: undefined },
        validation: model.meta.validation,
      },
    );
    console.table(report);
    expect(ours.hit1h).toBeGreaterThanOrEqual(everyone.hit1h + 0.1);
    expect(ours.hit1h).toBeGreaterThanOrEqual(mostFrequent.hit1h);
    expect(ours.hit1h).toBeLessThanOrEqual(report['true preferred hour'].hit1h + 0.02);
  });
});
