import { BlockList } from 'node:net';

/**
 * Flags opens that a machine made, not a reader, so open rates and send-time models ignore them.
 * The heuristic, in order:
 *
 * 1. The user agent is exactly `Mozilla/5.0`: Apple Mail Privacy Protection fetches every image
 *    through Apple's proxies with that bare string, whether or not anyone reads the mail.
 * 2. The user agent names a scanner, prefetcher or script (security gateways such as Barracuda,
 *    Mimecast, Proofpoint; link previewers; curl and friends) or is missing.
 * 3. The open comes within `FAST_OPEN_MS` of the send from a known proxy range (Apple's 17.0.0.0/8,
 *    which MPP fetches come from): nobody reads a mail seconds after it was sent, prefetchers do.
 *
 * Gmail's and Yahoo's image proxies (`GoogleImageProxy`, `YahooMailProxy`) are NOT machine opens:
 * they fetch when the reader opens the mail.
 */
export const FAST_OPEN_MS = 60_000;

const SCANNER_UA =
  /bot\b|crawler|spider|preview|prefetch|scanner|barracuda|mimecast|proofpoint|symantec|messagelabs|forcepoint|python-requests|curl\/|wget\/|go-http-client|okhttp|headless|phantomjs/i;

const proxyRanges = new BlockList();
proxyRanges.addSubnet('17.0.0.0', 8, 'ipv4');

function normaliseIp(ip: string | undefined): { ip: string; family: 'ipv4' | 'ipv6' } | undefined {
  if (!ip) return undefined;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return { ip: v4[1]!, family: 'ipv4' };
  return { ip, family: ip.includes(':') ? 'ipv6' : 'ipv4' };
}

export type MachineOpenReason = 'apple_mpp' | 'scanner' | 'fast_proxy_open';

export function machineOpenReason(req: {
  userAgent?: string;
  ip?: string;
  openedAt: Date;
  sentAt?: Date;
}): MachineOpenReason | undefined {
  const ua = (req.userAgent ?? '').trim();
  if (ua === 'Mozilla/5.0') return 'apple_mpp';
  if (!ua || SCANNER_UA.test(ua)) return 'scanner';
  const addr = normaliseIp(req.ip);
  if (
    req.sentAt &&
    addr &&
    req.openedAt.getTime() - req.sentAt.getTime() < FAST_OPEN_MS &&
    proxyRanges.check(addr.ip, addr.family)
  )
    return 'fast_proxy_open';
  return undefined;
}
