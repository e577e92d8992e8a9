import { ObjectId } from 'mongodb';
import { partitionOf } from '../../src/db/partition.js';
import { toTimelineEvent } from '../../src/ingest/timeline/compact.js';
import { deriveProfile, type DerivedProfile } from '../../src/ingest/timeline/profile.js';
import { buildCalendar, type EmailCampaign, type ShopCalendar } from './calendar.js';
import { Catalog } from './catalog.js';
import { drawCustomer } from './customers.js';
import { hashKey, Rng } from '../../src/random.js';
import { SessionBuilder } from './sessions.js';
import { EventSink, type SimEventDoc } from './simEventTypes.js';
import { planTimeline } from './timeline.js';
import { clockFor, DAY } from './timezones.js';
import { simulateTouchpoints } from './touchpoints.js';
import { buildTruth, TRUTH_HORIZON_DAYS, type TruthDoc } from './truth.js';
import { FORECAST_DAYS, ShopWeather, simulateWeatherBuying } from './weather.js';
import { simulateCartsOpenAtEnd, simulateFirstOrderJourney, simulateVisits } from './visits.js';

/** Everything shared by all customers of one shop. */
export interface ShopContext {
  seed: number;
  startMs: number;
  endMs: number;
  /** End of the simulated future used for the true outcomes. */
  horizonMs: number;
  partitionOf: (customerId: string) => number;
  catalog: Catalog;
  calendar: ShopCalendar;
  campaigns: ReadonlyMap<string, EmailCampaign>;
  /** The weather table and weather-driven outerwear buying, when the shop has weather (weather.ts). */
  weather?: ShopWeather;
}

/** The shop-wide parts (catalog, marketing calendar, time window) that every customer shares. */
export function createShopContext(opts: {
  seed: number;
  days: number;
  end: Date;
  partitions: number;
  weather?: boolean;
}): ShopContext {
  const endMs = opts.end.getTime();
  const startMs = endMs - opts.days * DAY;
  const horizonMs = endMs + TRUTH_HORIZON_DAYS * DAY;
  const calendar = buildCalendar(opts.seed, startMs, horizonMs);
  return {
    seed: opts.seed,
    startMs,
    endMs,
    horizonMs,
    partitionOf: (id) => partitionOf(id, opts.partitions),
    catalog: new Catalog(opts.seed, new Date(startMs)),
    calendar,
    campaigns: new Map(calendar.emails.map((c) => [c.id, c])),
    // From before the first day (the seasonal normal looks 15 days back) through the forecast.
    ...(opts.weather
      ? { weather: new ShopWeather(opts.seed, Math.floor(startMs / DAY) - 20, Math.floor(endMs / DAY) + FORECAST_DAYS) }
      : {}),
  };
}

export interface SimulatedCustomer {
  /** The customer document, as the fold derives it from `events`. */
  customer: DerivedProfile;
  truth: TruthDoc;
  events: SimEventDoc[];
  /** Orders placed before the end of history (the ones in `events`). */
  orders: number;
}

/**
 * One customer from start to finish. Two independent streams: one for who they are and what
 * really happens (truth), one for how their visits look, so tuning page views never moves the outcomes.
 */
export function simulateCustomer(ctx: ShopContext, index: number): SimulatedCustomer {
  const rng = new Rng(ctx.seed, 'customer', index);
  const customer = drawCustomer(rng, index, ctx.startMs, ctx.endMs);
  const t = customer.traits;
  const clock = clockFor(t.timezone);
  const sink = new EventSink(ctx.endMs);
  const device = t.devicePreference;
  sink.emit(customer.signedUpMs, 'identify', t.appUser ? 'app' : 'web', device, {
    traits: {
      email: customer.email,
      firstName: customer.firstName,
      lastName: customer.lastName,
      timezone: t.timezone,
      country: t.country,
      signupSource: t.signupSource,
      ...(ctx.weather ? { region: ctx.weather.regionOf(t.timezone) } : {}),
    },
    consent: { email: t.emailConsent, sms: t.smsConsent },
  });

  const timeline = planTimeline(rng, customer, ctx.catalog, ctx.calendar, clock, sink, ctx.horizonMs);
  const visitRng = new Rng(ctx.seed, 'visits', index);
  const sessions = new SessionBuilder(visitRng, customer, ctx.catalog, clock, sink);
  simulateVisits(visitRng, customer, timeline, sessions, clock, ctx.campaigns, ctx.endMs);
  simulateTouchpoints(visitRng, customer, timeline, ctx.calendar.sms, sessions, sink);
  simulateCartsOpenAtEnd(visitRng, customer, timeline, sessions, ctx.endMs);
  simulateFirstOrderJourney(visitRng, customer, timeline, sessions, ctx.endMs);
  if (ctx.weather) {
    t.region = ctx.weather.regionOf(t.timezone);
    t.weatherDriven = simulateWeatherBuying(ctx.seed, customer, ctx.weather, clock, sink);
  }

  // Stable sort: events of one visit that share a millisecond keep their order.
  const drafts = sink.drafts.sort((a, b) => a.ms - b.ms);
  const partition = ctx.partitionOf(customer.id);
  const idKey = hashKey(ctx.seed, index);
  const events = drafts.map((d, n): SimEventDoc => {
    const ts = new Date(Math.round(d.ms));
    const doc: SimEventDoc = {
      _id: eventObjectId(ts, idKey, n),
      eventId: `sim-${ctx.seed}-${index}-${n}`,
      type: d.type,
      customerId: customer.id,
      partition,
      ts,
      receivedAt: ts,
      source: 'sim',
      channel: d.channel,
      device: d.device,
      props: d.props,
    };
    if (d.sessionId !== undefined) doc.sessionId = d.sessionId;
    return doc;
  });
  return {
    customer: deriveProfile(
      customer.id,
      partition,
      events.map((e) => toTimelineEvent(e)),
    ).profile,
    truth: buildTruth(customer, timeline, clock, ctx.endMs),
    events,
    orders: timeline.orders.filter((o) => o.ms < ctx.endMs).length,
  };
}

/**
 * A deterministic ObjectId (seconds of the event time, then the customer's hash and the event's
 * number) so a re-run produces byte-identical documents instead of fresh random ids.
 */
function eventObjectId(ts: Date, customerKey: number, n: number): ObjectId {
  const bytes = Buffer.allocUnsafe(12);
  bytes.writeUInt32BE(Math.max(0, Math.floor(ts.getTime() / 1000)), 0);
  bytes.writeUInt32BE(customerKey, 4);
  bytes.writeUInt32BE(n, 8);
  return new ObjectId(bytes);
}
