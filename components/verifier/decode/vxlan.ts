/**
 * VXLAN header, RFC 7348 section 5. Cilium's tunnel uses UDP 8472 (the Linux kernel default); IANA's is 4789.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * VXLAN always carries Ethernet. (Cilium writes its security identity in the VNI.) `aux` = VNI.
 */
import { DecodeContext, L, LayerStack } from './layers';

export const VXLAN_HEADER_LEN = 8;

export function decodeVxlan(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < VXLAN_HEADER_LEN) return st.short();
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  st.push(L.VXLAN, off, VXLAN_HEADER_LEN, vni);
  st.next = off + VXLAN_HEADER_LEN;
  st.nextEnd = end;
  return L.ETH;
}

/** The VXLAN header at `off` (allocates: for display). */
export function readVxlan(buf: Buffer, off: number): { flags: number; vni: number } {
  return { flags: buf.readUInt16BE(off), vni: buf.readUIntBE(off + 4, 3) };
}
