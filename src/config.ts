import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Project root: every relative default (data dir, binary cache) hangs off it, not off the cwd. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const configSchema = z.object({
  MONGODB_URI: z.string().url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default(path.join(projectRoot, 'data')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Number of customer partitions (hash of the customer id); fixed for the life of a database. */
  PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  BODY_LIMIT: z.string().default('1mb'),
  /** Requests per minute per API key unless the key carries its own limit; 0 = unlimited. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  /** Ingest requests (events, Segment, Shopify webhooks, signups) processed at once per API process; the rest wait or are refused with 429 + Retry-After. 0 = no limit. */
  INGEST_MAX_CONCURRENT: z.coerce.number().int().min(0).max(1000).default(4),
  /** Every ingest request is answered within about this long (ms): it waits for a slot only while its expected wait and processing fit. */
  INGEST_RESPONSE_BUDGET_MS: z.coerce.number().int().min(100).max(60_000).default(4000),
  /** Event and Segment requests taken at once while every ingest slot is busy: validated, queued in one write, answered 202 and stored in the background. 0 = refuse instead. */
  INGEST_MAX_QUEUEING: z.coerce.number().int().min(0).max(1000).default(16),
  /** Inbox documents (queued requests, staged folds) past which a busy intake refuses with 429 instead of queueing: the fold is that far behind. */
  INGEST_QUEUE_LIMIT: z.coerce.number().int().min(1).default(50_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** `off`: `npm start` serves the API but runs no scheduled jobs (same as `--no-schedule`); `npm run worker` is where the schedule runs. */
  SCHEDULE: z.enum(['on', 'off']).default('on'),
  /** A process folding a partition renews its lease every quarter of this; one that stops (crashed) loses it after this long. */
  FOLD_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(120),
  FERRETDB_BIN: z.string().optional(),
  SHOPIFY_WEBHOOK_SECRET: z.string().min(1).optional(),
  SMTP_URL: z.string().optional(),
  /** Used when SMTP_URL is unset; with neither, `npm start` runs the local sink into DATA_DIR/outbox. */
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASS: z.string().min(1).optional(),
  /** `true`: TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  SMTP_SECURE: z.stringbool().default(false),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /** Messages per second across the pool; 0 = unlimited. */
  /** A directory of .eml files the SMTP server keeps (the local sink's outbox): dispatch recovery reads it to tell which interrupted sends arrived. */
  SMTP_OUTBOX: z.string().min(1).optional(),
  SMTP_RATE_PER_SECOND: z.coerce.number().min(0).default(0),
  /** How long (ms) an SMTP server may stay silent before a send counts as timed out; connecting and its greeting get at most 10 s of it. */
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  MAIL_FROM: z.string().min(3).default('Breadcrumb Shop <shop@breadcrumb.localhost>'),
  /** The shop's home page, linked from every mail; product links come from the catalogue. */
  SHOP_URL: z.string().url().default('https://shop.example.com'),
  SHOP_NAME: z.string().min(1).default('Breadcrumb Shop'),
  /** Absolute base URL of tracking, unsubscribe and confirmation links; default http://HOST:PORT. */
  PUBLIC_URL: z.string().url().optional(),
  /** HMAC key of tracking tokens (≥ 32 chars); unset: a random key kept in DATA_DIR/secrets/. */
  TRACKING_SECRET: z.string().min(32).optional(),
});

export type Config = z.infer<typeof configSchema>;

/** Names of settings that must never be printed or logged in clear. */
export const secretKeys = ['MONGODB_URI', 'SHOPIFY_WEBHOOK_SECRET', 'SMTP_URL', 'SMTP_PASS', 'TRACKING_SECRET'] as const;

let cached: Config | undefined;

export function config(): Config {
  if (!cached) {
    const parsed = configSchema.safeParse(process.env);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
    }
    cached = parsed.data;
  }
  return cached;
}

/** Tests and the CLI change the environment; this makes the next `config()` read it again. */
export function resetConfig(): void {
  cached = undefined;
}

/** Masks the password of a connection string so it can be logged. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

export function redactedConfig(c: Config = config()): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c };
  for (const key of secretKeys) {
    if (out[key] !== undefined) out[key] = key === 'MONGODB_URI' ? redactUri(String(out[key])) : '***';
  }
  return out;
}
