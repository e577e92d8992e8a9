import type { Rendered } from '../content/types.js';
import type { OutgoingMail } from './types.js';

export interface Envelope {
  to: string;
  /** Our Message document id: it becomes the RFC 5322 Message-ID and X-Breadcrumb-Message. */
  messageId: string;
  /** Domain of the Message-ID (`mailDomain()`). */
  domain: string;
  from?: string;
}

/** The Message-ID a message id always maps to, so a second send of one message is recognisable. */
export function rfcMessageId(messageId: string, domain: string): string {
  return `<${messageId}@${domain}>`;
}

/**
 * A rendered message as mail. Marketing mail carries `List-Unsubscribe` with both the https and
 * the mailto endpoint, and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so
 * mail clients can offer one-click unsubscribe (a POST to the https URL). Transactional mail has
 * no unsubscribe: it is not subscription mail. RFC 8058 also wants a DKIM signature covering both
 * headers: the production MTA or relay signs.
 */
export function composeMail(rendered: Rendered, envelope: Envelope): OutgoingMail {
  const headers: Record<string, string> = { 'X-Breadcrumb-Message': envelope.messageId };
  if (rendered.unsubscribe) {
    headers['List-Unsubscribe'] = `<${rendered.unsubscribe.url}>, <${rendered.unsubscribe.mailto}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  const mail: OutgoingMail = {
    to: envelope.to,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    headers,
    messageId: rfcMessageId(envelope.messageId, envelope.domain),
  };
  if (envelope.from) mail.from = envelope.from;
  return mail;
}
