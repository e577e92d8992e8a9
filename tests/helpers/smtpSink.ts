import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startSmtpSink } from '../../src/campaigns/delivery/smtpSink.js';
import type { SmtpSink, SmtpSinkOptions } from '../../src/campaigns/delivery/types.js';
import { resetConfig } from '../../src/config.js';

/** What a process that sends mail needs in its environment besides SMTP_URL (no secret is written to disk). */
export const mailEnv = { TRACKING_SECRET: 'k'.repeat(40), PUBLIC_URL: 'https://mail.shop.test' };

/**
 * A real SMTP server for one test file, with its outbox in a temporary directory, and SMTP_URL
 * pointing at it so jobs that read the configuration send there. Registered before the caller's
 * own `beforeAll`, so the sink exists when it runs.
 */
export function useSmtpSink(opts: Pick<SmtpSinkOptions, 'onRecipient'> = {}): { sink: () => SmtpSink; outbox: string } {
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-outbox-'));
  let sink: SmtpSink | undefined;
  beforeAll(async () => {
    sink = await startSmtpSink({ dir: outbox, ...opts });
    Object.assign(process.env, mailEnv, { SMTP_URL: sink.url });
    resetConfig();
  });
  afterAll(async () => {
    await sink?.close();
    fs.rmSync(outbox, { recursive: true, force: true });
    delete process.env.SMTP_URL;
    resetConfig();
  });
  return {
    outbox,
    sink: () => {
      if (!sink) throw new Error('useSmtpSink(): the sink exists only inside tests and hooks');
      return sink;
    },
  };
}
