import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isDuplicateKey } from '../db/duplicateKey.js';
import type { Models } from '../db/models/index.js';
import type { Role } from '../db/models/apiKey.js';

/**
 * A key reads `bc_<prefix>_<secret>`: 8 base64url characters (48 random bits) that find the stored
 * row, then 43 (256 random bits) that prove possession. Both parts are base64url, which itself may
 * contain `_`, so the key is split by position, never on `_`.
 */
const KEY_PATTERN = /^bc_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/;

/** lastUsedAt is a hint for humans; writing it on every request would double the load of auth. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Who is calling: what the API knows about a verified key. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  /** This key's own limit; null: the server default. */
  rateLimitPerMinute: number | null;
}

export interface ApiKeySummary extends ApiKeyPrincipal {
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedApiKey extends ApiKeySummary {
  /** The only time the full key exists outside the caller's hands. */
  key: string;
}

export type VerifyResult =
  { ok: true; value: ApiKeyPrincipal } | { ok: false; error: { type: 'malformed' | 'unknown' | 'revoked' } };

export type RevokeResult = { ok: true; value: ApiKeySummary } | { ok: false; error: { type: 'not_found' } };

/** The full key is hashed, so the stored hash also binds the prefix it is filed under. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface ApiKeyRow {
  _id: { toString(): string };
  name: string;
  role: Role;
  prefix: string;
  rateLimitPerMinute?: number | null;
  createdAt: Date;
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}

function toSummary(row: ApiKeyRow): ApiKeySummary {
  return {
    id: row._id.toString(),
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    rateLimitPerMinute: row.rateLimitPerMinute ?? null,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt ?? null,
    revokedAt: row.revokedAt ?? null,
  };
}

export async function createApiKey(
  models: Models,
  input: { role: Role; name: string; rateLimitPerMinute?: number },
): Promise<CreatedApiKey> {
  // A 48-bit prefix collides about once in 16 million keys; the unique index turns that into a retry.
  for (let attempt = 1; ; attempt++) {
    const prefix = randomBytes(6).toString('base64url');
    const key = `bc_${prefix}_${randomBytes(32).toString('base64url')}`;
    try {
      const row = await models.ApiKey.create({
        name: input.name,
        role: input.role,
        rateLimitPerMinute: input.rateLimitPerMinute,
        prefix,
        hash: hashApiKey(key),
      });
      return { ...toSummary(row), key };
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 3) throw err;
    }
  }
}

export async function verifyApiKey(models: Models, key: string, now: Date = new Date()): Promise<VerifyResult> {
  const match = KEY_PATTERN.exec(key);
  if (!match) return { ok: false, error: { type: 'malformed' } };
  const row = await models.ApiKey.findOne({ prefix: match[1] }).lean();
  if (!row) return { ok: false, error: { type: 'unknown' } };
  const expected = Buffer.from(row.hash, 'hex');
  const actual = Buffer.from(hashApiKey(key), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, error: { type: 'unknown' } };
  if (row.revokedAt) return { ok: false, error: { type: 'revoked' } };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await models.ApiKey.updateOne({ _id: row._id }, { $set: { lastUsedAt: now } });
  }
  return {
    ok: true,
    value: {
      id: row._id.toString(),
      name: row.name,
      role: row.role,
      prefix: row.prefix,
      rateLimitPerMinute: row.rateLimitPerMinute ?? null,
    },
  };
}

/** Every key, revoked ones included, newest first. */
export async function listApiKeys(models: Models): Promise<ApiKeySummary[]> {
  const rows = await models.ApiKey.find({}, { hash: 0 }).sort({ createdAt: -1, _id: -1 }).lean();
  return rows.map(toSummary);
}

/** Revokes every unrevoked key of this name (the demo's key of an earlier start); returns how many. */
export async function revokeApiKeysNamed(models: Models, name: string, now: Date = new Date()): Promise<number> {
  return (await models.ApiKey.updateMany({ name, revokedAt: null }, { $set: { revokedAt: now } })).modifiedCount;
}

/** Revoking is idempotent: a key revoked before keeps its first revocation time. */
export async function revokeApiKey(models: Models, id: string, now: Date = new Date()): Promise<RevokeResult> {
  // Ids come from people (CLI arguments); one that cannot exist is simply not found.
  if (!/^[0-9a-f]{24}$/i.test(id)) return { ok: false, error: { type: 'not_found' } };
  await models.ApiKey.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: now } });
  const row = await models.ApiKey.findById(id, { hash: 0 }).lean();
  if (!row) return { ok: false, error: { type: 'not_found' } };
  return { ok: true, value: toSummary(row) };
}
