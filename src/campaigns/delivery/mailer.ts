import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import type { DeliveryError, Mailer, MailerOptions, OutgoingMail, Result, Sent } from './types.js';

interface SmtpFailure extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/**
 * Sorts a failed send by what the caller should do. RFC 5321: every 4yz reply is transient,
 * every 5yz permanent (503, bad command sequence, is the session's fault and goes again on a new
 * connection). A 5yz at RCPT or DATA means this address will keep refusing: a hard bounce.
 * Complaints never arrive as SMTP replies (they come later, from feedback loops), so a send
 * never classifies as one; `recordDeliveryFailure` takes them from there.
 */
export function classifySmtpError(err: SmtpFailure): DeliveryError {
  const out: DeliveryError = { type: 'transient', message: err.message };
  if (err.responseCode !== undefined) out.smtpCode = err.responseCode;
  if (err.response) out.response = err.response;
  if (err.code === 'ETIMEDOUT') out.type = 'timeout';
  else if (
    err.responseCode !== undefined &&
    err.responseCode >= 500 &&
    err.responseCode < 600 &&
    err.responseCode !== 503
  )
    out.type = 'hard_bounce';
  return out;
}

/** Options from SMTP_URL (`smtp://user:pass@host:port`, `smtps://…` for TLS) or the SMTP_* variables. */
export function mailerOptionsFromConfig(c: Config): MailerOptions {
  const waitMs = Math.min(10_000, c.SMTP_TIMEOUT_MS);
  const opts: MailerOptions = {
    from: c.MAIL_FROM,
    maxConnections: c.SMTP_POOL_SIZE,
    socketTimeoutMs: c.SMTP_TIMEOUT_MS,
    connectionTimeoutMs: waitMs,
    greetingTimeoutMs: waitMs,
  };
  if (c.SMTP_RATE_PER_SECOND > 0) opts.ratePerSecond = c.SMTP_RATE_PER_SECOND;
  if (c.SMTP_URL) opts.url = c.SMTP_URL;
  else if (c.SMTP_HOST) {
    opts.host = c.SMTP_HOST;
    opts.port = c.SMTP_PORT ?? (c.SMTP_SECURE ? 465 : 587);
    opts.secure = c.SMTP_SECURE;
    if (c.SMTP_USER) opts.user = c.SMTP_USER;
    if (c.SMTP_PASS) opts.pass = c.SMTP_PASS;
  } else
    throw new Error(
      'no SMTP server configured: set SMTP_URL or SMTP_HOST (npm start runs a local sink when neither is set)',
    );
  return opts;
}

function transportOptions(opts: MailerOptions) {
  let { host, port, secure, user, pass } = opts;
  if (opts.url) {
    const u = new URL(opts.url);
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
      throw new Error(`SMTP_URL must start with smtp:// or smtps://, not ${u.protocol}//`);
    secure = u.protocol === 'smtps:';
    host = u.hostname;
    port = Number(u.port) || (secure ? 465 : 587);
    if (u.username) user = decodeURIComponent(u.username);
    if (u.password) pass = decodeURIComponent(u.password);
  }
  if (!host) throw new Error('createMailer: url or host is required');
  // nodemailer's rate limit is `rateLimit` messages per `rateDelta` ms across the pool.
  const rate = opts.ratePerSecond;
  const limit =
    rate === undefined
      ? {}
      : rate >= 1
        ? { rateLimit: Math.round(rate), rateDelta: 1000 }
        : { rateLimit: 1, rateDelta: Math.round(1000 / rate) };
  return {
    pool: true as const,
    host,
    port: port ?? 587,
    secure: secure ?? false,
    ...(user ? { auth: { user, pass: pass ?? '' } } : {}),
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: 1000,
    // The pool re-queues a message only when its connection closed before a byte of the message
    // went out (a reused connection the server had dropped): safe, and it keeps the real error
    // (the timeout, the 421) for the final attempt. Anything later fails back to the caller.
    maxRequeues: 2,
    ...limit,
    connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
    greetingTimeout: opts.greetingTimeoutMs ?? 10_000,
    socketTimeout: opts.socketTimeoutMs ?? 30_000,
    tls: { rejectUnauthorized: !opts.allowSelfSigned },
  };
}

/**
 * A pooled SMTP mailer. `send` never throws for a refused or failed delivery: it returns the
 * failure classified (transient, hard bounce, timeout) for the caller to retry or suppress.
 */
export function createMailer(opts: MailerOptions): Mailer {
  const transport = nodemailer.createTransport(transportOptions(opts));
  return {
    async send(mail: OutgoingMail): Promise<Result<Sent, DeliveryError>> {
      try {
        const info = await transport.sendMail({
          from: mail.from ?? opts.from,
          to: mail.to,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          headers: mail.headers,
          messageId: mail.messageId,
        });
        return { ok: true, value: { messageId: info.messageId, response: info.response } };
      } catch (err) {
        return { ok: false, error: classifySmtpError(err as SmtpFailure) };
      }
    },
    async close() {
      transport.close();
    },
  };
}
