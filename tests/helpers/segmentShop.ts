import buildFeaturesJob from '../../jobs/build-features.js';
import { seedShop } from '../../data/generator/seedShop.js';
import type { Database } from '../../src/db/database.js';
import { runJob } from '../../src/jobs/runJob.js';
import {
  buildProfile,
  compileRule,
  quantileCutoffs,
  resolveEventFacts,
  type CompiledSegment,
  type Profile,
} from '../../src/segments/rules/index.js';

/**
 * A small synthetic shop with features built, for testing segments against the simulator's
 * hidden truth. History ends on 20 December so the holiday and gifting seasons are in force and
 * the holiday period is inside the recorded history.
 */
export const shopEnd = new Date('2026-12-20T00:00:00Z');

export interface TruthRow {
  _id: string;
  traits: Record<string, unknown> & {
    abandonReason: string;
    browsingPattern: string;
    holidayBuyer: boolean;
    emailOpenProb: number;
    priceSensitivity: number;
    categoryAffinity: Record<string, number>;
  };
  outcomes: Record<string, unknown> & {
    ordersObserved: number;
    futureOrders90: number;
    futureRevenue365: number;
    churned90: boolean;
  };
}

export interface RawEvent {
  type: string;
  customerId: string;
  ts: Date;
  device?: string;
  props: Record<string, unknown>;
}

export async function seedSegmentShop(
  database: Database,
  opts: { customers: number; days: number; seed: number; weather?: boolean },
) {
  await seedShop(database, { ...opts, end: shopEnd });
  const outcome = await runJob(
    buildFeaturesJob,
    { asOf: shopEnd.toISOString(), full: true },
    { database, trigger: 'test' },
  );
  if (!outcome.ok || outcome.value.status !== 'succeeded')
    throw new Error(`build-features failed: ${JSON.stringify(outcome)}`);
  const { models } = database;
  const [truth, events] = await Promise.all([
    models.SimTruth.collection.find({}).toArray() as unknown as Promise<TruthRow[]>,
    models.Event.collection
      .find(
        { customerId: { $ne: null } },
        { projection: { _id: 0, type: 1, customerId: 1, ts: 1, device: 1, props: 1 } },
      )
      .toArray() as unknown as Promise<RawEvent[]>,
  ]);
  const eventsByCustomer = new Map<string, RawEvent[]>();
  for (const e of events.sort((a, b) => +a.ts - +b.ts)) {
    let list = eventsByCustomer.get(e.customerId);
    if (!list) eventsByCustomer.set(e.customerId, (list = []));
    list.push(e);
  }
  return { truth: new Map(truth.map((t) => [t._id, t])), eventsByCustomer };
}

/**
 * Which customers each rule selects (in memory), all rules' event queries answered in one pass
 * over the events (query ids are prefixed with the rule's key to keep them apart). `now` may
 * differ by rule, to evaluate one rule as of several days in one pass.
 */
export async function evaluateRules(
  database: Database,
  rules: Record<string, unknown>,
  now: Date | Record<string, Date> = shopEnd,
): Promise<{ members: Map<string, Set<string>>; profiles: Profile[] }> {
  const compiled = new Map<string, CompiledSegment>();
  for (const [key, rule] of Object.entries(rules)) {
    const r = compileRule(rule, { now: now instanceof Date ? now : now[key]! });
    if (!r.ok) throw new Error(`${key}: ${r.error.path.join('.')}: ${r.error.message}`);
    compiled.set(key, r.value);
  }
  const queries = [...compiled].flatMap(([key, c]) => c.eventQueries.map((q) => ({ ...q, id: `${key}/${q.id}` })));
  const facts = await resolveEventFacts(database, queries, {});
  const { Customer, Feature, Score } = database.models;
  const [customers, features, scores] = await Promise.all([
    Customer.collection.find({}).toArray(),
    Feature.collection.find({}).toArray(),
    Score.collection.find({}).toArray(),
  ]);
  const f = new Map(features.map((d) => [String(d._id), d]));
  const s = new Map(scores.map((d) => [String(d._id), d]));
  const profiles = customers.map((c) => {
    const id = String(c._id);
    return buildProfile(
      {
        customer: { ...c, _id: id },
        features: f.get(id) ?? null,
        scores: s.get(id) ?? null,
        ...(facts.has(id) ? { events: facts.get(id)! } : {}),
      },
      queries,
    );
  });
  const members = new Map<string, Set<string>>();
  for (const [key, c] of compiled) {
    const own = profiles.map((p) => ({
      ...p,
      events: Object.fromEntries(c.eventQueries.map((q) => [q.id, p.events[`${key}/${q.id}`]!])),
    }));
    const cutoffs = quantileCutoffs(c, own);
    members.set(key, new Set(own.filter((p) => c.matches(p, cutoffs)).map((p) => p._id)));
  }
  return { members, profiles };
}
