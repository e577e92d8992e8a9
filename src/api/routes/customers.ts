import { z } from 'zod';
import { loadCustomerView } from '../../segments/membership/customerView.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const timestamp = z.iso.datetime();
const stay = z.object({ segmentId: z.string(), name: z.string().nullable(), enteredAt: timestamp, exitedAt: timestamp.nullable() });

const customerViewSchema = z
  .object({
    customerId: z.string(),
    profile: z.object({
      email: z.string().nullable(),
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
      country: z.string().nullable(),
      timezone: z.string().nullable(),
      signupSource: z.string().nullable(),
      signedUpAt: timestamp.nullable(),
      traits: z.record(z.string(), z.unknown()),
    }),
    consent: z.record(z.string(), z.object({ status: z.string(), updatedAt: timestamp.nullable(), source: z.string().nullable() })),
    lifecycle: z
      .object({ stage: z.string(), since: timestamp, cause: z.string(), history: z.array(z.object({ from: z.string().nullable(), to: z.string(), at: timestamp, cause: z.string() })) })
      .nullable(),
    features: z.object({ asOf: timestamp, values: z.record(z.string(), z.unknown()) }).nullable(),
    scores: z
      .object({
        cohort: z.enum(['buyer', 'prospect']).nullable().meta({ description: 'buyer: ordered before the as-of date (churn risk, next order); prospect: did not (first-purchase propensity); null: scored before cohorts' }),
        values: z.record(z.string(), z.unknown()),
        notApplicable: z.record(z.string(), z.string()).meta({ description: 'Scores absent for this cohort, by field, with the reason (see docs/api-scores.md)' }),
        drivers: z.record(z.string(), z.unknown()),
        modelVersions: z.record(z.string(), z.unknown()),
        scoredAt: timestamp.nullable(),
      })
      .nullable()
      .meta({ description: 'Latest scores, what drove each, which apply to the customer, and the model versions that produced them' }),
    segments: z.object({ current: z.array(stay), past: z.array(stay) }),
    recentEvents: z.array(z.object({ eventId: z.string(), type: z.string(), ts: timestamp, channel: z.string().nullable(), properties: z.record(z.string(), z.unknown()) })),
  })
  .meta({ id: 'CustomerView' });

export const customerRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/customers/:id',
    summary: 'A customer: profile, consent, lifecycle stage and history, features, scores with drivers, segments current and past, recent events',
    tags: ['customers'],
    roles: ['admin', 'marketer'],
    request: { params: z.object({ id: z.string().min(1).max(200) }), query: z.object({ events: z.coerce.number().int().min(0).max(200).default(20).meta({ description: 'How many recent events' }) }) },
    responses: { 200: { description: 'The customer', schema: customerViewSchema }, 404: { description: 'No such customer' } },
    handler: async ({ database, params, query }) => {
      const view = await loadCustomerView(database, params.id, query.events);
      if (!view) throw new AppError('not_found', `no customer ${params.id}`);
      return view;
    },
  }),
];
