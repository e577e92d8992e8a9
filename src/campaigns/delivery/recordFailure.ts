import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import { eventSchema } from '../../ingest/eventSchemas.js';
import { storeEvents } from '../../ingest/storeEvents.js';
import type { DeliveryError } from './types.js';

export interface FailedMessage {
  messageId: string;
  customerId: string;
  to: string;
  flowId?: string;
}

/**
 * Makes a delivery failure permanent where it has to be: a hard bounce or a complaint adds the
 * address to the suppressions (so no mail of any kind reaches a dead address, and no marketing
 * reaches a complainer) and stores the matching event (features and reports count it). Transient
 * failures and timeouts change nothing: the caller retries with backoff. Idempotent: the event id
 * is derived from the message, suppressions are unique per address.
 */
export async function recordDeliveryFailure(
  database: Database,
  message: FailedMessage,
  error: DeliveryError,
  at = new Date(),
): Promise<{ suppressed: boolean }> {
  if (error.type !== 'hard_bounce' && error.type !== 'complaint') return { suppressed: false };
  const reason = error.type === 'hard_bounce' ? 'bounce' : 'complaint';
  await insertIgnoringDuplicates(database.collections.suppressions, [
    {
      address: message.to.toLowerCase(),
      channel: 'email',
      customerId: message.customerId,
      reason,
      createdAt: at,
      updatedAt: at,
    },
  ]);
  const props: Record<string, unknown> = { messageId: message.messageId };
  if (message.flowId) props.flowId = message.flowId;
  if (error.type === 'hard_bounce') {
    props.bounceType = 'hard';
    if (error.smtpCode !== undefined) props.smtpCode = error.smtpCode;
    if (error.response) props.response = error.response.slice(0, 500);
  }
  const event = eventSchema.parse({
    eventId: `${reason}:${message.messageId}`,
    type: reason === 'bounce' ? 'email_bounced' : 'email_complained',
    customerId: message.customerId,
    timestamp: at.toISOString(),
    channel: 'email',
    properties: props,
  });
  await storeEvents(database, [event], 'email', at);
  return { suppressed: true };
}
