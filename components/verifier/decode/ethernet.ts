/**
 * Ethernet II frame header (IEEE 802.3, "DIX" framing).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination MAC (6 octets)                  |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+       Source MAC (6 octets)   +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     EtherType / Length        |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * EtherType <= 1500 is an 802.3 length (LLC follows): not decoded further. 802.1Q / 802.1ad tags are separate
 * layers (./vlan.ts), named through the EtherType table.
 */
import { macText } from '../net/address-text';
import { DecodeContext, L, LayerStack, etherTypeLayer } from './layers';

export const ETH_HEADER_LEN = 14;

export function decodeEthernet(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < ETH_HEADER_LEN) {
    st.truncated = true;
    return L.NONE;
  }
  const type = (buf[off + 12] << 8) | buf[off + 13];
  st.push(L.ETH, off, ETH_HEADER_LEN, type);
  st.next = off + ETH_HEADER_LEN;
  st.nextEnd = end;
  if (type <= 1500) return L.UNKNOWN;
  return etherTypeLayer(type);
}

/** The Ethernet header at `off` (allocates: for display). */
export function readEthernet(buf: Buffer, off: number): { dst: string; src: string; type: number } {
  return { dst: macText(buf, off), src: macText(buf, off + 6), type: buf.readUInt16BE(off + 12) };
}
