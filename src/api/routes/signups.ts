import { z } from 'zod';
import { consentTexts, signUp, type ConsentTextId } from '../../campaigns/consent/doubleOptIn.js';
import { campaignServices } from '../../campaigns/services.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const textIds = Object.keys(consentTexts) as [ConsentTextId, ...ConsentTextId[]];

const signupBody = z
  .object({
    customerId: z.string().trim().min(1).max(200),
    email: z.email(),
    firstName: z.string().trim().min(1).max(200).optional(),
    source: z
      .enum(['website', 'checkout'])
      .describe('website: double opt-in (confirmation mail first); checkout: the ticked box is the consent'),
    consentTextId: z
      .enum(textIds)
      .optional()
      .describe(
        `the wording shown; default website-v1 / checkout-v1. ${textIds.map((id) => `${id}: "${consentTexts[id]}"`).join(' ')}`,
      ),
  })
  .meta({ id: 'Signup' });

const signupResult = z
  .object({
    status: z.enum(['confirmation_sent', 'confirmation_already_sent', 'subscribed']),
    messageId: z.string().optional(),
  })
  .meta({ id: 'SignupResult' });

export const signupRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/signups',
    summary: 'Sign a customer up for marketing email',
    description:
      'Website signups are double opt-in: a confirmation mail with a signed link (`GET /confirm/{token}`) goes out once per customer and address, and consent is granted only when the link is followed. Checkout signups grant consent at once. Both store a consent event with the time, the source and the exact text shown.',
    tags: ['consent'],
    roles: ['admin', 'ingest'],
    request: { body: signupBody },
    responses: {
      200: { description: 'What happened', schema: signupResult },
      400: { description: 'Invalid body, a suppressed address, or a confirmation that could not be delivered' },
    },
    handler: async ({ body, database }) => {
      const result = await signUp(database, await campaignServices(), {
        ...body,
        consentTextId: body.consentTextId ?? (body.source === 'website' ? 'website-v1' : 'checkout-v1'),
      });
      if (!result.ok) {
        const error = result.error;
        throw new AppError(
          'bad_request',
          error.type === 'suppressed'
            ? error.message
            : `the confirmation mail could not be delivered (${error.error.type}): ${error.error.message}`,
          error,
        );
      }
      return result.value;
    },
  }),
];
