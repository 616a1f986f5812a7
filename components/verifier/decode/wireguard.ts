/**
 * WireGuard messages, from the WireGuard whitepaper (J. A. Donenfeld, "WireGuard: Next Generation Kernel Network
 * Tunnel"), section 5.4. Every field is little-endian; the first octet is the type, the next three are reserved
 * zero (the Linux driver, drivers/net/wireguard/receive.c validate_header_len, compares the whole first 32-bit
 * word, SKB_TYPE_LE32, with the type, so a non-zero reserved octet is not a message it accepts; Wireshark 4.0's
 * dissector does not check them). Cilium uses UDP 51871 between node IPs (Wireshark's default port is 51820).
 *
 * 5.4.2 Handshake initiation (type 1), 148 octets:
 *   type(1) reserved(3) | sender(4) | unencrypted_ephemeral(32) | encrypted_static(32+16)
 *   | encrypted_timestamp(12+16) | mac1(16) | mac2(16)
 * 5.4.3 Handshake response (type 2), 92 octets:
 *   type(1) reserved(3) | sender(4) | receiver(4) | unencrypted_ephemeral(32) | encrypted_nothing(0+16)
 *   | mac1(16) | mac2(16)
 * 5.4.7 Cookie reply (type 3), 64 octets:
 *   type(1) reserved(3) | receiver(4) | nonce(24) | encrypted_cookie(16+16)
 * 5.4.6 Transport data (type 4), 32 octets or more:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  type = 4     |                 reserved (zero)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  receiver index (little-endian)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                 counter (64 bits, little-endian)              +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  encrypted packet (padded to 16 octets, 0 for a keepalive) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Poly1305 tag (16 octets)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The length is checked first (against the UDP payload length). A datagram on a WireGuard port that is not one
 * of these (unknown type, reserved octets set, wrong length) is still pushed, with `aux` = WG_INVALID, so that it
 * can be reported; it is never evidence. Otherwise `aux` = the type. A frame cut short (snap length) keeps the
 * type when the first word is there: its length cannot be judged. The payload is ciphertext: nothing follows.
 */
import { DecodeContext, L, LayerStack } from './layers';

export const WG_INVALID = 0, WG_INITIATION = 1, WG_RESPONSE = 2, WG_COOKIE_REPLY = 3, WG_TRANSPORT = 4;
export const WG_INITIATION_LEN = 148, WG_RESPONSE_LEN = 92, WG_COOKIE_REPLY_LEN = 64;
/** Header (16) plus the tag (16): a keepalive, the shortest transport data message. */
export const WG_TRANSPORT_MIN_LEN = 32;
export const WG_TRANSPORT_HEADER_LEN = 16;

export function decodeWireguard(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  // The few octets an ICMP error quotes are not a message to judge.
  if (st.quoted) return L.NONE;
  const len = end - off;
  if (len < 4) {
    // The whole datagram is shorter than a type word: not a message (unless the capture cut it).
    if (st.truncated) return L.NONE;
    st.push(L.WIREGUARD, off, len, WG_INVALID);
    st.next = end;
    st.nextEnd = end;
    return L.NONE;
  }
  const type = buf[off];
  let kind = WG_INVALID;
  if (buf[off + 1] === 0 && buf[off + 2] === 0 && buf[off + 3] === 0 && type >= 1 && type <= 4) {
    // st.truncated here: the IP or UDP length points past the captured bytes, so the real length is unknown.
    const cut = st.truncated;
    if (type === WG_INITIATION) kind = len === WG_INITIATION_LEN || (cut && len < WG_INITIATION_LEN) ? type : WG_INVALID;
    else if (type === WG_RESPONSE) kind = len === WG_RESPONSE_LEN || (cut && len < WG_RESPONSE_LEN) ? type : WG_INVALID;
    else if (type === WG_COOKIE_REPLY) kind = len === WG_COOKIE_REPLY_LEN || (cut && len < WG_COOKIE_REPLY_LEN) ? type : WG_INVALID;
    else kind = len >= WG_TRANSPORT_MIN_LEN || cut ? type : WG_INVALID;
  }
  st.push(L.WIREGUARD, off, len, kind);
  st.next = end;
  st.nextEnd = end;
  return L.NONE;
}

/** Receiver index of a response, cookie reply or transport message at `off` (needs 8 or 12 octets), or -1. */
export function wgReceiverIndex(buf: Buffer, off: number, len: number, type: number): number {
  const at = type === WG_RESPONSE ? 8 : type === WG_COOKIE_REPLY || type === WG_TRANSPORT ? 4 : -1;
  if (at < 0 || len < at + 4) return -1;
  return buf.readUInt32LE(off + at);
}

/** Sender index of an initiation or response (needs 8 octets), or -1. */
export function wgSenderIndex(buf: Buffer, off: number, len: number, type: number): number {
  if ((type !== WG_INITIATION && type !== WG_RESPONSE) || len < 8) return -1;
  return buf.readUInt32LE(off + 4);
}

/** Counter of a transport message (needs 16 octets), or -1. Exact below 2^53 (a nonce WireGuard never reaches). */
export function wgCounter(buf: Buffer, off: number, len: number): number {
  if (len < WG_TRANSPORT_HEADER_LEN) return -1;
  return buf.readUInt32LE(off + 8) + buf.readUInt32LE(off + 12) * 0x100000000;
}

/** Counter of a transport message (needs 16 octets) as an exact 64-bit value, for display. */
export function wgCounterExact(buf: Buffer, off: number): bigint {
  return buf.readBigUInt64LE(off + 8);
}
