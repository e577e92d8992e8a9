import { describe, expect, it } from 'vitest';
import { BLEND_WEIGHTS, blendPredictions, chooseBlendWeight } from '../src/ml/ltv/blendWeight.js';
import { normalizedGini } from '../src/ml/metrics.js';
import { mulberry32 } from '../src/ml/trainLoop.js';

/**
 * Customers whose later revenue is `signalA + signalB`; family A predicts it from its own signal
 * only, family B from its own, each scaled by `weightA` / `weightB` in the truth.
 */
function world(n: number, weightA: number, weightB: number, seed = 3): { a: number[]; b: number[]; actual: number[] } {
  const random = mulberry32(seed);
  const a: number[] = [];
  const b: number[] = [];
  const actual: number[] = [];
  for (let i = 0; i < n; i++) {
    const [sa, sb] = [random() * 100, random() * 100];
    a.push(sa);
    b.push(sb);
    actual.push(weightA * sa + weightB * sb);
  }
  return { a, b, actual };
}

describe('chooseBlendWeight: ZILN vs BG/NBD + Gamma-Gamma by out-of-fold Gini', () => {
  it('gives everything to family B when B alone ranks the later period', () => {
    const { a, b, actual } = world(2000, 0, 1);
    const choice = chooseBlendWeight(a, b, actual);
    expect(choice.weight).toBe(0);
    expect(choice.gini[0]).toBeCloseTo(1, 6);
    expect(Math.max(...choice.gini)).toBe(choice.gini[0]);
  });

  it('gives everything to family A when A alone ranks the later period', () => {
    const { a, b, actual } = world(2000, 1, 0);
    expect(chooseBlendWeight(a, b, actual).weight).toBe(1);
  });

  it('blends evenly when each family knows half of what comes next, and the blend beats both', () => {
    const { a, b, actual } = world(2000, 1, 1);
    const choice = chooseBlendWeight(a, b, actual);
    expect(choice.weight).toBe(0.5);
    const blended = normalizedGini(blendPredictions(a, b, choice.weight), actual);
    expect(blended).toBeGreaterThan(normalizedGini(a, actual) + 0.05);
    expect(blended).toBeGreaterThan(normalizedGini(b, actual) + 0.05);
  });

  it('leans to the family that carries more of the signal', () => {
    const { a, b, actual } = world(4000, 1, 3);
    expect(chooseBlendWeight(a, b, actual).weight).toBe(0.25);
  });

  it('falls back to the even blend when nobody spent (every Gini NaN)', () => {
    const { a, b } = world(50, 1, 0);
    const choice = chooseBlendWeight(a, b, new Array(50).fill(0));
    expect(choice.gini.every(Number.isNaN)).toBe(true);
    expect(choice.weight).toBe(0.5);
  });

  it('blends on the dollar scale and refuses predictions of different customers', () => {
    expect(Array.from(blendPredictions([10, 0], [0, 20], 0.25))).toEqual([2.5, 15]);
    expect(BLEND_WEIGHTS).toContain(0);
    expect(BLEND_WEIGHTS).toContain(1);
    expect(() => blendPredictions([1, 2], [1], 0.5)).toThrow(/2 vs 1/);
  });
});
