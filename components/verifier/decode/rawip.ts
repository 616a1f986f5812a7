/**
 * Raw IP link types: LINKTYPE_RAW (101: IPv4 or IPv6, told apart by the version nibble), LINKTYPE_IPV4 (228),
 * LINKTYPE_IPV6 (229). There is no link header: this "decoder" pushes nothing and only names the IP layer.
 *
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |Version|  ...  |   first octet of the IP header (RFC 791 / RFC 8200)
 * +-+-+-+-+-+-+-+-+
 */
import { DecodeContext, L, LayerStack } from './layers';

export function decodeRawIp(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < 1) {
    st.truncated = true;
    return L.NONE;
  }
  st.next = off;
  st.nextEnd = end;
  const v = buf[off] >> 4;
  if (v === 4) return L.IPV4;
  if (v === 6) return L.IPV6;
  return st.bad();
}
