import { describe, expect, it } from 'vitest';
import type { Attribution } from '../src/attribution/credit.js';
import { firstTouch, lastTouch, linear, positionBased, timeDecay } from '../src/attribution/heuristics.js';
import { markov, removalEffects } from '../src/attribution/markov.js';
import { attributeAll } from '../src/attribution/models.js';
import { buildPathSet, pathCount, type Journey } from '../src/attribution/paths.js';
import { shapley } from '../src/attribution/shapley.js';

const journey = (channels: string, conversions: number, value: number, nulls = 0): Journey => ({
  touches: channels.split('>').map((c) => ({ channel: c.trim() })),
  conversions,
  value,
  nulls,
});

function credit(a: Attribution): Record<string, [number, number]> {
  return Object.fromEntries(a.channels.map((c) => [c.channel, [c.conversions, c.value]]));
}

function expectCredit(a: Attribution, expected: Record<string, [number, number]>): void {
  const got = credit(a);
  for (const [channel, [conv, value]] of Object.entries(expected)) {
    expect(got[channel]?.[0], `${a.model} ${channel} conversions`).toBeCloseTo(conv, 9);
    expect(got[channel]?.[1], `${a.model} ${channel} value`).toBeCloseTo(value, 9);
  }
}

describe('paths', () => {
  it('folds identical journeys and counts a journey without orders as one non-conversion', () => {
    const paths = buildPathSet([
      journey('a > b', 1, 10),
      journey('a > b', 2, 30),
      { touches: [{ channel: 'b' }], conversions: 0, value: 0 },
      { touches: [], conversions: 1, value: 5 },
    ]);
    expect(pathCount(paths)).toBe(2);
    expect(paths.channels).toEqual(['a', 'b']);
    expect([...paths.conversions]).toEqual([3, 0]);
    expect([...paths.value]).toEqual([40, 0]);
    expect([...paths.nulls]).toEqual([0, 1]);
    expect(paths.ages).toBeNull();
  });
});

describe('rule-based models (hand computed)', () => {
  // One path of four channels worth 1 order of 100, and one of a channel touched twice worth 2 orders of 60.
  const paths = buildPathSet([journey('a > b > c > d', 1, 100), journey('a > a', 2, 60), journey('c', 0, 0, 5)]);

  it('first and last touch give everything to one end', () => {
    expectCredit(firstTouch(paths), { a: [3, 160], b: [0, 0], c: [0, 0], d: [0, 0] });
    expectCredit(lastTouch(paths), { a: [2, 60], b: [0, 0], c: [0, 0], d: [1, 100] });
  });

  it('linear splits evenly over touches', () => {
    expectCredit(linear(paths), { a: [2.25, 85], b: [0.25, 25], c: [0.25, 25], d: [0.25, 25] });
  });

  it('position based gives 40/20/40, and half each on a path of two', () => {
    expectCredit(positionBased(paths), { a: [2.4, 100], b: [0.1, 10], c: [0.1, 10], d: [0.4, 40] });
  });

  it('time decay halves a touch’s weight per half-life (untimed touches one day apart)', () => {
    // Ages 3, 2, 1, 0 days with a 1-day half-life: weights 1/8, 1/4, 1/2, 1 → 1/15, 2/15, 4/15, 8/15.
    // On `a > a` (ages 1, 0) both touches are a's.
    expectCredit(timeDecay(paths, 1), {
      a: [1 / 15 + 2, 100 / 15 + 60],
      b: [2 / 15, 200 / 15],
      c: [4 / 15, 400 / 15],
      d: [8 / 15, 800 / 15],
    });
  });

  it('time decay uses touch times when the journeys have them', () => {
    const timed = buildPathSet([
      {
        touches: [
          { channel: 'email', ageDays: 14 },
          { channel: 'sms', ageDays: 0 },
        ],
        conversions: 1,
        value: 50,
      },
    ]);
    // Two half-lives of 7 days apart: weights 1/4 and 1 → 0.2 and 0.8.
    expectCredit(timeDecay(timed, 7), { email: [0.2, 10], sms: [0.8, 40] });
  });

  it('every model hands out exactly the conversions and revenue there were', () => {
    for (const a of attributeAll(paths)) {
      expect(a.totalConversions).toBe(3);
      expect(
        a.channels.reduce((s, c) => s + c.conversions, 0),
        a.model,
      ).toBeCloseTo(3, 9);
      expect(
        a.channels.reduce((s, c) => s + c.value, 0),
        a.model,
      ).toBeCloseTo(160, 9);
    }
  });
});

