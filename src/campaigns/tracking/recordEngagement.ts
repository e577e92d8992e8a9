import { randomUUID } from 'node:crypto';
import { ObjectId } from 'mongodb';
import type { Database } from '../../db/database.js';
import { eventSchema, type EventType } from '../../ingest/eventSchemas.js';
import { storeEvents } from '../../ingest/storeEvents.js';
import type { EmailTopic } from '../content/types.js';
import type { Result } from '../delivery/types.js';
import { machineOpenReason } from './machineOpen.js';
import { verifyToken } from './tokens.js';

export interface Hit {
  userAgent?: string;
  ip?: string;
  at: Date;
}

interface MessageRef {
  m: string;
  c: string;
}

interface StoredMessage {
  _id: unknown;
  flowId?: string;
  sentAt?: Date;
  links?: { id: string; url: string }[];
}

/** Message ids are ObjectIds (mongoose default); the lookup is by `_id`, which FerretDB pushes down. */
function byId(messageId: string): Record<string, unknown> {
  return {
    _id: ObjectId.isValid(messageId) && /^[0-9a-f]{24}$/i.test(messageId) ? new ObjectId(messageId) : messageId,
  };
}

async function findMessage(database: Database, messageId: string): Promise<StoredMessage | null> {
  return (await database.collections.messages.findOne(byId(messageId), {
    projection: { flowId: 1, sentAt: 1, links: 1 },
  })) as StoredMessage | null;
}

/** Stores an engagement event through the normal ingest path, so features and attribution see it. */
async function storeEmailEvent(
  database: Database,
  type: EventType,
  ref: MessageRef,
  at: Date,
  props: Record<string, unknown>,
  eventId: string = randomUUID(),
): Promise<void> {
  const event = eventSchema.parse({
    eventId,
    type,
    customerId: ref.c,
    timestamp: at.getTime(),
    channel: 'email',
    properties: { messageId: ref.m, ...props },
  });
  await storeEvents(database, [event], 'email', at);
}

/** `GET /o/:token`: an `email_opened` event flagged when a machine made it, and the message's counter. */
export async function recordOpen(database: Database, ref: MessageRef, hit: Hit): Promise<{ machineOpen: boolean }> {
  const message = await findMessage(database, ref.m);
  const reason = machineOpenReason({ userAgent: hit.userAgent, ip: hit.ip, openedAt: hit.at, sentAt: message?.sentAt });
  const props: Record<string, unknown> = { machineOpen: Boolean(reason) };
  if (reason) props.machineReason = reason;
  if (message?.flowId) props.flowId = message.flowId;
  await storeEmailEvent(database, 'email_opened', ref, hit.at, props);
  if (message)
    await database.collections.messages.updateOne(byId(ref.m), { $inc: reason ? { machineOpens: 1 } : { opens: 1 } });
  return { machineOpen: Boolean(reason) };
}

/**
 * Recorded URLs come from templates and the catalogue; one that is not an absolute http(s) URL
 * (`javascript:`, `data:`, a protocol-relative `//host`) is never a redirect target, whoever wrote it.
 */
function isWebUrl(url: string): boolean {
  return URL.canParse(url) && ['http:', 'https:'].includes(new URL(url).protocol);
}

/**
 * `GET /c/:token`: the URL recorded for that link of that message, never anything the request
 * supplies (no open redirect), plus an `email_clicked` event and the message's click counter.
 */
export async function recordClick(
  database: Database,
  ref: MessageRef,
  linkId: string,
  hit: Hit,
): Promise<Result<{ url: string }, 'unknown_link'>> {
  const message = await findMessage(database, ref.m);
  const url = message?.links?.find((link) => link.id === linkId)?.url;
  if (!message || !url || !isWebUrl(url)) return { ok: false, error: 'unknown_link' };
  const props: Record<string, unknown> = { url, linkId };
  if (message.flowId) props.flowId = message.flowId;
  await storeEmailEvent(database, 'email_clicked', ref, hit.at, props);
  await database.collections.messages.updateOne(byId(ref.m), { $inc: { clicks: 1 } });
  return { ok: true, value: { url } };
}

export type UnsubscribeVia = 'one_click' | 'preference_centre' | 'mailto';

/**
 * Unsubscribes from all marketing at once: an `email_unsubscribed` event, which the ingest path
 * turns into a suppression and withdrawn email consent (src/ingest/customerUpdates.ts). The event
 * id is per message, so a repeated POST (mail clients retry) changes nothing more.
 */
export async function unsubscribe(
  database: Database,
  ref: MessageRef,
  via: UnsubscribeVia,
  at = new Date(),
): Promise<void> {
  const message = await findMessage(database, ref.m);
  const props: Record<string, unknown> = { via };
  if (message?.flowId) props.flowId = message.flowId;
  await storeEmailEvent(database, 'email_unsubscribed', ref, at, props, `unsubscribe:${ref.m}`);
}

/** What the preference centre shows: the address and the topics kept (undefined: every topic). */
export async function preferencesOf(
  database: Database,
  customerId: string,
): Promise<{ email: string | undefined; topics: EmailTopic[] | undefined }> {
  const customer = await database.collections.customers.findOne(
    { _id: customerId },
    { projection: { email: 1, traits: 1 } },
  );
  const topics = (customer?.traits as { emailTopics?: EmailTopic[] } | undefined)?.emailTopics;
  return { email: customer?.email ?? undefined, topics };
}

/** The preference centre's topic choice, kept as the `emailTopics` trait (read by `canSend`). */
export async function saveTopics(
  database: Database,
  ref: MessageRef,
  topics: EmailTopic[],
  at = new Date(),
): Promise<void> {
  const event = eventSchema.parse({
    type: 'identify',
    customerId: ref.c,
    timestamp: at.getTime(),
    channel: 'email',
    properties: { traits: { emailTopics: topics }, messageId: ref.m },
  });
  await storeEvents(database, [event], 'email', at);
}

/**
 * The mailto side of List-Unsubscribe: a mail to `unsubscribe@<domain>` whose subject is
 * `unsubscribe <token>` (what the header's mailto URL pre-fills). Returns whether it unsubscribed;
 * mail to other addresses, or without a valid token, is ignored.
 */
export async function unsubscribeByMail(
  database: Database,
  secret: Buffer,
  mail: { to: string[]; raw: string },
  domain: string,
): Promise<boolean> {
  if (!mail.to.some((to) => to.toLowerCase() === `unsubscribe@${domain.toLowerCase()}`)) return false;
  const headers = mail.raw.split('\r\n\r\n', 1)[0]!.replace(/\r\n[ \t]+/g, ' ');
  const token = /^subject:\s*unsubscribe\s+([\w.-]+)\s*$/im.exec(headers)?.[1];
  if (!token) return false;
  const verified = verifyToken(secret, token, 'u');
  if (!verified.ok) return false;
  await unsubscribe(database, verified.value, 'mailto');
  return true;
}
