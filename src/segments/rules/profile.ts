import { isSouthernTimeZone } from '../../features/time.js';
import type { Hemisphere } from '../calendar.js';
import type { EventQuery, Profile, ProfileValue } from './types.js';

/**
 * Profiles: the customer, feature and score documents of one customer joined in Node (FerretDB has
 * no `$lookup`), plus the derived `customer.hemisphere` that seasonal rules read.
 */

/** Countries wholly or mostly south of the equator, for customers whose timezone says nothing (UTC). */
const southernCountries = new Set([
  'AR',
  'AU',
  'BO',
  'BW',
  'BR',
  'CL',
  'FJ',
  'LS',
  'MG',
  'MU',
  'MW',
  'MZ',
  'NA',
  'NZ',
  'PE',
  'PY',
  'SZ',
  'UY',
  'ZA',
  'ZM',
  'ZW',
]);

/** Hemisphere from the timezone, else from the ISO country code; north when neither tells. */
export function hemisphereOf(timezone: unknown, country: unknown): Hemisphere {
  if (typeof timezone === 'string' && timezone !== 'UTC' && timezone !== '')
    return isSouthernTimeZone(timezone) ? 'south' : 'north';
  return typeof country === 'string' && southernCountries.has(country.toUpperCase()) ? 'south' : 'north';
}

export interface ProfileParts {
  customer: Record<string, unknown> & { _id: string };
  /** The `features` document (its `values` are the features), if the customer has one. */
  features?: Record<string, unknown> | null;
  scores?: Record<string, unknown> | null;
  /** Resolved facts for this customer (from resolveEventFacts), if any. */
  events?: Record<string, number | null>;
}

/**
 * A profile from stored documents. Event facts the resolver did not report are filled in: a
 * plain count is 0 (no such events), an anchored fact is null (no anchor, so the condition fails).
 */
export function buildProfile(parts: ProfileParts, queries: readonly EventQuery[] = []): Profile {
  const { customer } = parts;
  const events: Record<string, number | null> = { ...parts.events };
  for (const q of queries) events[q.id] ??= q.anchor ? null : 0;
  const { _id: _scoreId, partition: _p, drivers: _d, modelVersions: _m, ...scores } = parts.scores ?? {};
  return {
    _id: customer._id,
    customer: { ...customer, hemisphere: hemisphereOf(customer.timezone, customer.country) },
    features: (isRecord(parts.features?.values) ? parts.features.values : {}) as Record<string, ProfileValue>,
    scores: scores as Record<string, ProfileValue>,
    events,
  };
}

/** Which customers: one partition, a list of ids, or (neither) everyone. */
export interface ProfileScope {
  partition?: number;
  customerIds?: readonly string[];
}

/**
 * A filter over customer documents covering the scope: by `_id` alone when ids are given (the one
 * filter FerretDB serves from an index; the partition then only narrows what the caller keeps).
 */
export function scopeFilter(scope: ProfileScope): Record<string, unknown> {
  if (scope.customerIds) return { _id: { $in: [...scope.customerIds] } };
  return scope.partition !== undefined ? { partition: scope.partition } : {};
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
