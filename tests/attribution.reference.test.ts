import { describe, expect, it } from 'vitest';
import { firstTouch, lastTouch, linear } from '../src/attribution/heuristics.js';
import { markov } from '../src/attribution/markov.js';
import { buildPathSet, readPathTable } from '../src/attribution/paths.js';
import { CHANNEL_ATTRIBUTION_FILE } from '../src/ml/datasets/publicData.js';

// ChannelAttribution's example data: 10,000 paths over 12 channels.
const journeys = readPathTable(CHANNEL_ATTRIBUTION_FILE);
const paths = buildPathSet(journeys);

/**
 * ChannelAttribution 2.2.5 (PyPI) `markov_model(..., var_null='total_null', nsim_start=1e7, seed=0)`
 * on this file: conversions and revenue by channel. It estimates the chain by simulating walks,
 * so small channels carry its sampling noise (mi: 2 of 19,785 conversions).
 */
const channelAttributionMarkov: Record<string, [number, number]> = {
  eta: [3326.096484, 12918.431474],
  iota: [3888.479741, 14972.759273],
  alpha: [5353.749903, 18800.552269],
  beta: [2526.89324, 9685.105258],
  theta: [1972.986187, 7512.579923],
  lambda: [1282.218414, 5169.375094],
  kappa: [275.476612, 1149.095699],
  zeta: [380.230501, 1466.772871],
  epsilon: [600.226509, 2364.006004],
  gamma: [171.750143, 744.368846],
  delta: [4.623384, 13.289094],
  mi: [2.268883, 6.635783],
};

/** The same chain solved exactly by numpy.linalg.solve in an independent script. */
const exactMarkov: Record<string, [number, number]> = {
  alpha: [5344.947682, 18799.170626],
  beta: [2527.352167, 9687.809216],
  delta: [4.613618, 13.918384],
  epsilon: [599.57065, 2348.653825],
  eta: [3340.847402, 12991.736667],
  gamma: [171.145443, 719.236746],
  iota: [3884.614702, 14978.437288],
  kappa: [274.363256, 1136.092538],
  lambda: [1282.847223, 5142.720297],
  mi: [1.722425, 5.444509],
  theta: [1971.91288, 7511.048475],
  zeta: [381.062553, 1468.703015],
};

/** The same call with `order=2`: conversions by channel. */
const channelAttributionOrder2: Record<string, number> = {
  eta: 3389.478035,
  iota: 3817.802551,
  alpha: 5616.701366,
  beta: 2423.857599,
  theta: 1904.525006,
  lambda: 1198.777079,
  kappa: 265.050712,
  zeta: 374.572012,
  epsilon: 613.090158,
  gamma: 173.767687,
};

/** ChannelAttribution 2.2.5 `heuristic_models` on this file: first, last and linear conversions. */
const channelAttributionHeuristics: Record<string, [number, number, number]> = {
  eta: [3164, 4167, 3539.951157],
  iota: [4606, 3355, 3857.096221],
  alpha: [6308, 8447, 7574.718594],
  beta: [2831, 989, 2083.500145],
  theta: [1606, 653, 1022.801394],
  lambda: [902, 1207, 1035.257572],
  kappa: [74, 230, 137.964078],
  zeta: [27, 107, 136.55154],
  epsilon: [99, 531, 272.170438],
  gamma: [165, 92, 121.041639],
  delta: [1, 5, 1.725],
  mi: [2, 2, 2.222222],
};

const byChannel = (a: ReturnType<typeof markov>) => Object.fromEntries(a.channels.map((c) => [c.channel, c]));

describe('reference: ChannelAttribution example data', () => {
  it('reads the 10,000 paths and 12 channels', () => {
    expect(journeys).toHaveLength(10_000);
    // Rows with the same channel sequence fold into one path.
    expect(paths.conversions.length).toBe(5408);
    expect(paths.channels).toHaveLength(12);
    expect(paths.conversions.reduce((s, x) => s + x, 0)).toBe(19_785);
    expect(paths.nulls.reduce((s, x) => s + x, 0)).toBe(68_602);
  });

  it('Markov credit equals the exact absorbing-chain solution', () => {
    const ours = byChannel(markov(paths));
    for (const [channel, [conv, value]] of Object.entries(exactMarkov)) {
      expect(ours[channel]!.conversions, channel).toBeCloseTo(conv, 4);
      expect(ours[channel]!.value, channel).toBeCloseTo(value, 3);
    }
  });

  it('Markov credit is within 1% of ChannelAttribution for every channel with 100+ conversions', () => {
    const ours = byChannel(markov(paths));
    for (const [channel, [conv, value]] of Object.entries(channelAttributionMarkov)) {
      if (conv < 100) continue;
      expect(Math.abs(ours[channel]!.conversions / conv - 1), `${channel} conversions`).toBeLessThan(0.01);
      // Revenue credit rests on fewer simulated conversions per channel there: 4%.
      expect(Math.abs(ours[channel]!.value / value - 1), `${channel} value`).toBeLessThan(0.04);
    }
  });

  it('a second-order chain agrees with ChannelAttribution’s order 2 within its simulation noise', () => {
    const ours = byChannel(markov(paths, { order: 2 }));
    // Its 1e7 simulated walks spread over ~150 states: 1.5% for the channels with 100+ conversions.
    for (const [channel, conv] of Object.entries(channelAttributionOrder2))
      expect(Math.abs(ours[channel]!.conversions / conv - 1), channel).toBeLessThan(0.015);
  });

  it('first, last and linear touch equal ChannelAttribution’s heuristic models', () => {
    const [first, last, lin] = [byChannel(firstTouch(paths)), byChannel(lastTouch(paths)), byChannel(linear(paths))];
    for (const [channel, [f, l, li]] of Object.entries(channelAttributionHeuristics)) {
      expect(first[channel]!.conversions).toBeCloseTo(f, 6);
      expect(last[channel]!.conversions).toBeCloseTo(l, 6);
      expect(lin[channel]!.conversions).toBeCloseTo(li, 5);
    }
  });
});
