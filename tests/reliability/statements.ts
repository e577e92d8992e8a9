import type { IncomingEvent } from '../../src/ingest/eventSchemas.js';

/**
 * What customers tell us about themselves, for the lost-update scenario: per customer a few
 * identifies (traits, email and SMS consent) and unsubscribes at distinct instants, shuffled
 * across customers so that every batch touches many of them. Seeded, so a failure replays.
 */
export interface Statement {
  event: IncomingEvent;
  customerId: string;
  at: number;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'UTC'];
const tiers = ['bronze', 'silver', 'gold'];

export function customerStatements(trial: number, customers: number): Statement[] {
  const random = rng(7919 * (trial + 1));
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const out: Statement[] = [];
  const day0 = Date.UTC(2026, 5, 1);
  for (let c = 0; c < customers; c++) {
    const customerId = `t${trial}-c${c}`;
    const instants = new Set<number>();
    while (instants.size < 4 + Math.floor(random() * 5)) instants.add(day0 + Math.floor(random() * 86_400) * 1000);
    [...instants].forEach((at, n) => {
      const eventId = `${customerId}-s${n}`;
      const timestamp = new Date(at);
      if (random() < 0.3) {
        out.push({
          customerId,
          at,
          event: { eventId, type: 'email_unsubscribed', customerId, timestamp, properties: {} } as IncomingEvent,
        });
        return;
      }
      const traits: Record<string, unknown> = {
        firstName: pick(['Ana', 'Bo', 'Cy', 'Di']) + n,
        timezone: pick(zones),
        tier: pick(tiers),
      };
      if (random() < 0.6) traits.email = `${customerId}.${n}@Example.test`;
      const consent: Record<string, boolean> = {};
      if (random() < 0.6) consent.email = random() < 0.5;
      if (random() < 0.4) consent.sms = random() < 0.5;
      out.push({
        customerId,
        at,
        event: { eventId, type: 'identify', customerId, timestamp, properties: { traits, consent } } as IncomingEvent,
      });
    });
  }
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [out[k], out[j]] = [out[j]!, out[k]!];
  }
  return out;
}

/** The state a careful clerk reading every statement in time order would write down. */
export function expectedState(statements: readonly Statement[]) {
  const byCustomer = new Map<string, Statement[]>();
  for (const s of statements) byCustomer.set(s.customerId, [...(byCustomer.get(s.customerId) ?? []), s]);
  const out = new Map<
    string,
    {
      email: string | null;
      emailConsent: string;
      smsConsent: string;
      timezone: string;
      tier: unknown;
      firstName: unknown;
      unsubscribed: string[];
    }
  >();
  for (const [id, list] of byCustomer) {
    list.sort((a, b) => a.at - b.at);
    // `unsubscribed`: the addresses the customer had when they unsubscribed (those must be suppressed).
    const state = {
      email: null as string | null,
      emailConsent: 'unknown',
      smsConsent: 'unknown',
      timezone: 'UTC',
      tier: undefined as unknown,
      firstName: undefined as unknown,
      unsubscribed: [] as string[],
    };
    for (const { event } of list) {
      if (event.type === 'email_unsubscribed') {
        state.emailConsent = 'denied';
        if (state.email) state.unsubscribed.push(state.email);
        continue;
      }
      const p = event.properties as { traits: Record<string, unknown>; consent: { email?: boolean; sms?: boolean } };
      if (typeof p.traits.email === 'string') state.email = p.traits.email.toLowerCase();
      state.timezone = p.traits.timezone as string;
      state.tier = p.traits.tier;
      state.firstName = p.traits.firstName;
      if (p.consent.email !== undefined) state.emailConsent = p.consent.email ? 'granted' : 'denied';
      if (p.consent.sms !== undefined) state.smsConsent = p.consent.sms ? 'granted' : 'denied';
    }
    out.set(id, state);
  }
  return out;
}

/** Splits statements into batches of `size`, in the (shuffled) order given. */
export function batchesOf<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < list.length; k += size) out.push(list.slice(k, k + size));
  return out;
}
