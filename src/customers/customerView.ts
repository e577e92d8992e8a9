import type { Document } from 'mongodb';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { notApplicable, type Cohort } from '../ml/scoring/cohort.js';
import { survivorOf } from '../ingest/identity.js';
import { mergesOf, mergeViewSchema } from './merge/mergeView.js';
import { recentEvents } from './recentEvents.js';

const timestamp = z.iso.datetime();
const stay = z.object({
  segmentId: z.string(),
  name: z.string().nullable(),
  enteredAt: timestamp,
  exitedAt: timestamp.nullable(),
});

/** `GET /v1/customers/:id`: the API's `CustomerView` schema and the type `loadCustomerView` returns. */
export const customerViewSchema = z
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
    consent: z.record(
      z.string(),
      z.object({ status: z.string(), updatedAt: timestamp.nullable(), source: z.string().nullable() }),
    ),
    lifecycle: z
      .object({
        stage: z.string(),
        since: timestamp,
        cause: z.string(),
        history: z.array(z.object({ from: z.string().nullable(), to: z.string(), at: timestamp, cause: z.string() })),
      })
      .nullable(),
    features: z.object({ asOf: timestamp, values: z.record(z.string(), z.unknown()) }).nullable(),
    scores: z
      .object({
        cohort: z.enum(['buyer', 'prospect']).nullable().meta({
          description:
            'buyer: ordered before the as-of date (churn risk, next order); prospect: did not (first-purchase propensity); null: scored before cohorts',
        }),
        values: z.record(z.string(), z.unknown()),
        notApplicable: z
          .record(z.string(), z.string())
          .meta({ description: 'Scores absent for this cohort, by field, with the reason (see docs/api-scores.md)' }),
        drivers: z.record(z.string(), z.unknown()),
        modelVersions: z.record(z.string(), z.unknown()),
        scoredAt: timestamp.nullable(),
      })
      .nullable()
      .meta({
        description:
          'Latest scores, what drove each, which apply to the customer, and the model versions that produced them',
      }),
    segments: z.object({ current: z.array(stay), past: z.array(stay) }),
    merges: z.array(mergeViewSchema).meta({
      description: 'Merges naming this customer (other ids merged into it, undone ones too), newest first',
    }),
    recentEvents: z.array(
      z.object({
        eventId: z.string(),
        type: z.string(),
        ts: timestamp,
        channel: z.string().nullable(),
        properties: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: 'CustomerView' });
export type CustomerView = z.infer<typeof customerViewSchema>;

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Everything known about one customer, for `GET /v1/customers/:id`. The documents are fetched by
 * `_id` (no scan on FerretDB); recent events are found by `customerId`, an index on MongoDB but a
 * scan of the events on FerretDB, shared by the profile reads that arrive together (recentEvents.ts).
 * An id merged into another answers with the survivor; `merges` lists the merges naming it.
 */
export async function loadCustomerView(
  database: Database,
  requestedId: string,
  eventCount: number,
): Promise<CustomerView | null> {
  const { customerSegments, customers, segments } = database.collections;
  // An id merged into another shows the person it became (the view's customerId says which).
  const customerId = await survivorOf(database, requestedId);
  const [customer, features, scores, state, merges] = await Promise.all([
    customers.findOne({ _id: customerId }, { projection: { anonymousIds: 0 } }),
    database.collections.features.findOne({ _id: customerId }),
    database.collections.scores.findOne({ _id: customerId }),
    customerSegments.findOne({ _id: customerId }),
    mergesOf(database, customerId),
  ]);
  if (!customer) return null;
  const events = eventCount > 0 ? await recentEvents(database, customerId, eventCount) : [];
  const segmentIds = [...new Set([...(state?.current ?? []), ...(state?.past ?? [])].map((s) => s.segmentId))];
  const names = new Map(
    (segmentIds.length
      ? await segments.find({ _id: { $in: segmentIds } }, { projection: { name: 1 } }).toArray()
      : []
    ).map((s) => [String(s._id), String(s.name)]),
  );
  const stay = (s: { segmentId: string; enteredAt: Date; exitedAt?: Date }) => ({
    segmentId: s.segmentId,
    name: names.get(s.segmentId) ?? null,
    enteredAt: s.enteredAt.toISOString(),
    exitedAt: iso(s.exitedAt),
  });
  const consent: Record<string, { status: string; updatedAt: string | null; source: string | null }> = {};
  for (const [channel, c] of Object.entries((customer.consent ?? {}) as Record<string, Document>))
    consent[channel] = { status: text(c?.status) ?? 'unknown', updatedAt: iso(c?.updatedAt), source: text(c?.source) };
  const {
    _id: _s,
    partition: _p,
    cohort,
    drivers,
    modelVersions,
    scoredAt,
    ...scoreValues
  } = (scores ?? {}) as Document;
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
    features: features
      ? { asOf: (features.asOf as Date).toISOString(), values: (features.values ?? {}) as Record<string, unknown> }
      : null,
    scores: scores
      ? {
          cohort: cohort === 'buyer' || cohort === 'prospect' ? (cohort as Cohort) : null,
          values: Object.fromEntries(
            Object.entries(scoreValues).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
          ),
          notApplicable: cohort === 'buyer' || cohort === 'prospect' ? notApplicable[cohort as Cohort] : {},
          drivers: (drivers ?? {}) as Record<string, unknown>,
          modelVersions: (modelVersions ?? {}) as Record<string, unknown>,
          scoredAt: iso(scoredAt),
        }
      : null,
    segments: { current: (state?.current ?? []).map(stay), past: (state?.past ?? []).map(stay) },
    merges,
    recentEvents: events.map((e) => ({
      eventId: String(e.eventId),
      type: String(e.type),
      ts: (e.ts as Date).toISOString(),
      channel: text(e.channel),
      properties: (e.props ?? {}) as Record<string, unknown>,
    })),
  };
}
