import { beforeAll, describe, expect, it } from 'vitest';
import { evaluatePredictionFlows, type PredictionFlowsEval } from '../src/demo/predictionFlowsEval.js';
import { initBackend } from '../src/ml/backend.js';

/**
 * The prediction triggers on the synthetic shop against its truth (each customer's real next
 * order, churn and future revenue): the figures in docs/prediction-flows.md come from this run.
 */
let result: PredictionFlowsEval;

beforeAll(async () => {
  await initBackend();
  result = await evaluatePredictionFlows({ customers: 1500 });
  console.log(JSON.stringify(result));
}, 300_000);

describe('prediction flows on the synthetic shop', () => {
  it('replenishment mails land before the true next order more often than 30 days after the last order', () => {
    const [builtIn] = result.replenishment;
    const naive = result.replenishment.at(-1)!;
    expect(naive.rule).toMatch(/^naive/);
    // Both rules mail the same recent buyers, so the shares compare like for like.
    expect(builtIn!.figures.mailed).toBe(result.recentBuyers);
    expect(naive.figures.mailed).toBe(result.recentBuyers);
    expect(builtIn!.figures.before).toBeGreaterThan(naive.figures.before);
    expect(builtIn!.figures.within14d).toBeGreaterThan(naive.figures.within14d);
  });

  it('the VIP welcome picks future top spenders far above chance', () => {
    expect(result.vipWelcome.risers).toBeGreaterThan(10);
    expect(result.vipWelcome.precision).toBeGreaterThan(2 * result.vipWelcome.baseRate);
  });

  it('the save offer reaches customers who churn more often than those whose risk stayed below', () => {
    expect(result.saveOffer.crossers).toBeGreaterThan(10);
    expect(result.saveOffer.precision).toBeGreaterThan(result.saveOffer.belowRate);
  });
});
