import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import { projectRoot } from '../config.js';
import type { Database } from '../db/database.js';
import type { ModelStatus, ModelVersionDoc } from '../db/models/modelVersion.js';
import { log } from '../log.js';
import { backendName, initBackend } from './backend.js';
import { fileHandler, modelDir, readMeta, WEIGHTS_BIN, writeMeta } from './fileIO.js';
import type { NaiveVerdict } from './naiveGate.js';

/**
 * The model registry: files under `models/<name>/<version>/` (model.json, weights.bin, meta.json)
 * and one `model_versions` document per version. At most one version of a name is `active`
 * (what scoring uses); `retired` ones were active before (rollback goes back to the latest of
 * them); `rejected` ones were rolled back; `candidate`s were never promoted.
 */

export interface ModelVersionRecord {
  name: string;
  version: string;
  status: ModelStatus;
  asOf: Date | null;
  horizonDays: number | null;
  featureSchema: string[];
  metrics: Record<string, unknown>;
  backend: string | null;
  codeVersion: string | null;
  /** Relative to the project root when inside it, else absolute. */
  path: string;
  promotedAt: Date | null;
  notes: string | null;
  createdAt: Date | null;
  /** SHA-256 of weights.bin as registered (null: a meta-only model, or registered before checksums). */
  weightsSha256: string | null;
}

/** Which metric decides promotion, per model name; a model not listed passes its own. */
export interface SelectionRule {
  metric: string;
  higherIsBetter: boolean;
}
export const selectionRules: Record<string, SelectionRule> = {
  churn: { metric: 'auc', higherIsBetter: true },
  ltv: { metric: 'gini', higherIsBetter: true },
  'send-time': { metric: 'hit1h', higherIsBetter: true },
};

export const DEFAULT_TOLERANCE = 0.01;

export interface RegisterInput {
  name: string;
  /** Absent for a model that is all meta.json (a send-time model without its network). */
  model?: tf.LayersModel;
  /** Written as meta.json next to the weights. */
  meta: object;
  asOf: Date;
  horizonDays: number;
  featureSchema: string[];
  /** Scalar summary kept in the registry document (the full detail stays in meta.json). */
  metrics: Record<string, unknown>;
  selection?: SelectionRule;
}

export interface RegistryOptions {
  /** Directory holding `<name>/<version>/` (default: models/ in the project). */
  root?: string;
  /** How much worse than the active model's metric a new model may be and still be promoted. */
  tolerance?: number;
  now?: Date;
  /** The version against its naive baselines on its validation rows (naiveGate): a loss refuses promotion. */
  naive?: NaiveVerdict;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
}

export type RegistryError = {
  type: 'not_found' | 'no_active' | 'no_previous' | 'invalid_meta' | 'corrupt';
  message: string;
};
export type RegistryResult<T> = { ok: true; value: T } | { ok: false; error: RegistryError };

/**
 * The promotion rule: the first model is always promoted; a later one when its metric is not
 * worse than the active model's by more than `tolerance`. A candidate without the metric is not
 * promoted over an active model; an active model without it is replaced.
 */
export function promotionDecision(
  candidate: unknown,
  active: { metric: unknown } | null,
  rule: SelectionRule,
  tolerance = DEFAULT_TOLERANCE,
): PromotionDecision {
  if (!active) return { promote: true, reason: 'first model: no active version' };
  const finite = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const c = finite(candidate);
  const a = finite(active.metric);
  if (c === undefined) return { promote: false, reason: `candidate has no ${rule.metric}` };
  if (a === undefined) return { promote: true, reason: `active version has no ${rule.metric}` };
  const worseBy = rule.higherIsBetter ? a - c : c - a;
  const fmt = (x: number) => x.toFixed(4);
  if (worseBy > tolerance)
    return {
      promote: false,
      reason: `${rule.metric} ${fmt(c)} is worse than the active ${fmt(a)} by ${fmt(worseBy)} (> tolerance ${tolerance})`,
    };
  return {
    promote: true,
    reason: `${rule.metric} ${fmt(c)} vs active ${fmt(a)}: within tolerance ${tolerance} or better`,
  };
}

