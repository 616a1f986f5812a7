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
