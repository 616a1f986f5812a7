/**
 * The one parser for IP addresses and CIDRs in the project (on ipaddr.js), so the CLI, the analyzer and the lab's
 * configuration accept and refuse the same texts:
 * - an IPv4 address is four decimal parts ("10.0.0.1"); ipaddr.js alone also takes "10.1", "0x0a.0.0.1" and
 *   "012.0.0.1", which inet_aton reads as other addresses than most readers would;
 * - an IPv6 address is what ipaddr.js accepts, without a zone ("fe80::1%eth0" names an interface, not a network);
 * - a CIDR is ADDRESS/LEN with LEN in 0..32 or 0..128 and the host bits zero: "10.0.1.5/8" is refused with the
 *   network it probably meant, because a typo there silently widens or moves a range.
 */
import * as ipaddr from 'ipaddr.js';

export type IpFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  family: IpFamily;
  /** The network address (host bits zero). */
  address: ipaddr.IPv4 | ipaddr.IPv6;
  bits: number;
  /** Canonical text: "10.0.0.0/8", "fd00:10::/32". */
  text: string;
}

/** A text that is not an address or CIDR of the kind asked for; the message quotes the input and says why. */
export class CidrError extends RangeError {
  constructor(readonly input: string, readonly problem: string) {
    super(`"${input}" ${problem}`);
    this.name = 'CidrError';
  }
}

function parseAddressOrUndefined(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

/** Parses one address. An IPv4-mapped IPv6 address ("::ffff:10.0.0.1") stays IPv6; normalize with addressText. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const a = parseAddressOrUndefined(text.trim());
  if (a === undefined) throw new CidrError(text, 'is not an IPv4 or IPv6 address');
  return a;
}

/** Canonical text of an address, or undefined when it is not one ("10.0.0.1", "fd00::1"). */
export function addressText(text: string): string | undefined {
  const a = parseAddressOrUndefined(text.trim());
  return a?.toString();
}

export interface ParseCidrOptions {
  /** Accept only this family. */
  family?: IpFamily;
  /** Accept a plain address as a host route (/32 or /128). */
  allowAddress?: boolean;
}

/** Parses ADDRESS/LEN (see the module comment for what is accepted). Throws CidrError. */
export function parseCidr(input: string, opts: ParseCidrOptions = {}): Cidr {
  const text = input.trim();
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const address = parseAddressOrUndefined(addrText);
  const example = opts.family === 'ipv6' ? 'fd00::/104' : opts.family === 'ipv4' ? '10.0.0.0/8' : '10.0.0.0/8 or fd00::/104';
  if (address === undefined) {
    throw new CidrError(input, `is not a CIDR (e.g. ${example}): "${addrText}" is not an ${opts.family === 'ipv6' ? 'IPv6' : opts.family === 'ipv4' ? 'IPv4' : 'IPv4 or IPv6'} address`);
  }
  const family = address.kind();
  if (opts.family !== undefined && family !== opts.family) {
    throw new CidrError(input, `is an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ${slash < 0 ? 'address' : 'CIDR'}; expected ${opts.family === 'ipv4' ? 'IPv4' : 'IPv6'} (e.g. ${example})`);
  }
  const max = family === 'ipv4' ? 32 : 128;
  let bits = max;
  if (slash < 0) {
    if (!opts.allowAddress) throw new CidrError(input, `is not a CIDR (e.g. ${example}): the /LEN is missing`);
  } else {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
      throw new CidrError(input, `is not a CIDR: the prefix length must be 0..${max}, got "${lenText}"`);
    }
    bits = Number(lenText);
  }
  const network = family === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  if (network.toString() !== address.toString()) {
    throw new CidrError(input, `has host bits set (the network is ${network.toString()}/${bits})`);
  }
  return { family, address: network, bits, text: `${network.toString()}/${bits}` };
}

/** True when the two networks share any address (one contains the other). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.bits <= b.bits ? a : b;
  const longer = shorter === a ? b : a;
  return longer.address.match(shorter.address, shorter.bits);
}

/** True when the address lies inside the network. */
export function cidrContains(c: Cidr, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return address.kind() === c.family && address.match(c.address, c.bits);
}
