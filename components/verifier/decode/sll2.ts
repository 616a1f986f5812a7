/**
 * Linux "cooked" capture header v2, LINKTYPE_LINUX_SLL2 (276), written by `tcpdump -i any` since libpcap 1.10:
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Protocol type          |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Interface index                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          ARPHRD_ type         |  Packet type  | Addr. length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Link-layer address (8 octets, zero padded)         |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * `aux` = interface index (a router's `-i any` capture shows each forwarded packet twice, once per interface).
 */
import { DecodeContext, L, LayerStack, etherTypeLayer } from './layers';

export const SLL2_HEADER_LEN = 20;

export function decodeSll2(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < SLL2_HEADER_LEN) {
    st.truncated = true;
    return L.NONE;
  }
  const proto = (buf[off] << 8) | buf[off + 1];
  const ifindex = buf.readInt32BE(off + 4);
  st.push(L.SLL2, off, SLL2_HEADER_LEN, ifindex);
  st.next = off + SLL2_HEADER_LEN;
  st.nextEnd = end;
  return etherTypeLayer(proto);
}

/** The SLL2 header at `off` (allocates: for display). */
export function readSll2(buf: Buffer, off: number): { protocol: number; ifindex: number; packetType: number } {
  return { protocol: buf.readUInt16BE(off), ifindex: buf.readInt32BE(off + 4), packetType: buf[off + 10] };
}
