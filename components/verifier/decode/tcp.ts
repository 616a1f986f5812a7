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
  if (avail < TCP_MIN_HEADER_LEN) return st.short();
  const hl = (buf[off + 12] >> 4) << 2;
  if (hl < TCP_MIN_HEADER_LEN) return st.bad();
  if (avail < hl) return st.short();
  const dport = (buf[off + 2] << 8) | buf[off + 3];
  st.push(L.TCP, off, hl, dport);
  st.next = off + hl;
  st.nextEnd = end;
  if (end - (off + hl) <= 0) return L.NONE;
  return L.HTTP;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** The nine flag bits, FIN (0x001) up to AE (0x100, RFC 9768). */
  flags: number;
  window: number;
}

/** The TCP header at `off` (allocates: for display). */
export function readTcp(buf: Buffer, off: number): TcpHeader {
  return {
    srcPort: buf.readUInt16BE(off), dstPort: buf.readUInt16BE(off + 2), seq: buf.readUInt32BE(off + 4), ack: buf.readUInt32BE(off + 8),
    flags: ((buf[off + 12] & 0x01) << 8) | buf[off + 13], window: buf.readUInt16BE(off + 14),
  };
}
