import { config, type Config } from '../../config.js';
import { createRenderer } from '../content/renderer.js';
import type { Renderer, StepTemplateKey } from '../content/types.js';
import { outboxLedger } from '../delivery/deliveryLedger.js';
import { createMailer, mailerOptionsFromConfig } from '../delivery/mailer.js';
import type { MailerOptions } from '../delivery/types.js';
import { mailDomain, publicUrl, trackingSecret } from '../tracking/secret.js';
import type { SendDeps } from './sendMessages.js';

// MJML compiles every template once per process (about a second); every run reuses it.
const renderers = new Map<string, Promise<Renderer>>();

export function sharedRenderer(c: Config = config(), steps?: readonly StepTemplateKey[]): Promise<Renderer> {
  const key = steps?.join(',') ?? '*';
  let renderer = renderers.get(key);
  if (!renderer) {
    renderer = createRenderer({
      publicUrl: publicUrl(c),
      shopUrl: c.SHOP_URL,
      secret: trackingSecret(c),
      mailDomain: mailDomain(c.MAIL_FROM),
      ...(steps ? { steps } : {}),
    });
    renderers.set(key, renderer);
    renderer.catch(() => renderers.delete(key));
  }
  return renderer;
}

/**
 * What dispatch sends with, from the configuration: a pooled mailer (close it after the run),
 * the shared renderer, and, given the local sink's outbox, a ledger for crash recovery.
 */
export async function createDispatchDeps(
  opts: { mailer?: Partial<MailerOptions>; outbox?: string; steps?: readonly StepTemplateKey[] } = {},
): Promise<SendDeps> {
  const c = config();
  const mailerOptions =
    opts.mailer?.url || opts.mailer?.host
      ? { from: c.MAIL_FROM, maxConnections: c.SMTP_POOL_SIZE, ...opts.mailer }
      : { ...mailerOptionsFromConfig(c), ...opts.mailer };
  const deps: SendDeps = {
    mailer: createMailer(mailerOptions),
    renderer: await sharedRenderer(c, opts.steps),
    domain: mailDomain(c.MAIL_FROM),
  };
  if (opts.outbox) deps.ledger = outboxLedger(opts.outbox);
  return deps;
}