describe('Markov removal effect (hand computed)', () => {
  // start→a 2/3, start→b 1/3; a→b 1/2, a→null 1/2; b→conversion 1.
  // P(conv) = 2/3·1/2 + 1/3 = 2/3. Without a: 1/3 → effect 1/2. Without b: 0 → effect 1.
  const paths = buildPathSet([journey('a > b', 1, 100), journey('a', 0, 0, 1), journey('b', 1, 50)]);

  it('solves the absorbing chain exactly', () => {
    const effects = removalEffects(paths);
    expect(effects.conversionProbability).toBeCloseTo(2 / 3, 12);
    expect(effects.conversion[0]).toBeCloseTo(0.5, 12);
    expect(effects.conversion[1]).toBeCloseTo(1, 12);
  });

  it('shares conversions and revenue by the removal effects', () => {
    // Conversions: 2 × (1/2, 1)/1.5. Revenue: b's conversions average 75, so the effects are the same.
    expectCredit(markov(paths), { a: [2 / 3, 50], b: [4 / 3, 100] });
  });

  it('revenue credit follows the channels that lead to large orders', () => {
    // x converts 1 of 2 walks with orders of 300; y converts 1 of 1 with orders of 10: same
    // paths shape, so conversion effects are 1 each, but x carries 300 of 310 in revenue.
    const m = markov(buildPathSet([journey('x', 1, 300, 1), journey('y', 1, 10)]));
    expectCredit(m, { x: [1, 300], y: [1, 10] });
  });

  it('self-loops do not change the result', () => {
    const looped = buildPathSet([journey('a > a > b', 1, 100), journey('a > a', 0, 0, 1), journey('b > b > b', 1, 50)]);
    expectCredit(markov(looped), { a: [2 / 3, 50], b: [4 / 3, 100] });
  });

  it('an order-2 chain keeps the channel pairs apart', () => {
    // Order 2: states (a), (b), (a,b), (b,a). start→a: 2; a→(a,b): 1, a→null: 1... hand value below.
    // Paths: `a > b` converts 1, `b > a` converts 0 (1 null), `a` 1 null.
    // start→(a) 2/3 → (a,b) 1/2 → conv; start→(b) 1/3 → (b,a) → null. P = 1/3.
    // Without a: every state holding a is gone → 0 → effect 1. Without b: (a,b) gone → 0 → effect 1.
    const m = markov(buildPathSet([journey('a > b', 1, 10), journey('b > a', 0, 0, 1), journey('a', 0, 0, 1)]), {
      order: 2,
    });
    expect((m.details as { conversionProbability: number }).conversionProbability).toBeCloseTo(1 / 3, 12);
    expectCredit(m, { a: [0.5, 5], b: [0.5, 5] });
  });
});

describe('Shapley values', () => {
  // Journeys {a}: 10 orders, {a,b}: 20, {b}: 5. v(a)=10, v(b)=5, v(ab)=35:
  // φa = ½·10 + ½·(35−5) = 20, φb = ½·5 + ½·(35−10) = 15.
  const paths = buildPathSet([
    journey('a', 10, 100),
    journey('a > b > a', 20, 400),
    journey('b', 5, 50),
    journey('b > a', 0, 0, 7),
  ]);

  it('are exact for a few channels', () => {
    const s = shapley(paths);
    expect(s.details).toEqual({ method: 'exact' });
    expectCredit(s, { a: [20, 300], b: [15, 250] });
  });

  it('sampled channel orders converge to the exact values, repeatably for a seed', () => {
    const sampled = shapley(paths, { exactUpTo: 1, samples: 20_000, seed: 3 });
    expect(sampled.details).toMatchObject({ method: 'sampled', samples: 20_000 });
    expect(credit(sampled).a![0]).toBeCloseTo(20, 0);
    expect(credit(sampled).b![0]).toBeCloseTo(15, 0);
    expect(credit(shapley(paths, { exactUpTo: 1, samples: 500, seed: 9 }))).toEqual(
      credit(shapley(paths, { exactUpTo: 1, samples: 500, seed: 9 })),
    );
  });

  it('sampling above the exact limit stays close on many channels', () => {
    // 18 channels: exact is over 2^18 coalitions; sampled is estimated. Each journey's worth is
    // shared equally among its channels in expectation, which gives the exact answer to compare.
    const names = Array.from({ length: 18 }, (_, i) => `c${i}`);
    const journeys = names.flatMap((c, i) => [
      journey(c, i + 1, 10 * (i + 1)),
      journey(`${c} > ${names[(i + 1) % 18]} > ${names[(i + 5) % 18]}`, 6, 60),
    ]);
    const big = buildPathSet(journeys);
    const exactly = credit(shapley(big, { exactUpTo: 18 }));
    const estimated = credit(shapley(big, { exactUpTo: 15, samples: 4000, seed: 2 }));
    for (const c of names) {
      expect(exactly[c]![0]).toBeCloseTo(Number(c.slice(1)) + 1 + 6, 9);
      expect(Math.abs(estimated[c]![0] - exactly[c]![0]) / exactly[c]![0]).toBeLessThan(0.05);
    }
  });
});
