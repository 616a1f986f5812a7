/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) common header.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Rest of header (echo: Identifier, Sequence Number)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Error messages quote the offending packet after these 8 octets (ICMP: destination unreachable 3, source
 * quench 4, redirect 5, time exceeded 11, parameter problem 12; ICMPv6: types 1-4). That quoted IP header is
 * decoded as the next layer (as Wireshark does); it is cut short by design, so `st.quoted` keeps it from
 * counting as truncation. `aux` = type << 8 | code.
 */
import { DecodeContext, L, LayerStack } from './layers';

export const ICMP_HEADER_LEN = 8;

/** ICMP and ICMPv6 differ only in the layer, which types are errors, and the IP version an error quotes. */
function decodeMessage(buf: Buffer, off: number, end: number, st: LayerStack, v6: boolean): L {
  if (end - off < ICMP_HEADER_LEN) return st.short();
  const type = buf[off];
  st.push(v6 ? L.ICMPV6 : L.ICMP, off, ICMP_HEADER_LEN, (type << 8) | buf[off + 1]);
  st.next = off + ICMP_HEADER_LEN;
  st.nextEnd = end;
  if (st.quoted) return L.NONE; // never decode an error quoting an error
  const error = v6 ? type >= 1 && type <= 4 : type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
  if (!error || end - st.next < 1) return L.NONE;
  st.quoted = true;
  return v6 ? L.IPV6 : L.IPV4;
}

export function decodeIcmp(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  return decodeMessage(buf, off, end, st, false);
}

export function decodeIcmpv6(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  return decodeMessage(buf, off, end, st, true);
}

export interface IcmpHeader {
  type: number;
  code: number;
  /** Identifier and sequence number: meaningful for echo request and reply only. */
  id: number;
  seq: number;
}

/** The ICMP or ICMPv6 header at `off` (the same 8-octet shape; allocates: for display). */
export function readIcmp(buf: Buffer, off: number): IcmpHeader {
  return { type: buf[off], code: buf[off + 1], id: buf.readUInt16BE(off + 4), seq: buf.readUInt16BE(off + 6) };
}
