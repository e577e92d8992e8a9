import { Rng } from '../../random.js';

/**
 * The statistics behind automatic A/B winners: a two-proportion z-test (frequentist, what most
 * marketers know) and the Bayesian probability that each variant is best (Beta(1,1) priors,
 * Monte Carlo with a fixed seed so a report never changes between two reads of the same counts).
 */

export interface Proportion {
  successes: number;
  trials: number;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf; error below 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Pooled two-proportion z-test of a against b; `pOneSided` is P(Z ≥ z) under "no difference". */
export function twoProportionZTest(a: Proportion, b: Proportion): { z: number; pTwoSided: number; pOneSided: number } {
  if (a.trials === 0 || b.trials === 0) return { z: 0, pTwoSided: 1, pOneSided: 0.5 };
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (se === 0) return { z: 0, pTwoSided: 1, pOneSided: 0.5 };
  const z = (pa - pb) / se;
  return { z, pTwoSided: 2 * (1 - normalCdf(Math.abs(z))), pOneSided: 1 - normalCdf(z) };
}

/** P(variant i has the highest rate) under independent Beta(1 + successes, 1 + failures) posteriors. */
export function winProbabilities(variants: readonly Proportion[], draws = 20_000, seed = 7): number[] {
  const rng = new Rng('win-probabilities', seed);
  const wins = new Array<number>(variants.length).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = -1;
    let bestValue = -1;
    variants.forEach((v, i) => {
      const value = rng.beta(1 + v.successes, 1 + v.trials - v.successes);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    });
    wins[best]!++;
  }
  return wins.map((w) => w / draws);
}

export interface VariantOutcome extends Proportion {
  name: string;
}

export interface WinnerDecision {
  /** Set when the leader beats every other variant at the confidence (one-sided z-test) with enough recipients. */
  winner: string | null;
  leader: string | null;
  /** Largest one-sided p-value of the leader against another variant. */
  pValue: number;
  winProbability: Record<string, number>;
  reason: string;
}

/**
 * Picks a winner when the leading variant beats each other one at `confidence` (one-sided z-test,
 * Bonferroni-corrected for the number of comparisons) and every variant has `minRecipients`.
 */
export function decideWinner(
  variants: readonly VariantOutcome[],
  opts: { confidence: number; minRecipients: number },
): WinnerDecision {
  const probabilities = winProbabilities(variants);
  const winProbability = Object.fromEntries(variants.map((v, i) => [v.name, probabilities[i]!]));
  if (variants.length < 2)
    return {
      winner: null,
      leader: variants[0]?.name ?? null,
      pValue: 1,
      winProbability,
      reason: 'fewer than two variants',
    };
  const rate = (v: Proportion) => (v.trials ? v.successes / v.trials : 0);
  const leader = [...variants].sort((a, b) => rate(b) - rate(a))[0]!;
  const others = variants.filter((v) => v !== leader);
  const pValue = Math.max(...others.map((o) => twoProportionZTest(leader, o).pOneSided));
  const small = variants.find((v) => v.trials < opts.minRecipients);
  if (small)
    return {
      winner: null,
      leader: leader.name,
      pValue,
      winProbability,
      reason: `variant ${small.name} has ${small.trials} of the ${opts.minRecipients} recipients needed`,
    };
  const alpha = (1 - opts.confidence) / others.length;
  if (pValue >= alpha)
    return {
      winner: null,
      leader: leader.name,
      pValue,
      winProbability,
      reason: `not significant: p = ${pValue.toPrecision(3)} ≥ ${alpha.toPrecision(3)}`,
    };
  return {
    winner: leader.name,
    leader: leader.name,
    pValue,
    winProbability,
    reason: `${leader.name} wins at ${opts.confidence} confidence`,
  };
}
