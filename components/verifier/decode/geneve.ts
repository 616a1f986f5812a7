/**
 * Geneve header, RFC 8926 section 3.4 (UDP 6081).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Variable-Length Options (Opt Len * 4)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The payload is what Protocol Type says (0x6558 Ethernet, 0x0800 IPv4, 0x86dd IPv6): never assume Ethernet
 * (zeek/zeek#1764). Only version 0 is defined. `aux` = VNI.
 */
import { DecodeContext, L, LayerStack, geneveProtoLayer } from './layers';

export const GENEVE_MIN_HEADER_LEN = 8;

export function decodeGeneve(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  const avail = end - off;
  if (avail < GENEVE_MIN_HEADER_LEN) return st.short();
  if (buf[off] >> 6 !== 0) return st.bad();
  const hl = GENEVE_MIN_HEADER_LEN + ((buf[off] & 0x3f) << 2);
  if (avail < hl) return st.short();
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  st.push(L.GENEVE, off, hl, vni);
  st.next = off + hl;
  st.nextEnd = end;
  return geneveProtoLayer(proto);
}

/** The Geneve header at `off` (allocates: for display). */
export function readGeneve(buf: Buffer, off: number): { version: number; protocol: number; vni: number } {
  return { version: buf[off] >> 6, protocol: buf.readUInt16BE(off + 2), vni: buf.readUIntBE(off + 4, 3) };
}
