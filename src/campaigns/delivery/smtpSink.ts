import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { log } from '../../log.js';
import type { ReceivedMail, SmtpSink, SmtpSinkOptions } from './types.js';

/** Kept in memory for `received()`; the `.eml` files are the full record. */
const MEMORY_LIMIT = 10_000;

/**
 * A real SMTP server (nodemailer's `smtp-server`) that keeps every message as an `.eml` file:
 * what tests assert on, and where `npm start` delivers when no SMTP server is configured.
 * `onRecipient` scripts refusals (550, 421) and hangs for tests of the mailer's error handling.
 */
export async function startSmtpSink(opts: SmtpSinkOptions): Promise<SmtpSink> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const received: ReceivedMail[] = [];
  const unconfirmed = new Set<string>();
  let sequence = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    banner: 'breadcrumb outbox',
    size: 25 * 1024 * 1024,
    closeTimeout: 1000,
    onRcptTo(address: SMTPServerAddress, session, callback) {
      const reply = opts.onRecipient?.(address.address) ?? 'accept';
      if (reply === 'hang') return; // never answer: the client's socket timeout has to fire
      if (reply === 'hang_after_data') unconfirmed.add(session.id);
      if (reply === 'accept' || reply === 'hang_after_data') return callback();
      callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const id = `${Date.now()}-${process.pid}-${++sequence}`;
        const file = path.join(opts.dir, `${id}.eml`);
        fs.writeFile(file, raw, (err) => {
          if (err) return callback(err);
          const head = raw.split('\r\n\r\n', 1)[0]!;
          const header = /^message-id:\s*(.+)$/im.exec(head);
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            file,
          };
          if (header) mail.messageId = header[1]!.trim();
          if (received.length >= MEMORY_LIMIT) received.shift();
          received.push(mail);
          opts
            .onMessage?.(mail)
            .catch((error: unknown) => log.error({ err: error, file }, 'smtp sink: message handler failed'));
          // Kept, but the 250 never comes: the client cannot know the mail arrived.
          if (unconfirmed.delete(session.id)) return;
          callback(null, `OK: queued as ${id}`);
        });
      });
    },
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that disconnects mid-session is routine, not a reason to crash the process.
  server.on('error', (err) => log.warn({ err }, 'smtp sink: client error'));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    host,
    url: `smtp://${host}:${port}`,
    received: () => [...received],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
