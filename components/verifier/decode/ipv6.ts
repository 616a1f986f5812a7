/**
 * IPv6 header, RFC 8200 section 3, and the extension headers of section 4 walked to the upper layer.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Source Address (16 octets)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Destination Address (16 octets)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (generic shape, RFC 8200 section 4):   Fragment header (section 4.5, 8 octets):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                         +---------------+---------------+
 * |  Next Header  |  Hdr Ext Len  |  ...                    |  Next Header  |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                         +---------------+-----------+-+-+
 *   Hop-by-Hop (0), Routing (43), Destination Options (60): |  Fragment Offset          |Res|M|
 *   length (Hdr Ext Len + 1) * 8.                           +---------------+-----------+-+-+
 *   AH (51, RFC 4302): length (Payload Len + 2) * 4.        |         Identification        |
 *
 * The extension headers belong to this layer (length = 40 + extensions); `aux` = the final next header.
 * A fragment header with offset != 0 is a later fragment: IPv6 + FRAG pushed, not decoded further.
 * Payload Length 0 (jumbogram / GSO) means "the rest of the frame".
 */
import { ipv6Text } from '../net/address-text';
import { DecodeContext, L, LayerStack, ipProtoLayer } from './layers';

export const IPV6_HEADER_LEN = 40;

export function decodeIpv6(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  const avail = end - off;
  if (avail < IPV6_HEADER_LEN) return st.short();
  if (buf[off] >> 4 !== 6) return st.bad();
  const plen = (buf[off + 4] << 8) | buf[off + 5];
  let pktEnd = end;
  if (plen !== 0) {
    if (IPV6_HEADER_LEN + plen <= avail) pktEnd = off + IPV6_HEADER_LEN + plen;
    else if (!st.quoted) st.truncated = true;
  }
  let nh = buf[off + 6];
  let p = off + IPV6_HEADER_LEN;
  let laterFragment = false;
  // Walk the extension headers. Each step checks its own length first.
  for (let guard = 0; guard < 16; guard++) {
    if (nh === 0 || nh === 43 || nh === 60) {
      if (pktEnd - p < 2) return ipv6Short(st, off, nh);
      const hl = (buf[p + 1] + 1) << 3;
      if (pktEnd - p < hl) return ipv6Short(st, off, nh);
      nh = buf[p];
      p += hl;
    } else if (nh === 44) {
      if (pktEnd - p < 8) return ipv6Short(st, off, nh);
      const fo = ((buf[p + 2] << 8) | buf[p + 3]) >> 3;
      nh = buf[p];
      p += 8;
      if (fo !== 0) {
        laterFragment = true;
        break;
      }
    } else if (nh === 51) {
      if (pktEnd - p < 2) return ipv6Short(st, off, nh);
      const hl = (buf[p + 1] + 2) << 2;
      if (pktEnd - p < hl) return ipv6Short(st, off, nh);
      nh = buf[p];
      p += hl;
    } else {
      break;
    }
  }
  st.push(L.IPV6, off, p - off, nh);
  st.next = p;
  st.nextEnd = pktEnd;
  if (laterFragment) {
    st.fragment = true;
    st.push(L.FRAG, p, pktEnd - p, nh);
    return L.NONE;
  }
  if (nh === 59) return L.NONE; // No Next Header
  return ipProtoLayer(nh);
}

/** An extension header runs past the data: keep the fixed header (addresses survive), mark truncation. */
function ipv6Short(st: LayerStack, off: number, nh: number): L {
  st.push(L.IPV6, off, IPV6_HEADER_LEN, nh);
  return st.short();
}

/** Offsets of the 16-octet source and destination addresses in the fixed header. */
export const IPV6_SRC = 8;
export const IPV6_DST = 24;

/** Payload Length of the IPv6 header at `off` (0: the rest of the frame, see above). */
export function ipv6PayloadLength(buf: Buffer, off: number): number {
  return buf.readUInt16BE(off + 4);
}

export interface Ipv6Header { payloadLength: number; nextHeader: number; hopLimit: number; src: string; dst: string }

/** The fixed IPv6 header at `off` (allocates: for display). */
export function readIpv6(buf: Buffer, off: number): Ipv6Header {
  return {
    payloadLength: ipv6PayloadLength(buf, off), nextHeader: buf[off + 6], hopLimit: buf[off + 7],
    src: ipv6Text(buf, off + IPV6_SRC), dst: ipv6Text(buf, off + IPV6_DST),
  };
}
