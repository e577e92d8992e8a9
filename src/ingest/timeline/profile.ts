import type { TimelineEvent } from './compact.js';

/** Traits we keep as top-level customer fields; any other trait goes under `traits`. */
const topLevelTraits = new Set(['email', 'firstName', 'lastName', 'timezone', 'country', 'signupSource']);
const safeTraitKey = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export interface ConsentState {
  status: 'granted' | 'denied' | 'unknown';
  updatedAt?: Date;
  source?: string;
}

export interface Suppression {
  /** The address the customer had when they said it (a later new address is not suppressed by it). */
  address: string;
  reason: 'unsubscribe' | 'complaint' | 'bounce';
  at: Date;
}

/** The customer document as the timeline says it is (what `customers` stores, minus bookkeeping). */
export interface DerivedProfile {
  _id: string;
  partition: number;
  email?: string;
  firstName?: string;
  lastName?: string;
  timezone: string;
  country?: string;
  signupSource?: string;
  signedUpAt?: Date;
  consent: { email: ConsentState; sms: ConsentState };
  anonymousIds: string[];
  traits: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export function suppressionReason(e: TimelineEvent): Suppression['reason'] | undefined {
  if (e.t === 'email_unsubscribed') return 'unsubscribe';
  if (e.t === 'email_complained') return 'complaint';
  if (e.t === 'email_bounced' && e.p.bounceType !== 'soft') return 'bounce';
  return undefined;
}

function dateOf(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(+v) ? undefined : v;
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const d = new Date(v);
  return Number.isNaN(+d) ? undefined : d;
}

/**
 * A customer's profile as a pure function of what they said and when: the timeline is sorted by
 * event time, so each trait ends at its latest statement and each channel's consent at its
 * latest grant or withdrawal (an unsubscribe or complaint withdraws email consent; an older grant
 * arriving late lands before it and cannot undo it). Whatever order or batches the events came
 * in, the result equals a sequential replay — there is no last writer to lose an update to.
 */
export function deriveProfile(
  customerId: string,
  partition: number,
  events: readonly TimelineEvent[],
): { profile: DerivedProfile; suppressions: Suppression[] } {
  const profile: DerivedProfile = {
    _id: customerId,
    partition,
    timezone: 'UTC',
    consent: { email: { status: 'unknown' }, sms: { status: 'unknown' } },
    anonymousIds: [],
    traits: {},
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
  let firstReceived = Infinity;
  let lastReceived = 0;
  const top = profile as unknown as Record<string, unknown>;
  const anonymous = new Set<string>();
  const suppressions: Suppression[] = [];
  for (const e of events) {
    // By event time, not arrival: a batch resent after a crash arrives again but says the same.
    if (e.s < firstReceived) firstReceived = e.s;
    // `updatedAt`: when the profile last changed (a statement or a new anonymous id), not the last event.
    if ((e.t === 'identify' || suppressionReason(e) || (e.a && !anonymous.has(e.a))) && e.s > lastReceived)
      lastReceived = e.s;
    if (e.a) anonymous.add(e.a);
    const at = new Date(e.s);
    if (e.t === 'identify') {
      const traits = (e.p.traits ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(traits)) {
        if (v === undefined || !safeTraitKey.test(k) || k === 'signedUpAt' || k === 'createdAt') continue;
        if (k === 'email') {
          if (typeof v === 'string') profile.email = v.trim().toLowerCase();
        } else if (topLevelTraits.has(k)) top[k] = v;
        else profile.traits[k] = v;
      }
      // The signup date: the shop's own account creation date when it says, else the first identify naming a signup source.
      // (Segment's `traits.createdAt` arrives normalised as `signedUpAt`.)
      const created = dateOf(traits.signedUpAt) ?? dateOf(traits.createdAt);
      if (created && (!profile.signedUpAt || created < profile.signedUpAt)) profile.signedUpAt = created;
      else if (traits.signupSource && !profile.signedUpAt) profile.signedUpAt = at;
      const consent = e.p.consent as { email?: unknown; sms?: unknown } | undefined;
      // Where consent was given (e.g. `website_double_opt_in`) when the event says; else the ingest path.
      const source = typeof e.p.consentSource === 'string' ? e.p.consentSource : e.o;
      if (typeof consent?.email === 'boolean')
        profile.consent.email = { status: consent.email ? 'granted' : 'denied', updatedAt: at, source };
      if (typeof consent?.sms === 'boolean')
        profile.consent.sms = { status: consent.sms ? 'granted' : 'denied', updatedAt: at, source };
    }
    const reason = suppressionReason(e);
    if (reason) {
      if (profile.email) suppressions.push({ address: profile.email, reason, at });
      if (reason !== 'bounce') profile.consent.email = { status: 'denied', updatedAt: at, source: e.o };
    }
  }
  profile.anonymousIds = [...anonymous].sort();
  if (typeof profile.timezone !== 'string' || profile.timezone === '') profile.timezone = 'UTC';
  if (events.length) {
    profile.createdAt = new Date(firstReceived);
    profile.updatedAt = new Date(Math.max(lastReceived, firstReceived));
  }
  return { profile, suppressions };
}
