/**
 * Integrity-only ESP: NULL encryption (RFC 2410) puts the carried packet right after the 8-octet ESP header,
 * GMAC (RFC 4543) after an 8-octet IV. Such ESP is readable without a key, so it is not evidence of encryption.
 */

/**
 * Where the carried packet of an integrity-only ESP packet starts, or -1. Without `trust` (no xfrm state saying
 * so) the bytes must look like a tunnel-mode IPv4 header whose checksum verifies (random ciphertext passes with
 * probability about 2^-24) or an IPv6 header whose payload length ends just before the ESP trailer.
 */
export function nullEspPayload(b: Buffer, off: number, end: number, trust: boolean): number {
  if (looksLikeNullEsp(b, off + 8, end)) return off + 8;
  if (looksLikeNullEsp(b, off + 16, end)) return off + 16;
  if (trust && end - off > 8) {
    const v = b[off + 8] >> 4;
    if (v === 4 || v === 6) return off + 8;
  }
  return -1;
}

/** Whether b[p, end) starts with a plausible cleartext IPv4 (checksum verifies) or IPv6 header (see above). */
export function looksLikeNullEsp(b: Buffer, p: number, end: number): boolean {
  const avail = end - p;
  if (avail < 20) return false;
  const v = b[p];
  if (v === 0x45) {
    const total = (b[p + 2] << 8) | b[p + 3];
    if (total < 20 || total > avail) return false;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[p + i] << 8) | b[p + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum === 0xffff;
  }
  if (v >> 4 === 6 && avail >= 40) {
    const plen = (b[p + 4] << 8) | b[p + 5];
    const nh = b[p + 6];
    // Trailer (pad length, next header) and ICV follow the inner packet: it must end before them.
    return (b[p] & 0x0f) === 0 && plen + 40 <= avail - 2 && plen + 40 >= avail - 2 - 255 - 32
      && (nh === 6 || nh === 17 || nh === 58 || nh === 0 || nh === 44 || nh === 60);
  }
  return false;
}