/** A loss to a naive baseline refuses even a first version: a model worse than "days since last order" should not score anyone. */
function withNaiveVerdict(decision: PromotionDecision, naive: NaiveVerdict | undefined): PromotionDecision {
  if (!naive) return decision;
  if (!naive.pass) return { promote: false, reason: naive.reason };
  return { promote: decision.promote, reason: `${decision.reason}; ${naive.reason}` };
}

/** `2026-11-27T0350-ab12`: sorts by time, unique enough for one name, and a valid directory name. */
export function newVersion(now = new Date()): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}-${randomBytes(2).toString('hex')}`;
}

let cachedCodeVersion: string | undefined;

/** package.json version plus the git commit when the code runs from a checkout: `0.1.0+404e536`. */
export function codeVersion(): string {
  if (cachedCodeVersion === undefined) {
    let sha = '';
    try {
      sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      })
        .toString()
        .trim();
    } catch (err) {
      log.debug({ err }, 'no git commit for the code version');
    }
    cachedCodeVersion = sha ? `${pkg.version}+${sha}` : pkg.version;
  }
  return cachedCodeVersion;
}

const defaultRoot = () => path.join(projectRoot, 'models');

function storedPath(dir: string): string {
  const relative = path.relative(projectRoot, dir);
  return relative.startsWith('..') || path.isAbsolute(relative) ? dir : relative;
}

/** The directory of a registered version. */
export function versionDir(record: Pick<ModelVersionRecord, 'path'>): string {
  return path.resolve(projectRoot, record.path);
}

/**
 * Saves the model's files, records the version as a candidate, then promotes it if the
 * promotion rule says so. The files are complete before the document exists, so a version in
 * the registry can always be loaded.
 */
export async function registerModel(
  database: Database,
  input: RegisterInput,
  opts: RegistryOptions = {},
): Promise<{ record: ModelVersionRecord; decision: PromotionDecision }> {
  const rule = input.selection ?? selectionRules[input.name];
  if (!rule) throw new Error(`registerModel: no selection rule for model "${input.name}"; pass input.selection`);
  const now = opts.now ?? new Date();
  const version = newVersion(now);
  const dir = modelDir(input.name, version, opts.root ?? defaultRoot());
  await initBackend();
  if (input.model) await input.model.save(fileHandler(dir));
  await writeMeta(dir, input.meta);
  const weightsSha256 = input.model ? await weightsChecksum(dir) : null;

  const active = await activeModel(database, input.name);
  const decision = withNaiveVerdict(
    promotionDecision(
      input.metrics[rule.metric],
      active && { metric: active.metrics[rule.metric] },
      rule,
      opts.tolerance ?? DEFAULT_TOLERANCE,
    ),
    opts.naive,
  );
  await database.collections.modelVersions.insertOne({
    name: input.name,
    version,
    status: 'candidate',
    asOf: input.asOf,
    horizonDays: input.horizonDays,
    featureSchema: input.featureSchema,
    metrics: { ...input.metrics, ...opts.naive?.metrics },
    backend: backendName(),
    codeVersion: codeVersion(),
    path: storedPath(dir),
    weightsSha256,
    promotedAt: null,
    notes: decision.reason,
    createdAt: now,
    updatedAt: now,
  });
  if (decision.promote) await promote(database, input.name, version, now);
  const record = await getModelVersion(database, input.name, version);
  if (!record.ok) throw new Error(`registered ${input.name} ${version} but cannot read it back`);
  return { record: record.value, decision };
}

/** Makes a version the active one; the previously active version becomes `retired`. */
export async function promote(
  database: Database,
  name: string,
  version: string,
  now = new Date(),
): Promise<RegistryResult<ModelVersionRecord>> {
  const collection = database.collections.modelVersions;
  const found = await getModelVersion(database, name, version);
  if (!found.ok) return found;
  if (found.value.status !== 'active') {
    // Activate first, retire after: there is never a moment without an active version.
    await collection.updateOne({ name, version }, { $set: { status: 'active', promotedAt: now, updatedAt: now } });
  }
  await collection.updateMany(
    { name, status: 'active', version: { $ne: version } },
    { $set: { status: 'retired', updatedAt: now } },
  );
  return getModelVersion(database, name, version);
}

/**
 * Reactivates the version that was active before the current one (the most recently promoted
 * `retired` version); the current one becomes `rejected`, so a second rollback goes further back.
 */
export async function rollback(
  database: Database,
  name: string,
  now = new Date(),
): Promise<RegistryResult<{ from: ModelVersionRecord; to: ModelVersionRecord }>> {
  const collection = database.collections.modelVersions;
  const current = await activeModel(database, name);
  if (!current)
    return { ok: false, error: { type: 'no_active', message: `model "${name}" has no active version to roll back` } };
  const previous = (await collection.find({ name, status: 'retired' }).sort({ promotedAt: -1 }).limit(1).toArray())[0];
  if (!previous)
    return {
      ok: false,
      error: { type: 'no_previous', message: `model "${name}" has no earlier active version to roll back to` },
    };
  await collection.updateOne(
    { name, version: previous.version },
    { $set: { status: 'active', promotedAt: now, updatedAt: now } },
  );
  await collection.updateOne(
    { name, version: current.version },
    { $set: { status: 'rejected', notes: `rolled back to ${previous.version}`, updatedAt: now } },
  );
  const [from, to] = await Promise.all([
    getModelVersion(database, name, current.version),
    getModelVersion(database, name, previous.version),
  ]);
  if (!from.ok) return from;
  if (!to.ok) return to;
  return { ok: true, value: { from: from.value, to: to.value } };
}

export async function activeModel(database: Database, name: string): Promise<ModelVersionRecord | null> {
  const docs = await database.collections.modelVersions
    .find({ name, status: 'active' })
    .sort({ promotedAt: -1 })
    .limit(1)
    .toArray();
  return docs[0] ? toRecord(docs[0]) : null;
}

/** One version; `active` names the active one. */
export async function getModelVersion(
  database: Database,
  name: string,
  version: string,
): Promise<RegistryResult<ModelVersionRecord>> {
  if (version === 'active') {
    const active = await activeModel(database, name);
    return active
      ? { ok: true, value: active }
      : { ok: false, error: { type: 'no_active', message: `model "${name}" has no active version` } };
  }
  const doc = await database.collections.modelVersions.findOne({ name, version });
  return doc
    ? { ok: true, value: toRecord(doc) }
    : { ok: false, error: { type: 'not_found', message: `no version "${version}" of model "${name}"` } };
}

/** Every version, newest first, optionally of one name. */
export async function listModels(database: Database, filter: { name?: string } = {}): Promise<ModelVersionRecord[]> {
  const docs = await database.collections.modelVersions
    .find(filter.name ? { name: filter.name } : {})
    .sort({ name: 1, createdAt: -1 })
    .toArray();
  return docs.map(toRecord);
}

/** Loads a version (default: the active one) with its meta.json, checked against `schema` when given. */
export async function loadModel<M = unknown>(
  database: Database,
  name: string,
  version = 'active',
  schema?: z.ZodType<M>,
): Promise<RegistryResult<{ model: tf.LayersModel; meta: M; record: ModelVersionRecord }>> {
  const found = await getModelVersion(database, name, version);
  if (!found.ok) return found;
  const loaded = await loadNetworkVersion(found.value, schema);
  return loaded.ok ? { ok: true, value: { ...loaded.value, record: found.value } } : loaded;
}

/** A version that must have a network (churn, LTV): its files, or why they are refused. */
export async function loadNetworkVersion<M = unknown>(
  record: ModelVersionRecord,
  schema?: z.ZodType<M>,
): Promise<RegistryResult<{ model: tf.LayersModel; meta: M }>> {
  const loaded = await loadVersionFiles(record, schema);
  if (!loaded.ok) return loaded;
  if (!loaded.value.model)
    return {
      ok: false,
      error: { type: 'corrupt', message: `${record.name} ${record.version} has no network weights` },
    };
  return { ok: true, value: { model: loaded.value.model, meta: loaded.value.meta } };
}

/**
 * A registered version's files: meta.json (checked against `schema`) and, when the version has
 * weights, the network. Files that are missing, do not match the checksum taken at registration,
 * or do not load are refused as data (`corrupt`), never half-used.
 */
export async function loadVersionFiles<M = unknown>(
  record: ModelVersionRecord,
  schema?: z.ZodType<M>,
): Promise<RegistryResult<{ model?: tf.LayersModel; meta: M }>> {
  const dir = versionDir(record);
  const meta = await readModelMeta(record, schema);
  if (!meta.ok) return meta;
  const hasWeights = record.weightsSha256 !== null || (await exists(path.join(dir, WEIGHTS_BIN)));
  if (!hasWeights) return { ok: true, value: { meta: meta.value } };
  const label = `${record.name} ${record.version}`;
  if (record.weightsSha256 !== null) {
    const actual = await weightsChecksum(dir);
    if (actual === null)
      return { ok: false, error: { type: 'corrupt', message: `${label}: ${WEIGHTS_BIN} is missing` } };
    if (actual !== record.weightsSha256)
      return {
        ok: false,
        error: {
          type: 'corrupt',
          message: `${label}: ${WEIGHTS_BIN} does not match the checksum taken at registration`,
        },
      };
  }
  await initBackend();
  try {
    return { ok: true, value: { model: await tf.loadLayersModel(fileHandler(dir)), meta: meta.value } };
  } catch (err) {
    return {
      ok: false,
      error: { type: 'corrupt', message: `${label}: the model files do not load (${(err as Error).message})` },
    };
  }
}

/**
 * What scoring uses: the active version, or, when its files are refused, the most recently
 * promoted earlier version whose files load. `refused` says which versions were skipped and why.
 */
export async function loadActiveOrPrevious<T>(
  database: Database,
  name: string,
  load: (record: ModelVersionRecord) => Promise<RegistryResult<T>>,
): Promise<RegistryResult<{ value: T; record: ModelVersionRecord; refused: { version: string; reason: string }[] }>> {
  const active = await activeModel(database, name);
  if (!active) return { ok: false, error: { type: 'no_active', message: `model "${name}" has no active version` } };
  const previous = await database.collections.modelVersions
    .find({ name, status: 'retired' })
    .sort({ promotedAt: -1 })
    .toArray();
  const refused: { version: string; reason: string }[] = [];
  for (const record of [active, ...previous.map(toRecord)]) {
    const loaded = await load(record);
    if (loaded.ok) return { ok: true, value: { value: loaded.value, record, refused } };
    refused.push({ version: record.version, reason: loaded.error.message });
  }
  return {
    ok: false,
    error: { type: 'corrupt', message: `no version of "${name}" loads: ${refused.map((r) => r.reason).join('; ')}` },
  };
}

async function weightsChecksum(dir: string): Promise<string | null> {
  try {
    return createHash('sha256')
      .update(await fs.readFile(path.join(dir, WEIGHTS_BIN)))
      .digest('hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Reads a version's meta.json without loading the weights (for reports and the API). */
export async function readModelMeta<M = unknown>(
  record: ModelVersionRecord,
  schema?: z.ZodType<M>,
): Promise<RegistryResult<M>> {
  const meta = await readMeta(versionDir(record), schema);
  if (!meta.ok)
    return {
      ok: false,
      error: { type: meta.error.type === 'not_found' ? 'not_found' : 'invalid_meta', message: meta.error.message },
    };
  return meta;
}

function toRecord(doc: ModelVersionDoc): ModelVersionRecord {
  return {
    name: doc.name,
    version: doc.version,
    status: doc.status,
    asOf: doc.asOf ?? null,
    horizonDays: doc.horizonDays ?? null,
    featureSchema: doc.featureSchema ?? [],
    metrics: doc.metrics ?? {},
    backend: doc.backend ?? null,
    codeVersion: doc.codeVersion ?? null,
    path: doc.path,
    promotedAt: doc.promotedAt ?? null,
    notes: doc.notes ?? null,
    createdAt: doc.createdAt ?? null,
    weightsSha256: doc.weightsSha256 ?? null,
  };
}
