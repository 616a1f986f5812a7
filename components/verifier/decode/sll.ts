/**
 * Linux "cooked" capture header v1, LINKTYPE_LINUX_SLL (113): https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Packet type          |        ARPHRD_ type           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Link-layer address length     |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |            Link-layer address (8 octets, zero padded)         |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |        Protocol type          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Protocol type is an EtherType for the link types we meet (Ethernet, IP tunnels, loopback). `aux` = packet
 * type (0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 outgoing).
 */
import { DecodeContext, L, LayerStack, etherTypeLayer } from './layers';

export const SLL_HEADER_LEN = 16;

export function decodeSll(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < SLL_HEADER_LEN) {
    st.truncated = true;
    return L.NONE;
  }
  const pktType = (buf[off] << 8) | buf[off + 1];
  const proto = (buf[off + 14] << 8) | buf[off + 15];
  st.push(L.SLL, off, SLL_HEADER_LEN, pktType);
  st.next = off + SLL_HEADER_LEN;
  st.nextEnd = end;
  return etherTypeLayer(proto);
}

/** The SLL header at `off` (allocates: for display). */
export function readSll(buf: Buffer, off: number): { packetType: number; protocol: number } {
  return { packetType: buf.readUInt16BE(off), protocol: buf.readUInt16BE(off + 14) };
}
