import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { config, type Config } from '../../config.js';

const cache = new Map<string, Buffer>();

/**
 * The HMAC key of tracking, unsubscribe and confirmation tokens. Production sets TRACKING_SECRET
 * (shared by every process that signs or checks links). Without it — development, tests, the
 * embedded default — a random key is created once per data directory and kept there (0600), so
 * links in mail already sent keep working across restarts and no key ever lives in the repo.
 */
export function trackingSecret(c: Pick<Config, 'TRACKING_SECRET' | 'DATA_DIR'> = config()): Buffer {
  if (c.TRACKING_SECRET) return Buffer.from(c.TRACKING_SECRET, 'utf8');
  const file = path.join(path.resolve(c.DATA_DIR), 'secrets', 'tracking.key');
  const cached = cache.get(file);
  if (cached) return cached;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: if two processes start at once, the first writer wins and the other reads its key.
    fs.writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'utf8');
  if (key.length < 32)
    throw new Error(`${file} holds a tracking key shorter than 32 bytes; delete it to make a new one`);
  cache.set(file, key);
  return key;
}

/** Base URL of the links we put in mail: PUBLIC_URL, else where the API listens. */
export function publicUrl(c: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'> = config()): string {
  return (c.PUBLIC_URL ?? `http://${c.HOST}:${c.PORT}`).replace(/\/+$/, '');
}

/** The domain of MAIL_FROM, for Message-IDs and the mailto unsubscribe address. */
export function mailDomain(from: string = config().MAIL_FROM): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  if (!match) throw new Error(`MAIL_FROM "${from}" has no domain`);
  return match[1]!;
}
