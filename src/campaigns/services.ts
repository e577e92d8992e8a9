import path from 'node:path';
import { config } from '../config.js';
import { createRenderer } from './content/renderer.js';
import type { Renderer } from './content/types.js';
import { createMailer, mailerOptionsFromConfig } from './delivery/mailer.js';
import type { Mailer } from './delivery/types.js';
import { mailDomain, publicUrl, trackingSecret } from './tracking/secret.js';

/** What sending needs, built once per process from the configuration. */
export interface CampaignServices {
  renderer: Renderer;
  mailer: Mailer;
  secret: Buffer;
  publicUrl: string;
  /** Domain of Message-IDs and the mailto unsubscribe address. */
  domain: string;
  from: string;
}

let services: Promise<CampaignServices> | undefined;

/**
 * The process's renderer (every template compiled once, ~1.5 s) and pooled mailer, created on
 * first use from SMTP_URL / SMTP_HOST, PUBLIC_URL, TRACKING_SECRET, MAIL_FROM, SHOP_URL.
 */
export function campaignServices(): Promise<CampaignServices> {
  services ??= (async () => {
    const c = config();
    const secret = trackingSecret(c);
    const domain = mailDomain(c.MAIL_FROM);
    const base = publicUrl(c);
    const renderer = await createRenderer({
      publicUrl: base,
      shopUrl: c.SHOP_URL,
      shopName: c.SHOP_NAME,
      secret,
      mailDomain: domain,
    });
    return {
      renderer,
      mailer: createMailer(mailerOptionsFromConfig(c)),
      secret,
      publicUrl: base,
      domain,
      from: c.MAIL_FROM,
    };
  })();
  services.catch(() => (services = undefined));
  return services;
}

/** Closes the pooled connections; the next `campaignServices()` builds anew (tests change the config). */
export async function closeCampaignServices(): Promise<void> {
  const current = services;
  services = undefined;
  if (current) await (await current).mailer.close();
}

/** Where the local SMTP sink keeps `.eml` files when no SMTP server is configured. */
export function outboxDir(): string {
  return path.join(path.resolve(config().DATA_DIR), 'outbox');
}
