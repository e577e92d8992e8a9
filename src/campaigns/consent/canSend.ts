import type { Filter } from 'mongodb';
import type { Database } from '../../db/database.js';
import type { CustomerDoc } from '../../db/models/customer.js';
import { hashedAddress } from '../../privacy/addressHash.js';
import type { EmailTopic, MessageKind } from '../content/types.js';

/** The customer fields the gate reads (a lean customer document fits). */
export interface Recipient {
  _id: string;
  email?: string | null;
  consent?: { email?: { status?: string | null } | null } | null;
  /** `traits.emailTopics`: the topics kept in the preference centre; absent means all. */
  traits?: { emailTopics?: unknown } | null;
}

export type BlockReason = 'no_address' | 'no_consent' | 'unsubscribed' | 'suppressed' | 'topic_off';

export type SendDecision = { ok: true } | { ok: false; reason: BlockReason };

/**
 * Suppression reasons that stop transactional mail too. An unsubscribe or a spam complaint
 * withdraws marketing consent only (the order confirmation still goes); a hard bounce, an
 * erasure or a manual block means the address must never be mailed at all.
 */
const blocksTransactional = new Set(['bounce', 'erasure', 'manual']);

/** Pure decision from a customer and the reason its address is suppressed (if it is). */
export function decideSend(
  customer: Recipient,
  kind: MessageKind,
  suppression: string | undefined,
  topic?: EmailTopic,
): SendDecision {
  if (!customer.email) return { ok: false, reason: 'no_address' };
  if (kind === 'transactional')
    return suppression && blocksTransactional.has(suppression) ? { ok: false, reason: 'suppressed' } : { ok: true };
  if (suppression === 'unsubscribe' || suppression === 'complaint') return { ok: false, reason: 'unsubscribed' };
  if (suppression) return { ok: false, reason: 'suppressed' };
  if (customer.consent?.email?.status !== 'granted') return { ok: false, reason: 'no_consent' };
  const kept = customer.traits?.emailTopics;
  if (topic && Array.isArray(kept) && !kept.includes(topic)) return { ok: false, reason: 'topic_off' };
  return { ok: true };
}

/**
 * The send-time check for marketing mail: consent granted, not unsubscribed, address not
 * suppressed, and (given the step's `templateInfo(step).topic`) the topic not switched off. Reads the customer's current document (the one passed in may be minutes old: a
 * one-click unsubscribe in between must win) and the suppression list.
 */
export async function canSendMarketing(
  database: Database,
  customer: Recipient,
  topic?: EmailTopic,
): Promise<SendDecision> {
  return canSend(database, customer, 'marketing', topic);
}

/** As `canSendMarketing`, for either kind: transactional mail skips consent and topics, never a hard bounce. */
export async function canSend(
  database: Database,
  customer: Recipient,
  kind: MessageKind,
  topic?: EmailTopic,
): Promise<SendDecision> {
  const [decision] = await canSendBatch(database, [{ customer, kind, ...(topic ? { topic } : {}) }]);
  return decision!;
}

export interface SendCheck {
  customer: Recipient;
  kind: MessageKind;
  topic?: EmailTopic;
}

/**
 * `canSend` for many messages at once, decisions in the order of `checks`: the customers'
 * current documents in one read (`{_id: v}` for one, `$in` for many) and their addresses'
 * suppressions in one more. Run it right before the batch is sent, as `canSend`.
 */
export async function canSendBatch(database: Database, checks: readonly SendCheck[]): Promise<SendDecision[]> {
  if (!checks.length) return [];
  const ids = [...new Set(checks.map((c) => c.customer._id))];
  const fresh = new Map<string, Recipient>();
  const filter: Filter<CustomerDoc> = ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } };
  for await (const doc of database.collections.customers.find(filter, {
    projection: { email: 1, consent: 1, 'traits.emailTopics': 1 },
  }))
    fresh.set(doc._id, doc);
  const current = checks.map((c) => fresh.get(c.customer._id) ?? c.customer);
  const addresses = [...new Set(current.filter((c) => c.email).map((c) => c.email!.toLowerCase()))];
  const suppressions = new Map<string, string>();
  if (addresses.length) {
    // Erased people are on the list by hash only (src/privacy/addressHash.ts): look up both forms.
    const lookups = addresses.flatMap((a) => [a, hashedAddress(a)]);
    const cursor = database.collections.suppressions.find(
      { address: { $in: lookups }, channel: 'email' },
      { projection: { address: 1, reason: 1 } },
    );
    for await (const doc of cursor) keepStrongest(suppressions, doc.address, doc.reason);
  }
  return checks.map((c, i) => {
    const recipient = current[i]!;
    if (!recipient.email) return { ok: false, reason: 'no_address' };
    return decideSend(recipient, c.kind, suppressionOf(suppressions, recipient.email), c.topic);
  });
}

/**
 * The suppression reason of an address in a map keyed by stored address, where an erased
 * person's address is keyed by its hash (and an erasure outranks any other reason).
 */
export function suppressionOf(suppressions: ReadonlyMap<string, string>, address: string): string | undefined {
  return suppressions.get(hashedAddress(address)) ?? suppressions.get(address.toLowerCase());
}

/** Keeps the reason that blocks most: a bounce outranks an unsubscribe for the same address. */
function keepStrongest(out: Map<string, string>, address: string, reason: string): void {
  const seen = out.get(address);
  if (!seen || blocksTransactional.has(reason)) out.set(address, reason);
}

/**
 * Loads the whole email suppression list once, for a batch of decisions (`decideSend` per
 * customer, its reason looked up with `suppressionOf`, which also finds erased addresses): on
 * FerretDB every filtered read scans the collection, so one scan per batch beats one per
 * recipient. Re-check with `canSend` right before each send.
 */
export async function loadSuppressions(database: Database): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const cursor = database.collections.suppressions.find(
    { channel: 'email' },
    { projection: { address: 1, reason: 1 } },
  );
  for await (const doc of cursor) {
    keepStrongest(out, doc.address, doc.reason);
  }
  return out;
}
