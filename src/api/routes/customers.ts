import { z } from 'zod';
import { customerViewSchema, loadCustomerView } from '../../customers/customerView.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

export const customerRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/customers/:id',
    summary:
      'A customer: profile, consent, lifecycle stage and history, features, scores with drivers, segments current and past, recent events',
    tags: ['customers'],
    roles: ['admin', 'marketer'],
    request: {
      params: z.object({ id: z.string().min(1).max(200) }),
      query: z.object({
        events: z.coerce.number().int().min(0).max(200).default(20).meta({ description: 'How many recent events' }),
      }),
    },
    responses: {
      200: { description: 'The customer', schema: customerViewSchema },
      404: { description: 'No such customer' },
    },
    handler: async ({ database, params, query }) => {
      const view = await loadCustomerView(database, params.id, query.events);
      if (!view) throw new AppError('not_found', `no customer ${params.id}`);
      return view;
    },
  }),
];
