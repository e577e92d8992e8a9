/**
 * The delivery interface the dispatch loop builds on. Implementations: `mailer.ts`
 * (`createMailer`), `smtpSink.ts` (`startSmtpSink`), `composeMail.ts` (`composeMail`),
 * `recordFailure.ts` (`recordDeliveryFailure`).
 */

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/**
 * How a send failed, by what the caller should do:
 * - `transient` (4xx, connection refused/reset): retry later with backoff;
 * - `hard_bounce` (5xx at RCPT/DATA, e.g. 550 no such user): never mail the address again;
 * - `complaint` (a 5xx the receiver labels as spam/policy): suppress as a complaint;
 * - `timeout` (no greeting, socket idle): retry later — the mail may or may not have gone.
 */
export type DeliveryErrorType = 'transient' | 'hard_bounce' | 'complaint' | 'timeout';

export interface DeliveryError {
  type: DeliveryErrorType;
  message: string;
  /** The SMTP reply code when the server gave one. */
  smtpCode?: number;
  /** The server's reply text, for the message's `error` field. */
  response?: string;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (List-Unsubscribe, List-Unsubscribe-Post, X-Breadcrumb-Message). */
  headers: Record<string, string>;
  /**
   * RFC 5322 Message-ID, derived from our message id (`<id@domain>`), so a duplicate send
   * after a crash is recognisable at the receiver and in the outbox.
   */
  messageId: string;
  from?: string;
}

export interface Sent {
  /** The Message-ID the transport used. */
  messageId: string;
  /** The server's final reply (`250 OK: queued as …`). */
  response: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<Result<Sent, DeliveryError>>;
  close(): Promise<void>;
}

export interface MailerOptions {
  /** `smtp://user:pass@host:port` / `smtps://…`; else host/port below. */
  url?: string;
  host?: string;
  port?: number;
  secure?: boolean;
  user?: string;
  pass?: string;
  /** Default From: header. */
  from: string;
  /** Pooled connections (default 5). */
  maxConnections?: number;
  /** Messages per second across the pool (nodemailer `rateDelta` 1000 ms / `rateLimit`); unset: unlimited. */
  ratePerSecond?: number;
  /** Connection/greeting/socket timeouts in ms (defaults 10 s / 10 s / 30 s); tests shorten them. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** Accept self-signed certificates (local sinks only). */
  allowSelfSigned?: boolean;
}

/** What the local sink received: one `.eml` per message under its directory. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw RFC 5322 message. */
  raw: string;
  file: string;
  messageId?: string;
}

/**
 * How the sink answers a recipient: accept, reply with an SMTP error (e.g. 550, 421), never
 * answer (to exercise timeouts), or keep the message and then never confirm it (`hang_after_data`:
 * the client times out on a mail that did arrive, the case a retry must not send twice). Tests
 * script it; `npm start` accepts everything.
 */
export type SinkReply = 'accept' | 'hang' | 'hang_after_data' | { code: number; message: string };

export interface SmtpSinkOptions {
  /** Where `.eml` files go (`data/outbox/`). */
  dir: string;
  port?: number;
  host?: string;
  onRecipient?: (address: string) => SinkReply;
  /** Called with each stored message (e.g. `unsubscribeByMail` for mailto unsubscribes); failures are logged. */
  onMessage?: (mail: ReceivedMail) => Promise<unknown>;
}

export interface SmtpSink {
  port: number;
  host: string;
  /** `smtp://host:port` for `createMailer({ url })`. */
  url: string;
  received(): ReceivedMail[];
  close(): Promise<void>;
}
