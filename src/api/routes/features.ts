import { z } from 'zod';
import { featureCatalog } from '../../features/catalog.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const catalogEntrySchema = z
  .object({ name: z.string(), group: z.string(), type: z.enum(['number', 'string']), unit: z.string(), window: z.string(), description: z.string() })
  .meta({ id: 'FeatureCatalogEntry' });

const customerFeaturesSchema = z
  .object({ customerId: z.string(), asOf: z.iso.datetime(), computedAt: z.iso.datetime(), version: z.number(), values: z.record(z.string(), z.union([z.number(), z.string(), z.null()])) })
  .meta({ id: 'CustomerFeatures' });

export const featureRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/features/catalog',
    summary: 'Every behavioural feature: name, meaning, window and unit',
    description: 'Generated from the feature definitions themselves, so it always matches what build-features writes.',
    tags: ['features'],
    roles: ['admin', 'marketer'],
    responses: { 200: { description: 'The catalogue', schema: z.object({ items: z.array(catalogEntrySchema) }) } },
    handler: () => ({ items: featureCatalog }),
  }),
  defineRoute({
    method: 'get',
    path: '/v1/customers/:id/features',
    summary: "A customer's current features",
    tags: ['features'],
    roles: ['admin', 'marketer'],
    request: { params: z.object({ id: z.string().min(1).max(200) }) },
    responses: { 200: { description: 'Features as of the last build-features run', schema: customerFeaturesSchema }, 404: { description: 'No features for this customer yet' } },
    handler: async ({ params, database }) => {
      const doc = await database.collections.features.findOne({ _id: params.id });
      if (!doc) throw new AppError('not_found', `no features for customer ${params.id}; run the build-features job`);
      return { customerId: params.id, asOf: (doc.asOf as Date).toISOString(), computedAt: (doc.computedAt as Date).toISOString(), version: doc.version as number, values: doc.values as Record<string, number | string | null> };
    },
  }),
];
