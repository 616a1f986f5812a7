/**
 * ARP, RFC 826 (EtherType 0x0806). Recognised (a fixed 8-octet header plus addresses) and not decoded further.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Hardware type         |         Protocol type         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HW addr len  | Proto addr len|           Operation           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ipv4Text, macText } from '../net/address-text';
import { DecodeContext, L, LayerStack } from './layers';

export function decodeArp(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < 8) {
    st.truncated = true;
    return L.NONE;
  }
  const hl = 8 + 2 * (buf[off + 4] + buf[off + 5]);
  if (end - off < hl) st.truncated = true;
  st.push(L.ARP, off, Math.min(hl, end - off), (buf[off + 6] << 8) | buf[off + 7]);
  return L.NONE;
}

export interface ArpHeader {
  op: number;
  /** Ethernet/IPv4 ARP (hardware size 6, protocol size 4, all 28 octets there): the addresses people read. */
  ethIpv4?: { senderMac: string; senderIp: string; targetMac: string; targetIp: string };
}

/** The ARP message at buf[off, end) (allocates: for display). */
export function readArp(buf: Buffer, off: number, end: number): ArpHeader {
  const h: ArpHeader = { op: buf.readUInt16BE(off + 6) };
  if (buf[off + 4] === 6 && buf[off + 5] === 4 && end - off >= 28) {
    h.ethIpv4 = { senderMac: macText(buf, off + 8), senderIp: ipv4Text(buf.readUInt32BE(off + 14)),
      targetMac: macText(buf, off + 18), targetIp: ipv4Text(buf.readUInt32BE(off + 24)) };
  }
  return h;
}
