import type { Document } from 'mongodb';
import type { Database } from '../../db/database.js';
import { notApplicable, type Cohort } from '../../ml/scoring/cohort.js';
import { recentEvents } from './recentEvents.js';
import type { CustomerSegmentsDoc } from './state.js';

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Everything known about one customer, for `GET /v1/customers/:id`. The documents are fetched by
 * `_id` (no scan on FerretDB); recent events are found by `customerId`, an index on MongoDB but a
 * scan of the events on FerretDB, shared by the profile reads that arrive together (recentEvents.ts).
 */
export async function loadCustomerView(database: Database, customerId: string, eventCount: number) {
  const { Customer, Feature, Score, CustomerSegments, Segment } = database.models;
  const [customer, features, scores, state] = await Promise.all([
    Customer.collection.findOne({ _id: customerId as never }, { projection: { anonymousIds: 0 } }),
    Feature.collection.findOne({ _id: customerId as never }),
    Score.collection.findOne({ _id: customerId as never }),
    CustomerSegments.collection.findOne({ _id: customerId as never }) as Promise<CustomerSegmentsDoc | null>,
  ]);
  if (!customer) return null;
  const events = eventCount > 0 ? await recentEvents(database, customerId, eventCount) : [];
  const segmentIds = [...new Set([...(state?.current ?? []), ...(state?.past ?? [])].map((s) => s.segmentId))];
  const names = new Map((segmentIds.length ? await Segment.collection.find({ _id: { $in: segmentIds as never[] } }, { projection: { name: 1 } }).toArray() : []).map((s) => [String(s._id), String(s.name)]));
  const stay = (s: { segmentId: string; enteredAt: Date; exitedAt?: Date }) => ({ segmentId: s.segmentId, name: names.get(s.segmentId) ?? null, enteredAt: s.enteredAt.toISOString(), exitedAt: iso(s.exitedAt) });
  const consent: Record<string, { status: string; updatedAt: string | null; source: string | null }> = {};
  for (const [channel, c] of Object.entries((customer.consent ?? {}) as Record<string, Document>)) consent[channel] = { status: text(c?.status) ?? 'unknown', updatedAt: iso(c?.updatedAt), source: text(c?.source) };
  const { _id: _s, partition: _p, cohort, drivers, modelVersions, scoredAt, ...scoreValues } = (scores ?? {}) as Document;
  const lifecycle = state?.lifecycle ?? null;
  return {
    customerId,
    profile: {
      email: text(customer.email),
      firstName: text(customer.firstName),
      lastName: text(customer.lastName),
      country: text(customer.country),
      timezone: text(customer.timezone),
      signupSource: text(customer.signupSource),
      signedUpAt: iso(customer.signedUpAt),
      traits: (customer.traits ?? {}) as Record<string, unknown>,
    },
    consent,
    lifecycle: lifecycle && {
      stage: lifecycle.stage,
      since: lifecycle.since.toISOString(),
      cause: lifecycle.cause,
      history: lifecycle.history.map((t) => ({ from: t.from, to: t.to, at: t.at.toISOString(), cause: t.cause })),
    },
    features: features ? { asOf: (features.asOf as Date).toISOString(), values: (features.values ?? {}) as Record<string, unknown> } : null,
    scores: scores
      ? {
          cohort: cohort === 'buyer' || cohort === 'prospect' ? (cohort as Cohort) : null,
          values: Object.fromEntries(Object.entries(scoreValues).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
          notApplicable: cohort === 'buyer' || cohort === 'prospect' ? notApplicable[cohort as Cohort] : {},
          drivers: (drivers ?? {}) as Record<string, unknown>,
          modelVersions: (modelVersions ?? {}) as Record<string, unknown>,
          scoredAt: iso(scoredAt),
        }
      : null,
    segments: { current: (state?.current ?? []).map(stay), past: (state?.past ?? []).map(stay) },
    recentEvents: events.map((e) => ({ eventId: String(e.eventId), type: String(e.type), ts: (e.ts as Date).toISOString(), channel: text(e.channel), properties: (e.props ?? {}) as Record<string, unknown> })),
  };
}
