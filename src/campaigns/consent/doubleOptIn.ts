import type { Database } from '../../db/database.js';
import { eventSchema } from '../../ingest/eventSchemas.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import { storeEvents } from '../../ingest/storeEvents.js';
import type { MessageData } from '../content/types.js';
import { composeMail } from '../delivery/composeMail.js';
import { recordDeliveryFailure } from '../delivery/recordFailure.js';
import type { DeliveryError, Result } from '../delivery/types.js';
import type { CampaignServices } from '../services.js';
import { signToken, verifyToken, type TokenError } from '../tracking/tokens.js';
import { canSend } from './canSend.js';

/**
 * The consent wording shown at each signup point, by version: the consent event records the
 * exact text the customer agreed to, and a changed wording gets a new id (never edit one).
 */
export const consentTexts = {
  'website-v1': 'Yes, send me news, offers and product recommendations by email. I can unsubscribe at any time.',
  'checkout-v1': 'Email me news and offers. I can unsubscribe at any time.',
} as const;
export type ConsentTextId = keyof typeof consentTexts;

export interface Signup {
  customerId: string;
  email: string;
  firstName?: string;
  /** `website`: double opt-in (a confirmation mail first); `checkout`: the box ticked at purchase. */
  source: 'website' | 'checkout';
  consentTextId: ConsentTextId;
  at?: Date;
}

export type SignupOutcome =
  | { status: 'confirmation_sent'; messageId: string }
  | { status: 'confirmation_already_sent' }
  | { status: 'subscribed' };
export type SignupError = { type: 'suppressed'; message: string } | { type: 'delivery_failed'; error: DeliveryError };

const emptyRecommendations = {
  recentlyViewed: [],
  boughtTogether: [],
  replenishment: [],
  bestSellers: [],
  newArrivals: [],
};

async function storeIdentify(
  database: Database,
  eventId: string,
  customerId: string,
  at: Date,
  properties: Record<string, unknown>,
): Promise<void> {
  const event = eventSchema.parse({ eventId, type: 'identify', customerId, timestamp: at.getTime(), properties });
  await storeEvents(database, [event], 'email', at);
}

/**
 * A signup. At checkout the ticked box is the consent (stored at once, with the text shown). On
 * the website it is only a request: the address gets a confirmation mail (transactional, sent
 * once per customer and address: the message is inserted under a unique key before sending) and
 * consent is granted when its link is followed (`confirmSubscription`).
 */
export async function signUp(
  database: Database,
  services: CampaignServices,
  signup: Signup,
): Promise<Result<SignupOutcome, SignupError>> {
  const at = signup.at ?? new Date();
  const email = signup.email.trim().toLowerCase();
  const text = consentTexts[signup.consentTextId];
  const traits: Record<string, unknown> = { email, signupSource: signup.source };
  if (signup.firstName) traits.firstName = signup.firstName;
  if (signup.source === 'checkout') {
    await storeIdentify(database, `signup:${signup.customerId}:${email}`, signup.customerId, at, {
      traits,
      consent: { email: true },
      consentSource: 'checkout',
      consentText: text,
      consentTextId: signup.consentTextId,
    });
    return { ok: true, value: { status: 'subscribed' } };
  }
  await storeIdentify(database, `signup:${signup.customerId}:${email}`, signup.customerId, at, {
    traits,
    consentRequested: { source: 'website', consentText: text, consentTextId: signup.consentTextId },
  });
  const allowed = await canSend(database, { _id: signup.customerId, email }, 'transactional');
  if (!allowed.ok)
    return { ok: false, error: { type: 'suppressed', message: `${email} cannot be mailed (${allowed.reason})` } };

  // The confirmation mail is a message without a flow, under a driver-made ObjectId: not a MessageDoc.
  const { Message } = database.models;
  const claim = {
    enrollmentId: `double-opt-in:${signup.customerId}`,
    stepId: email,
    customerId: signup.customerId,
    channel: 'email',
    to: email,
    template: 'double_opt_in',
    kind: 'transactional',
    status: 'claimed',
    createdAt: at,
    updatedAt: at,
  };
  const duplicate = (await insertIgnoringDuplicates(Message.collection, [claim])).size > 0;
  if (duplicate) return { ok: true, value: { status: 'confirmation_already_sent' } };
  const message = await Message.collection.findOne(
    { enrollmentId: claim.enrollmentId, stepId: email },
    { projection: { _id: 1 } },
  );
  const messageId = String(message!._id);

  const data: MessageData = {
    messageId,
    customerId: signup.customerId,
    to: email,
    engagement: 'medium',
    viewedProducts: [],
    recommendations: emptyRecommendations,
    reviews: [],
    confirmUrl: `${services.publicUrl}/confirm/${signToken(services.secret, { p: 'd', c: signup.customerId, a: email, t: signup.consentTextId })}`,
  };
  if (signup.firstName) data.firstName = signup.firstName;
  const rendered = services.renderer.render('double_opt_in', {}, data);
  const sent = await services.mailer.send(
    composeMail(rendered, { to: email, messageId, domain: services.domain, from: services.from }),
  );
  if (!sent.ok) {
    await recordDeliveryFailure(database, { messageId, customerId: signup.customerId, to: email }, sent.error);
    await Message.collection.updateOne(
      { _id: message!._id },
      { $set: { status: 'failed', error: sent.error.message, subject: rendered.subject, updatedAt: new Date() } },
    );
    return { ok: false, error: { type: 'delivery_failed', error: sent.error } };
  }
  await Message.collection.updateOne(
    { _id: message!._id },
    {
      $set: {
        status: 'sent',
        sentAt: new Date(),
        subject: rendered.subject,
        links: rendered.links,
        providerMessageId: sent.value.messageId,
        updatedAt: new Date(),
      },
    },
  );
  return { ok: true, value: { status: 'confirmation_sent', messageId } };
}

export type ConfirmError = TokenError | 'unknown_customer' | 'address_changed';

/**
 * `GET /confirm/:token`: grants email consent with the time, the source and the exact text the
 * customer was shown, as an identify event (so it lands where all consent lands). Following the
 * link twice stores nothing new (the event id is per customer and address).
 */
export async function confirmSubscription(
  database: Database,
  secret: Buffer,
  token: string,
  at = new Date(),
): Promise<Result<{ customerId: string; email: string }, ConfirmError>> {
  const verified = verifyToken(secret, token, 'd', at.getTime());
  if (!verified.ok) return verified;
  const { c, a, t } = verified.value;
  const customer = await database.collections.customers.findOne({ _id: c }, { projection: { email: 1 } });
  if (!customer) return { ok: false, error: 'unknown_customer' };
  // A link for an address the customer has since replaced must not subscribe the new one.
  if (customer.email !== a) return { ok: false, error: 'address_changed' };
  const consentText = consentTexts[t as ConsentTextId] ?? null;
  await storeIdentify(database, `double-opt-in:${c}:${a}`, c, at, {
    traits: {},
    consent: { email: true },
    consentSource: 'website_double_opt_in',
    consentText,
    consentTextId: t,
    confirmedAddress: a,
  });
  return { ok: true, value: { customerId: c, email: a } };
}
