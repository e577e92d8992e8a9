/** Domains whose mailboxes ignore dots in the local part and deliver `name+tag@` to `name@`. */
const GMAIL = new Set(['gmail.com', 'googlemail.com']);

/**
 * The address two customer ids must share to be one person: trimmed and lower-cased (mailbox
 * providers treat addresses case-insensitively in practice, and the profile already keeps them
 * lower-case). Only for Gmail are dots and a `+tag` dropped: Google documents both as the same
 * mailbox, whereas elsewhere `+` may be a literal character or a different mailbox, and merging
 * two people is worse than missing a duplicate. Null for anything without one `@` in the middle.
 */
export function normaliseEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1 || email.indexOf('@') !== at) return null;
  const domain = email.slice(at + 1);
  if (!GMAIL.has(domain)) return email;
  const local = email.slice(0, at).split('+')[0]!.replaceAll('.', '');
  return local ? `${local}@gmail.com` : null;
}
