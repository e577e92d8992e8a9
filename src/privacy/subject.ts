import type { Document, Filter } from 'mongodb';
import { config } from '../config.js';
import type { Database } from '../db/database.js';
import { partitionOf } from '../db/partition.js';
import { hashedAddress } from './addressHash.js';

/**
 * Everything that identifies one person across the collections: their customer id, the anonymous
 * ids linked to them and every email address they were known by. Export and erasure both start
 * here, so what one shows is what the other removes.
 */
export interface Subject {
  customerId: string;
  partition: number;
  customer: Document | null;
  anonymousIds: string[];
  emails: string[];
  /** The addresses as they are kept after an erasure (`hashedAddress`). */
  addressHashes: string[];
  /** Whether anything at all is held about them (a second erasure finds nothing). */
  found: boolean;
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * The person's events: their own, and the anonymous ones (no customer id) sent under an anonymous
 * id linked to them. Events of other customers that carry one of those ids are not theirs.
 */
export function eventsFilter(subject: Pick<Subject, 'customerId' | 'anonymousIds'>): Filter<Document> {
  return subject.anonymousIds.length
    ? { $or: [{ customerId: subject.customerId }, { anonymousId: { $in: subject.anonymousIds }, customerId: null }] }
    : { customerId: subject.customerId };
}

/** Suppressions of the person: filed under their id, or under one of their addresses, plain or hashed. */
export function suppressionsFilter(
  subject: Pick<Subject, 'customerId' | 'emails' | 'addressHashes'>,
): Filter<Document> {
  return {
    $or: [{ customerId: subject.customerId }, { address: { $in: [...subject.emails, ...subject.addressHashes] } }],
  };
}

/**
 * Finds the person's identifiers. Anonymous ids come from the customer record, `identities` and
 * their own events; an id whose link names someone else (a shared device: the first link wins) is
 * left to that customer. Addresses come from the record, identify traits in their events,
 * suppressions filed under them and their messages. On FerretDB each of these reads scans its
 * collection (the events twice: their own, then the anonymous ones): fine for one person, which
 * is what this is for.
 */
export async function findSubject(database: Database, customerId: string): Promise<Subject> {
  const c = database.collections;
  const { customers, identities } = c;
  const customer = await customers.findOne({ _id: customerId });
  const anonymous = new Set<string>((customer?.anonymousIds as string[] | undefined) ?? []);
  const emails = new Set<string>();
  const addEmail = (v: unknown) => {
    const email = asString(v)?.toLowerCase();
    if (email) emails.add(email);
  };
  addEmail(customer?.email);
  addEmail((customer?.traits as Record<string, unknown> | undefined)?.email);
  for await (const link of identities.find({ customerId }, { projection: { _id: 1 } })) anonymous.add(String(link._id));

  let events = 0;
  const readEvents = async (filter: Filter<Document>) => {
    for await (const e of c.events.find(filter, {
      projection: { anonymousId: 1, 'props.traits.email': 1, 'props.email': 1 },
      batchSize: 5000,
    })) {
      events++;
      const id = asString(e.anonymousId);
      if (id) anonymous.add(id);
      const props = e.props as { traits?: { email?: unknown }; email?: unknown } | undefined;
      addEmail(props?.traits?.email);
      addEmail(props?.email);
    }
  };
  await readEvents({ customerId });
  const candidates = [...anonymous];
  if (candidates.length) {
    for await (const link of identities.find({ _id: { $in: candidates } }, { projection: { customerId: 1 } }))
      if (link.customerId !== customerId) anonymous.delete(String(link._id));
  }
  const anonymousIds = [...anonymous].sort();
  if (anonymousIds.length) await readEvents({ anonymousId: { $in: anonymousIds }, customerId: null });

  for await (const s of c.suppressions.find({ customerId }, { projection: { address: 1 } })) addEmail(s.address);
  let messages = 0;
  for await (const m of c.messages.find({ customerId }, { projection: { to: 1 } })) {
    messages++;
    addEmail(m.to);
  }
  const byId = { _id: customerId };
  const projection = { _id: 1 };
  const derived = await Promise.all([
    c.features.findOne(byId, { projection }),
    c.scores.findOne(byId, { projection }),
    c.customerSegments.findOne(byId, { projection }),
    c.customerRecos.findOne(byId, { projection }),
    c.simTruth.findOne(byId, { projection }),
  ]);
  const emailList = [...emails].sort();
  return {
    customerId,
    partition:
      typeof customer?.partition === 'number' ? customer.partition : partitionOf(customerId, config().PARTITIONS),
    customer,
    anonymousIds,
    emails: emailList,
    addressHashes: emailList.map(hashedAddress),
    found:
      customer !== null || anonymousIds.length > 0 || events > 0 || messages > 0 || derived.some((d) => d !== null),
  };
}
