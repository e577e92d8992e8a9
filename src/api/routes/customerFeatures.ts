import { z } from 'zod';
import { currentFeatures } from '../../features/store.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const customerFeaturesSchema = z
  .object({
    customerId: z.string(),
    asOf: z.iso.datetime(),
    computedAt: z.iso.datetime(),
    version: z.number(),
    values: z.record(z.string(), z.union([z.number(), z.string(), z.null(), z.record(z.string(), z.number())])),
  })
  .meta({ id: 'CustomerFeatures' });

export const customerFeatureRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/customers/:id/features',
    summary: "A customer's current features",
    tags: ['features'],
    roles: ['admin', 'marketer'],
    request: { params: z.object({ id: z.string().min(1).max(200) }) },
    responses: {
      200: { description: 'Features as of the last build-features run', schema: customerFeaturesSchema },
      404: { description: 'No features for this customer yet' },
    },
    handler: async ({ params, database }) => {
      const doc = await currentFeatures(database, params.id);
      if (!doc) throw new AppError('not_found', `no features for customer ${params.id}; run the build-features job`);
      return {
        customerId: params.id,
        asOf: (doc.asOf as Date).toISOString(),
        computedAt: (doc.computedAt as Date).toISOString(),
        version: doc.version as number,
        values: doc.values as Record<string, number | string | null | Record<string, number>>,
      };
    },
  }),
];
