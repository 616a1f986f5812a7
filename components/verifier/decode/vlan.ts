/**
 * IEEE 802.1Q VLAN tag (TPID 0x8100) and IEEE 802.1ad service tag (TPID 0x88a8, "QinQ"; 0x9100 legacy).
 * The TPID itself is the EtherType the previous layer read; this layer is the 4 octets that follow it.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | PCP |D|        VLAN ID        |     Inner EtherType / TPID    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Tags stack to any depth: an inner TPID names another VLAN layer. `aux` = the VLAN ID.
 */
import { DecodeContext, L, LayerStack, etherTypeLayer } from './layers';

export const VLAN_TAG_LEN = 4;

export function decodeVlan(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < VLAN_TAG_LEN) {
    st.truncated = true;
    return L.NONE;
  }
  const tci = (buf[off] << 8) | buf[off + 1];
  const type = (buf[off + 2] << 8) | buf[off + 3];
  st.push(L.VLAN, off, VLAN_TAG_LEN, tci & 0x0fff);
  st.next = off + VLAN_TAG_LEN;
  st.nextEnd = end;
  if (type <= 1500) return L.UNKNOWN;
  return etherTypeLayer(type);
}

export interface VlanTag {
  /** The tag protocol identifier: the EtherType just before the tag (0x8100 802.1Q, 0x88a8 802.1ad). */
  tpid: number;
  priority: number;
  dei: number;
  id: number;
  /** The EtherType after the tag. */
  type: number;
}

/** The tag at `off` (allocates: for display). */
export function readVlan(buf: Buffer, off: number): VlanTag {
  const tci = buf.readUInt16BE(off);
  return { tpid: buf.readUInt16BE(off - 2), priority: tci >> 13, dei: (tci >> 12) & 1, id: tci & 0x0fff, type: buf.readUInt16BE(off + 2) };
}
