import { isIP } from 'node:net';
import { clientNetwork } from '../rate-limits';

/**
 * What an open keeps of the address it came from: never the address itself, only a network wide enough
 * to be shared by many people: the /24 of an IPv4 address (`203.0.113.0/24`), the /48 of an IPv6 address
 * (`2001:db8:85a3::/48`, a typical site allocation; `clientNetwork` already reduces IPv6 to its /64).
 * Truncation cannot be undone, unlike a keyed hash of the whole address, which would stay personal data
 * for as long as the key exists. Anything that is not an IP address gives `undefined` (nothing stored).
 */
export function openNetwork(ip: string | undefined): string | undefined {
  if (ip === undefined) return undefined;
  const address = ip
    .trim()
    .replace(/%.*$/, '') // an IPv6 zone id (`fe80::1%eth0`) says nothing about the network
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''); // IPv4-mapped IPv6
  const version = isIP(address);
  if (version === 4) {
    const [a, b, c] = clientNetwork(address).split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  if (version === 6) {
    // `2001:db8:85a3:8d3::/64` → the first three groups.
    const groups = clientNetwork(address)
      .replace(/::\/64$/, '')
      .split(':');
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return undefined;
}
