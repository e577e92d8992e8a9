import { z } from 'zod';
import type { Attribution } from './credit.js';
import { firstTouch, lastTouch, linear, positionBased, timeDecay } from './heuristics.js';
import { markov } from './markov.js';
import type { PathSet } from './paths.js';
import { shapley } from './shapley.js';

export const modelNames = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
  'markov',
  'shapley',
] as const;
export type ModelName = (typeof modelNames)[number];
export const modelNameSchema = z.enum(modelNames);

/** Parameters of the models that take any; one object so a report records how it was computed. */
export const modelParamsSchema = z.object({
  halfLifeDays: z.coerce
    .number()
    .positive()
    .max(365)
    .default(7)
    .describe('time decay: days for a touch’s weight to halve'),
  positionEnds: z.coerce
    .number()
    .min(0)
    .max(0.5)
    .default(0.4)
    .describe('position based: share of the first and of the last touch'),
  markovOrder: z.coerce.number().int().min(1).max(3).default(1).describe('Markov: states are the last k channels'),
  shapleyExactUpTo: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .default(15)
    .describe('Shapley: exact up to this many channels, sampled above'),
  shapleySamples: z.coerce
    .number()
    .int()
    .min(10)
    .max(100_000)
    .default(2000)
    .describe('Shapley: channel orders drawn when sampling'),
  seed: z.coerce.number().int().default(1).describe('Shapley sampling seed'),
});
export type ModelParams = z.output<typeof modelParamsSchema>;

export function attribute(paths: PathSet, model: ModelName, params: Partial<ModelParams> = {}): Attribution {
  const p = modelParamsSchema.parse(params);
  switch (model) {
    case 'first_touch':
      return firstTouch(paths);
    case 'last_touch':
      return lastTouch(paths);
    case 'linear':
      return linear(paths);
    case 'time_decay':
      return timeDecay(paths, p.halfLifeDays);
    case 'position_based':
      return positionBased(paths, p.positionEnds);
    case 'markov':
      return markov(paths, { order: p.markovOrder });
    case 'shapley':
      return shapley(paths, { exactUpTo: p.shapleyExactUpTo, samples: p.shapleySamples, seed: p.seed });
  }
}

export function attributeAll(paths: PathSet, params: Partial<ModelParams> = {}): Attribution[] {
  return modelNames.map((m) => attribute(paths, m, params));
}
