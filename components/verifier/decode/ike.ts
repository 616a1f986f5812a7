/**
 * IKE on the ESP-in-UDP port (RFC 3948 section 2.2): the 4-octet non-ESP marker (all zero) precedes the IKE
 * header (RFC 7296 section 3.1). Recognised so it is not mistaken for ESP; not decoded further.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Non-ESP Marker (0)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      IKE header ...                           |
 *
 * The NAT-keepalive (RFC 3948 section 2.3, a single 0xff octet) is pushed the same way with its own type.
 */
import { DecodeContext, L, LayerStack } from './layers';

export function decodeIke(_buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  st.push(L.IKE, off, end - off, 0);
  return L.NONE;
}

export function decodeNatKeepalive(_buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  st.push(L.NATKEEPALIVE, off, end - off, 0);
  return L.NONE;
}
