/**
 * UDP header, RFC 768.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The next layer comes from the port table (destination port first, then source): VXLAN (8472, 4789 by default,
 * configurable), Geneve (6081), WireGuard (51871, configurable), ESP-in-UDP (4500, RFC 3948). On the ESP-in-UDP
 * port a payload starting with the 4-octet non-ESP marker (zero) is IKE, a single 0xff octet is a NAT-keepalive;
 * anything else is ESP.
 * `aux` = destination port.
 */
import { DecodeContext, L, LayerStack } from './layers';

export const UDP_HEADER_LEN = 8;

export function decodeUdp(buf: Buffer, off: number, end: number, st: LayerStack, ctx: DecodeContext): L {
  const avail = end - off;
  if (avail < UDP_HEADER_LEN) return st.short();
  const sport = (buf[off] << 8) | buf[off + 1];
  const dport = (buf[off + 2] << 8) | buf[off + 3];
  const ulen = (buf[off + 4] << 8) | buf[off + 5];
  let pktEnd = end;
  if (ulen >= UDP_HEADER_LEN && ulen <= avail) pktEnd = off + ulen;
  // ulen > avail: the IP layer already reported truncation (or this is a first fragment).
  st.push(L.UDP, off, UDP_HEADER_LEN, dport);
  const p = off + UDP_HEADER_LEN;
  st.next = p;
  st.nextEnd = pktEnd;
  let next: L = ctx.ports.byPort[dport];
  if (next === L.NONE) next = ctx.ports.byPort[sport];
  if (next === L.NONE) return L.UNKNOWN;
  if (next === L.ESP) {
    const n = pktEnd - p;
    if (n === 1 && buf[p] === 0xff) return L.NATKEEPALIVE;
    if (n >= 4 && buf[p] === 0 && buf[p + 1] === 0 && buf[p + 2] === 0 && buf[p + 3] === 0) return L.IKE;
    if (n < 8) return L.UNKNOWN;
  }
  return next;
}

/** The UDP header at `off` (allocates: for display). */
export function readUdp(buf: Buffer, off: number): { srcPort: number; dstPort: number; length: number } {
  return { srcPort: buf.readUInt16BE(off), dstPort: buf.readUInt16BE(off + 2), length: buf.readUInt16BE(off + 4) };
}
