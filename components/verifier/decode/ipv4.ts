/**
 * IPv4 header, RFC 791 section 3.1.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * - The header length is IHL * 4 (options skipped). Total Length trims link-layer padding; a Total Length past
 *   the captured bytes marks truncation (snaplen) and decoding goes on with what is there. Total Length 0
 *   (TSO/GSO super-packets captured before segmentation) means "the rest of the frame".
 * - Fragments: the first fragment (offset 0, MF set) decodes like any packet; a later fragment (offset != 0)
 *   is pushed as IPv4 + FRAG and not decoded further (`st.fragment` is set so the caller can count it).
 * - `aux` = the protocol field.
 */
import { ipv4Text } from '../net/address-text';
import { DecodeContext, L, LayerStack, ipProtoLayer } from './layers';

export const IPV4_MIN_HEADER_LEN = 20;

export function decodeIpv4(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  const avail = end - off;
  if (avail < IPV4_MIN_HEADER_LEN) return st.short();
  const vihl = buf[off];
  const ihl = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || ihl < IPV4_MIN_HEADER_LEN) return st.bad();
  if (avail < ihl) return st.short();
  const total = (buf[off + 2] << 8) | buf[off + 3];
  let pktEnd = end;
  if (total !== 0) {
    if (total < ihl) return st.bad();
    if (total <= avail) pktEnd = off + total;
    else if (!st.quoted) st.truncated = true;
  }
  const proto = buf[off + 9];
  st.push(L.IPV4, off, ihl, proto);
  st.next = off + ihl;
  st.nextEnd = pktEnd;
  const frag = ((buf[off + 6] << 8) | buf[off + 7]) & 0x1fff;
  if (frag !== 0) {
    st.fragment = true;
    st.push(L.FRAG, off + ihl, pktEnd - off - ihl, proto);
    return L.NONE;
  }
  return ipProtoLayer(proto);
}

/** Source address of the IPv4 header at `off`, as an unsigned 32-bit number (no allocation: for flow keys). */
export function ipv4Src(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off + 12);
}

/** Destination address of the IPv4 header at `off`, as an unsigned 32-bit number. */
export function ipv4Dst(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off + 16);
}

/** Total Length of the IPv4 header at `off` (0: the rest of the frame, see above). */
export function ipv4TotalLength(buf: Buffer, off: number): number {
  return buf.readUInt16BE(off + 2);
}

export interface Ipv4Header { totalLength: number; id: number; ttl: number; protocol: number; src: string; dst: string }

/** The IPv4 header at `off` (allocates: for display). */
export function readIpv4(buf: Buffer, off: number): Ipv4Header {
  return {
    totalLength: ipv4TotalLength(buf, off), id: buf.readUInt16BE(off + 4), ttl: buf[off + 8], protocol: buf[off + 9],
    src: ipv4Text(ipv4Src(buf, off)), dst: ipv4Text(ipv4Dst(buf, off)),
  };
}
