import type { StoredEvent } from './storeEvents.js';

/** Traits we keep as top-level customer fields; any other trait goes under `traits.`. */
const topLevelTraits = new Set(['email', 'firstName', 'lastName', 'timezone', 'country', 'signupSource']);
const safeTraitKey = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export interface ConsentStatement {
  granted: boolean;
  at: Date;
  source: string;
}

/** What one batch says about one customer, folded in time order. */
export interface CustomerChange {
  customerId: string;
  partition: number;
  /** Top-level fields and `traits.<name>` paths to set. */
  set: Record<string, unknown>;
  signedUpAt?: Date;
  anonymousIds: string[];
  consent: { email?: ConsentStatement; sms?: ConsentStatement };
  /** Addresses to suppress, with the reason. */
  suppress: { reason: 'unsubscribe' | 'complaint' | 'bounce'; at: Date }[];
}

export function hasProfileChange(c: CustomerChange): boolean {
  return Object.keys(c.set).length > 0 || c.anonymousIds.length > 0 || c.consent.email !== undefined || c.consent.sms !== undefined;
}

/**
 * Folds a batch's stored events into per-customer changes: identify traits (later wins),
 * consent statements (later wins; unsubscribes and complaints withdraw email consent), anonymous
 * ids to remember, and suppressions for unsubscribes, complaints and hard bounces.
 */
export function customerChanges(events: StoredEvent[]): CustomerChange[] {
  const byCustomer = new Map<string, StoredEvent[]>();
  for (const e of events) {
    if (!e.customerId) continue;
    const list = byCustomer.get(e.customerId);
    if (list) list.push(e);
    else byCustomer.set(e.customerId, [e]);
  }
  const changes: CustomerChange[] = [];
  for (const [customerId, list] of byCustomer) {
    list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
    const change: CustomerChange = { customerId, partition: list[0]!.partition!, set: {}, anonymousIds: [], consent: {}, suppress: [] };
    const anonymous = new Set<string>();
    for (const e of list) {
      if (e.anonymousId) anonymous.add(e.anonymousId);
      if (e.type === 'identify') {
        const traits = (e.props.traits ?? {}) as Record<string, unknown>;
        for (const [k, v] of Object.entries(traits)) {
          if (v === undefined || !safeTraitKey.test(k)) continue;
          change.set[topLevelTraits.has(k) ? k : `traits.${k}`] = k === 'email' ? String(v).toLowerCase() : v;
        }
        if (traits.signupSource && !change.signedUpAt) change.signedUpAt = e.ts;
        const c = e.props.consent as { email?: boolean; sms?: boolean } | undefined;
        // Where consent was given (e.g. `website_double_opt_in`) when the event says; else the ingest path.
        const source = typeof e.props.consentSource === 'string' ? e.props.consentSource : e.source;
        if (c?.email !== undefined) change.consent.email = { granted: c.email, at: e.ts, source };
        if (c?.sms !== undefined) change.consent.sms = { granted: c.sms, at: e.ts, source };
      }
      const reason = e.type === 'email_unsubscribed' ? 'unsubscribe' : e.type === 'email_complained' ? 'complaint' : e.type === 'email_bounced' && e.props.bounceType !== 'soft' ? 'bounce' : undefined;
      if (reason) {
        change.suppress.push({ reason, at: e.ts });
        if (reason !== 'bounce') change.consent.email = { granted: false, at: e.ts, source: e.source };
      }
    }
    change.anonymousIds = [...anonymous];
    changes.push(change);
  }
  return changes;
}
