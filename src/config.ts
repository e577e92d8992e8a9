import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Project root: every relative default (data dir, binary cache) hangs off it, not off the cwd. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Magento key is checked when the settings are read, not at the first delivery. */
function isPublicKey(pem: string): boolean {
  try {
    createPublicKey(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every setting, read once from the environment. The descriptions are the documentation:
 * `npm run docs:config` writes docs/configuration.md from this schema (a test keeps it current).
 */
export const configSchema = z.object({
  MONGODB_URI: z
    .string()
    .url()
    .optional()
    .describe(
      'MongoDB connection string (database name from its path, else `breadcrumb`); unset: the embedded server (a `mongod` on `PATH`, else FerretDB in `DATA_DIR/db/`)',
    ),
  PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(3000)
    .describe('Port the API listens on (`0` picks a free port)'),
  HOST: z.string().default('127.0.0.1').describe('Address the API listens on'),
  DATA_DIR: z
    .string()
    .default(path.join(projectRoot, 'data'))
    .describe('Embedded database files (`DATA_DIR/db/`), the local outbox, generated secrets'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino level; logs are JSON lines with request ids'),
  PARTITIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(16)
    .describe('Customer partitions (hash of the customer id); fixed for the life of a database'),
  BODY_LIMIT: z.string().default('1mb').describe('Largest request body (after decompression)'),
  API_RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .default(6000)
    .describe(
      "Requests per minute per API key (bursts up to a sixth of it; `0` = unlimited); a key's own `--rate-limit` wins; over it: 429 with `Retry-After`",
    ),
  INGEST_MAX_CONCURRENT: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(4)
    .describe(
      'Ingest requests (events, Segment, Shopify webhooks, signups) processed at once per API process; the rest wait or are refused with 429 + `Retry-After`; `0` = no limit ([ingestion](ingestion.md))',
    ),
  INGEST_RESPONSE_BUDGET_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(4000)
    .describe(
      'Every ingest request is answered within about this long: it waits for a slot only while its expected wait and processing fit',
    ),
  INGEST_MAX_QUEUEING: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(64)
    .describe(
      'Event and Segment requests taken at once while every ingest slot is busy: validated, queued in one write, answered 202 and stored in the background; `0` = refuse instead ([ingestion](ingestion.md))',
    ),
  INGEST_QUEUE_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .default(50_000)
    .describe(
      'Inbox documents (queued requests, staged folds) past which a busy intake refuses with 429 instead of queueing: the fold is that far behind',
    ),
  SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe('How long a stop waits for running requests and jobs'),
  SCHEDULE: z
    .enum(['on', 'off'])
    .default('on')
    .describe(
      '`off`: `npm start` serves the API but runs no scheduled jobs (same as `--no-schedule`); `npm run worker` is where the schedule runs',
    ),
  FOLD_LEASE_SECONDS: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(120)
    .describe(
      'A process folding a partition renews its lease every quarter of this; one that stops (crashed) loses it after this long',
    ),
  MERGE_UNDO_DAYS: z.coerce
    .number()
    .min(0)
    .max(3650)
    .default(30)
    .describe(
      'How long an admin can undo a duplicate-customer merge ([customer merge](customer-merge.md)); after that it is final',
    ),
  FERRETDB_BIN: z
    .string()
    .optional()
    .describe(
      'A FerretDB v1.24.2 binary to use; unset: found in `.cache/` or built (a stock binary is slow by `_id`: [embedded database](embedded-database.md))',
    ),
  SHOPIFY_WEBHOOK_SECRET: z
    .string()
    .min(1)
    .optional()
    .describe("The Shopify app's shared secret that signs webhooks; unset: webhooks are refused"),
  WOOCOMMERCE_WEBHOOK_SECRET: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The secret entered in each WooCommerce webhook (WooCommerce › Settings › Advanced › Webhooks); unset: deliveries are refused ([connectors](connectors.md))',
    ),
  MAGENTO_WEBHOOK_PUBLIC_KEY: z
    .string()
    .min(1)
    // Env files hold one line: a PEM with `\n` escapes is read as the multi-line key it stands for.
    .transform((v) => v.replaceAll('\\n', '\n'))
    .refine(isPublicKey, 'not a PEM public key')
    .optional()
    .describe(
      'The PEM public key of the Adobe Commerce webhook signature (Stores › Configuration › Adobe Services › Webhooks), `\\n` for line breaks; unset: deliveries are refused ([connectors](connectors.md))',
    ),
  WEBHOOK_MAX_AGE_HOURS: z.coerce
    .number()
    .min(0.1)
    .max(24 * 30)
    .default(24)
    .describe(
      'A signed WooCommerce or Magento delivery whose resource last changed longer ago than this is refused as a replay ([connectors](connectors.md))',
    ),
  SMTP_URL: z
    .string()
    .optional()
    .describe(
      '`smtp://user:pass@host:port` (`smtps://` for TLS from the first byte); with neither it nor `SMTP_HOST`, `npm start` runs a local SMTP sink keeping `.eml` files in `DATA_DIR/outbox/`',
    ),
  SMTP_HOST: z.string().min(1).optional().describe('The SMTP server by parts, used when `SMTP_URL` is unset'),
  SMTP_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('SMTP port; unset: 587, or 465 with `SMTP_SECURE`'),
  SMTP_USER: z.string().min(1).optional().describe('SMTP user name'),
  SMTP_PASS: z.string().min(1).optional().describe('SMTP password'),
  SMTP_SECURE: z
    .stringbool()
    .default(false)
    .describe('`true`: TLS from the first byte (port 465); otherwise STARTTLS when the server offers it'),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5).describe('Pooled SMTP connections'),
  SMTP_OUTBOX: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A directory of `.eml` files the SMTP server keeps (`npm start` sets it for its local sink): dispatch recovery reads it to tell which interrupted sends arrived (exactly once instead of at most once)',
    ),
  SMTP_RATE_PER_SECOND: z.coerce
    .number()
    .min(0)
    .default(0)
    .describe('Messages per second across the pool; `0` = unlimited'),
  SMTP_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe(
      'How long an SMTP server may stay silent before a send counts as timed out; connecting and its greeting get at most 10 s of it',
    ),
  MAIL_FROM: z
    .string()
    .min(3)
    .default('Breadcrumb Shop <shop@breadcrumb.localhost>')
    .describe('From: of every mail; its domain names Message-IDs and the mailto unsubscribe address'),
  SHOP_URL: z
    .string()
    .url()
    .default('https://shop.example.com')
    .describe("The shop's home page, linked from every mail; product links come from the catalogue"),
  SHOP_NAME: z.string().min(1).default('Breadcrumb Shop').describe("The shop's name in mail"),
  PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .describe('Absolute base URL of tracking, unsubscribe and confirmation links; unset: `http://HOST:PORT`'),
  TRACKING_SECRET: z
    .string()
    .min(32)
    .optional()
    .describe(
      'HMAC key (≥ 32 characters) of the links in mail; unset: a random key kept in `DATA_DIR/secrets/`. Set the same value on every process in production',
    ),
});

export type Config = z.infer<typeof configSchema>;

/** Names of settings that must never be printed or logged in clear. */
export const secretKeys = [
  'MONGODB_URI',
  'SHOPIFY_WEBHOOK_SECRET',
  'WOOCOMMERCE_WEBHOOK_SECRET',
  'SMTP_URL',
  'SMTP_PASS',
  'TRACKING_SECRET',
] as const;

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
