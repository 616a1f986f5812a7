/**
 * ESP header, RFC 4303 section 2 (IP protocol 50; in UDP 4500 per RFC 3948).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Security Parameters Index (SPI)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Sequence Number                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Payload (IV, encrypted data, padding, pad length, next header) + ICV ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Only the 8-octet header is read here; the payload is opaque until ../crypto/esp-gcm.ts decrypts it with an SA.
 * The layer's length is the whole ESP packet (header + payload + ICV) so the decryptor knows where it ends.
 * `aux` = sequence number is not stored (it needs 32 unsigned bits): read it with `espSeq`.
 */
import { DecodeContext, L, LayerStack } from './layers';

export const ESP_HEADER_LEN = 8;

export function decodeEsp(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end - off < ESP_HEADER_LEN) return st.short();
  st.push(L.ESP, off, end - off, 0);
  st.next = off + ESP_HEADER_LEN;
  st.nextEnd = end;
  return L.NONE;
}

/** SPI of the ESP header at `off` (unsigned). */
export function espSpi(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off);
}

/** Sequence number of the ESP header at `off` (unsigned). */
export function espSeq(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off + 4);
}
