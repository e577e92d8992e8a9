import { z } from 'zod';
import { previewRule } from '../../segments/membership/preview.js';
import { ruleSchema } from '../../segments/rules/index.js';
import { defineRoute } from '../defineRoute.js';

const previewBody = z
  .object({
    rule: ruleSchema,
    sample: z.number().int().min(0).max(100).default(10).meta({ description: 'How many matching customers to return' }),
    asOf: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'Evaluate relative times and seasons at this instant (default: now)' }),
  })
  .meta({ id: 'SegmentPreviewRequest' });

const previewResponse = z
  .object({
    count: z.number().meta({ description: 'Customers the rule selects' }),
    customers: z.number().meta({ description: 'Customers evaluated' }),
    sample: z.array(
      z
        .looseObject({ customerId: z.string() })
        .meta({ description: 'A member row, as `GET /v1/segments/{key}/members` gives it' }),
    ),
    evaluatedAt: z.iso.datetime(),
  })
  .meta({ id: 'SegmentPreview' });

export const segmentPreviewRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/segments/preview',
    summary: 'Count and sample the customers a rule selects, without saving anything',
    description:
      'Runs the rule over every customer as the assign-segments job does. A POST only because a rule is JSON; it stores nothing, so marketer keys may call it. A bad rule answers 400 naming its path (`body.rule.any.1.value`).',
    tags: ['segments'],
    roles: ['admin', 'marketer'],
    readOnly: true,
    request: { body: previewBody },
    responses: { 200: { description: 'How many match, and a sample', schema: previewResponse } },
    handler: async ({ body, database }) => {
      const asOf = body.asOf ? new Date(body.asOf) : new Date();
      const result = await previewRule(database, body.rule, { asOf, sample: body.sample });
      // ruleSchema already refused bad rules with a 400 naming the path.
      if (!result.ok) throw new Error(`preview: a validated rule did not compile: ${result.error.message}`);
      return { ...result.value, evaluatedAt: asOf.toISOString() };
    },
  }),
];
