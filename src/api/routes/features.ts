import { z } from 'zod';
import { featureCatalog } from '../../features/catalog.js';
import { defineRoute } from '../defineRoute.js';

const catalogEntrySchema = z
  .object({
    name: z.string(),
    group: z.string(),
    type: z.enum(['number', 'string', 'map']),
    unit: z.string(),
    window: z.string(),
    description: z.string(),
  })
  .meta({ id: 'FeatureCatalogEntry' });

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
];
