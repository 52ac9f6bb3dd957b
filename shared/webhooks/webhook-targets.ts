import { type LookupAddress, lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may deliver. On AWS (private targets not allowed) never to a private, loopback,
 * link-local, shared (CGNAT), documentation, multicast or otherwise non-public address: a webhook URL is
 * chosen by whoever holds an admin key, and the worker runs inside our account, so an internal address
 * would turn it into a probe of our network (SSRF; the instance metadata service is link-local). The host is
 * resolved and EVERY address checked, and the connection is made to the checked addresses only (the
 * check runs inside the socket's own lookup, so a DNS answer that changes between check and connect cannot
 * slip through). Redirects are never followed (webhook-sender.ts).
 */

const refused = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  refused.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  refused.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 one embeds (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (dotted !== undefined) return dotted;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex === null) return undefined;
  const high = Number.parseInt(hex[1] ?? '0', 16);
  const low = Number.parseInt(hex[2] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Whether `address` (an IP literal) is a public unicast address a webhook may reach. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !refused.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = embeddedIpv4(address);
  if (mapped !== undefined) return isPublicAddress(mapped);
  return !refused.check(address, 'ipv6');
}

export class RefusedTargetError extends Error {
  constructor(readonly why: string) {
    super(`webhook target refused: ${why}`);
    this.name = 'RefusedTargetError';
  }
}

/** A URL's host without IPv6 brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * What can be said about a target from its URL alone (at creation, and before each attempt): the host is an
 * IP literal that is not public, or a name that is never public. Names are resolved at delivery time.
 */
export function literalTargetProblem(url: URL): string | undefined {
  const host = hostOf(url).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'the host is a loopback name';
  if (isIP(host) !== 0 && !isPublicAddress(host)) return 'the host is not a public address';
  return undefined;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that resolves every address of the host and refuses the connection unless
 * all are public. Node calls it for names only (an IP literal is checked by `literalTargetProblem`).
 */
export function publicOnlyLookup(
  hostname: string,
  options: { family?: number | string; all?: boolean },
  callback: LookupCallback,
): void {
  const family = options.family === 'IPv6' ? 6 : options.family === 'IPv4' ? 4 : Number(options.family ?? 0);
  lookup(hostname, { all: true, family: family === 4 || family === 6 ? family : 0 }, (error, addresses) => {
    if (error !== null) return callback(error, []);
    if (addresses.length === 0) return callback(new RefusedTargetError('the host has no address'), []);
    if (addresses.some((entry) => !isPublicAddress(entry.address))) {
      return callback(new RefusedTargetError('the host resolves to a non-public address'), []);
    }
    if (options.all === true) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}
