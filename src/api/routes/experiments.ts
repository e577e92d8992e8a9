import { z } from 'zod';
import { storedExperiments } from '../../campaigns/experiments/experimentStore.js';
import { defineRoute } from '../defineRoute.js';

const experimentOut = z
  .object({
    id: z.string(),
    name: z.string(),
    flowId: z.string().nullable(),
    stepId: z.string().nullable(),
    status: z.string(),
    variants: z.array(z.object({ name: z.string(), weight: z.number() })),
    holdoutShare: z.number(),
    results: z.record(z.string(), z.unknown()).meta({
      description:
        'Per-variant counts and rates, the significance test, the winner; or, for `<flow>:holdout`, revenue per customer of enrolled vs held out',
    }),
  })
  .meta({ id: 'Experiment' });

export const experimentRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/experiments',
    summary: 'A/B tests and flow holdouts with their latest results',
    description:
      'Recomputed by dispatch-campaigns (hourly by default): per-variant opens, clicks, conversions, the z-test and Bayesian win probabilities, the automatic winner; and revenue per customer enrolled vs held out.',
    tags: ['campaigns'],
    roles: ['admin', 'marketer'],
    request: { query: z.object({ flowId: z.string().max(60).optional() }) },
    responses: { 200: { description: 'Experiments', schema: z.object({ items: z.array(experimentOut) }) } },
    handler: async ({ query, database }) => {
      const docs = await storedExperiments(database, query.flowId);
      return {
        items: docs.map((d) => ({
          id: String(d._id),
          name: d.name as string,
          flowId: (d.flowId as string | undefined) ?? null,
          stepId: (d.stepId as string | undefined) ?? null,
          status: d.status as string,
          variants: (d.variants as { name: string; weight: number }[] | undefined) ?? [],
          holdoutShare: (d.holdoutShare as number | undefined) ?? 0,
          results: JSON.parse(JSON.stringify(d.results ?? {})) as Record<string, unknown>,
        })),
      };
    },
  }),
];
