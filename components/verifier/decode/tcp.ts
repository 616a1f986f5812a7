/**
 * TCP header, RFC 9293 section 3.1.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (Data Offset > 5)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A non-empty payload is offered to the HTTP recogniser (./http.ts), which pushes a layer only when the payload
 * starts like an HTTP/1.x request or status line (no port table: pods serve HTTP on any port).
 * `aux` = destination port.
 */
import { DecodeContext, L, LayerStack } from './layers';

export const TCP_MIN_HEADER_LEN = 20;

export function decodeTcp(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  const avail = end - off;
  if (avail < TCP_MIN_HEADER_LEN) {
    st.truncated = st.truncated || !st.quoted;
    return L.NONE;
  }
  const hl = (buf[off + 12] >> 4) << 2;
  if (hl < TCP_MIN_HEADER_LEN) {
    st.malformed = true;
    return L.NONE;
  }
  if (avail < hl) {
    st.truncated = st.truncated || !st.quoted;
    return L.NONE;
  }
  const dport = (buf[off + 2] << 8) | buf[off + 3];
  st.push(L.TCP, off, hl, dport);
  st.next = off + hl;
  st.nextEnd = end;
  if (end - (off + hl) <= 0) return L.NONE;
  return L.HTTP;
}
