/**
 * Address helpers for the analyzer: pod address matching on raw header bytes (no strings per frame) and the
 * canonical text of an address given as text.
 */
import * as ipaddr from 'ipaddr.js';
import { parseCidr } from '../net/cidr';

/** Canonical text of an address ("10.0.0.1", "fd00::1"), or throws RangeError naming the input. */
export function normalizeAddress(a: string): string {
  if (!ipaddr.isValid(a)) throw new RangeError(`"${a}" is not an IP address`);
  const p = ipaddr.parse(a);
  if (p.kind() === 'ipv6' && (p as ipaddr.IPv6).isIPv4MappedAddress()) return (p as ipaddr.IPv6).toIPv4Address().toString();
  return p.toString();
}

/** Matches IPv4 / IPv6 addresses against CIDRs straight from packet bytes. */
export class AddressMatcher {
  private readonly v4net: Uint32Array;
  private readonly v4mask: Uint32Array;
  private readonly v6: { bytes: Uint8Array; bits: number }[] = [];
  readonly cidrs: string[];

  /** `cidrs` like "10.0.0.0/8" or plain addresses (taken as /32 or /128). Throws CidrError (a RangeError) on a bad entry. */
  constructor(cidrs: readonly string[]) {
    const nets: number[] = [];
    const masks: number[] = [];
    this.cidrs = [];
    for (const c of cidrs) {
      const { address: addr, bits } = parseCidr(c, { allowAddress: true });
      if (addr.kind() === 'ipv4') {
        const b = addr.toByteArray();
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        nets.push((((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) & mask) >>> 0);
        masks.push(mask);
      } else {
        this.v6.push({ bytes: Uint8Array.from(addr.toByteArray()), bits });
      }
      this.cidrs.push(`${addr.toString()}/${bits}`);
    }
    this.v4net = Uint32Array.from(nets);
    this.v4mask = Uint32Array.from(masks);
  }

  matchV4(a: number): boolean {
    const n = this.v4net;
    const m = this.v4mask;
    for (let i = 0; i < n.length; i++) if (((a & m[i]) >>> 0) === n[i]) return true;
    return false;
  }

  /** Match an address given as text (not for the hot path). */
  matchText(a: string): boolean {
    if (!ipaddr.isValid(a)) return false;
    const b = Buffer.from(ipaddr.parse(a).toByteArray());
    return b.length === 4 ? this.matchV4(b.readUInt32BE(0)) : this.matchV6(b, 0);
  }

  matchV6(buf: Buffer, off: number): boolean {
    for (let i = 0; i < this.v6.length; i++) {
      const { bytes, bits } = this.v6[i];
      let ok = true;
      let b = 0;
      for (; b + 8 <= bits; b += 8) {
        if (buf[off + (b >> 3)] !== bytes[b >> 3]) { ok = false; break; }
      }
      if (ok && b < bits) {
        const mask = (0xff << (8 - (bits - b))) & 0xff;
        if ((buf[off + (b >> 3)] & mask) !== (bytes[b >> 3] & mask)) ok = false;
      }
      if (ok) return true;
    }
    return false;
  }
}
