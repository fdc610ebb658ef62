import net from 'node:net';
import { DomainError } from '../errors.js';

/** A SIPREC client registered by an account: who may send, from where, to which user part. */
export interface SipTrunk {
  id: string;
  accountId: string;
  name: string;
  /** The user part of the Request-URI the client calls, e.g. `acme` in `sip:acme@recorder.example`. */
  requestUriUser: string;
  /** Addresses and CIDR ranges allowed to send INVITEs for this trunk. */
  allowedSources: string[];
  /** Optional SIP digest credentials the client must present. */
  digest: { username: string; password: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Parses an address or CIDR range; throws DomainError('invalid') for anything else. */
export function parseSource(source: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address, prefixText, extra] = source.trim().split('/');
  const version = net.isIP(address);
  if (version === 0 || extra !== undefined) throw new DomainError('invalid', 'invalid_source', `"${source}" is not an IP address or CIDR range`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw new DomainError('invalid', 'invalid_source', `"${source}" has an invalid prefix length (0-${max})`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A matcher over a trunk's allowed sources (node's BlockList does the CIDR arithmetic, IPv4 and IPv6). */
export function sourceMatcher(sources: string[]): (address: string) => boolean {
  const list = new net.BlockList();
  for (const source of sources) {
    const { address, prefix, family } = parseSource(source);
    list.addSubnet(address, prefix, family);
  }
  return (address: string) => {
    // IPv4 peers on a dual-stack socket arrive as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
    const family = net.isIPv4(plain) ? 'ipv4' : net.isIPv6(plain) ? 'ipv6' : undefined;
    return family !== undefined && list.check(plain, family);
  };
}

/** The user-part rule: what SIP allows in a user part, minus characters that invite confusion. */
export const REQUEST_URI_USER_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._~+-]{0,63}$';
