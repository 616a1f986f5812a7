/**
 * ESP payload decryption for AES-GCM, RFC 4106 (as Cilium configures it: `rfc4106(gcm(aes))`, 128-bit ICV).
 *
 * Key material (RFC 4106 section 8.1): the 20 (28, 36) octets are the AES key followed by a 4-octet salt.
 * ESP packet with AES-GCM (RFC 4106 sections 3, 5):
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Security Parameters Index (SPI)                 |  \ AAD (8 octets), or with ESN
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  / SPI || seq-hi || seq-lo (12 octets)
 * |                      Sequence Number (low 32 bits)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Initialization Vector (8 octets)               |  nonce = salt (4) || IV (8)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Ciphertext: payload, padding, pad length, next header  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                ICV (8, 12 or 16 octets)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * node:crypto cannot reuse a GCM context across messages, so each packet costs one createDecipheriv; the key is
 * kept once per SA and the nonce/AAD buffers and option objects are reused.
 */
import * as crypto from 'node:crypto';

export const GCM_IV_LEN = 8;
export const ESP_HDR_LEN = 8;

/** One RFC 4106 key: AES key + salt + ICV length. */
export class GcmKey {
  /** The AES key alone (a raw Buffer: measured faster than a KeyObject for one-shot deciphers). */
  readonly key: Buffer;
  readonly salt: Buffer;
  readonly icvLen: number;
  readonly cipher: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';
  /** The key material as given (key || salt), for Wireshark export. */
  readonly material: Buffer;

  constructor(material: Buffer, icvBits = 128) {
    const keyLen = material.length - 4;
    if (keyLen !== 16 && keyLen !== 24 && keyLen !== 32) {
      throw new RangeError(`RFC 4106 key material must be 20, 28 or 36 bytes (AES key + 4-byte salt), got ${material.length}`);
    }
    if (icvBits !== 64 && icvBits !== 96 && icvBits !== 128) {
      throw new RangeError(`RFC 4106 ICV must be 64, 96 or 128 bits, got ${icvBits}`);
    }
    this.material = Buffer.from(material);
    this.key = Buffer.from(material.subarray(0, keyLen));
    this.salt = Buffer.from(material.subarray(keyLen));
    this.icvLen = icvBits >> 3;
    this.cipher = keyLen === 16 ? 'aes-128-gcm' : keyLen === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
  }
}

export interface GcmResult {
  /** Plaintext payload (without padding / pad length / next header): a fresh Buffer. */
  payload: Buffer;
  /** Next header from the ESP trailer (4 IPv4, 41 IPv6, 6 TCP, 17 UDP, 59 none...). */
  nextHeader: number;
}

const nonce = Buffer.alloc(12);
const aad8 = Buffer.alloc(8);
const aad12 = Buffer.alloc(12);
// createDecipheriv option objects, one per ICV length (not allocated per packet).
const TAG_OPTS: Record<number, { authTagLength: number }> = { 8: { authTagLength: 8 }, 12: { authTagLength: 12 }, 16: { authTagLength: 16 } };

/** Smallest ESP packet that can hold a GCM payload: header + IV + pad length + next header + ICV. */
export function minGcmLength(icvLen: number): number {
  return ESP_HDR_LEN + GCM_IV_LEN + 2 + icvLen;
}

/**
 * Decrypt the ESP packet buf[off, end) (off = start of the SPI). `seqHi` is the high 32 bits of the sequence
 * number when the SA uses ESN, or -1 without ESN. Returns null when the ICV does not verify (wrong key, wrong
 * seq-hi, corrupted or cut-short packet) or the trailer is inconsistent.
 */
export function decryptEspGcm(buf: Buffer, off: number, end: number, k: GcmKey, seqHi: number): GcmResult | null {
  const icv = k.icvLen;
  if (end - off < minGcmLength(icv)) return null;
  // Byte loops: Buffer.copy costs more than the copy itself for 4-12 octets.
  const salt = k.salt;
  nonce[0] = salt[0]; nonce[1] = salt[1]; nonce[2] = salt[2]; nonce[3] = salt[3];
  for (let i = 0; i < GCM_IV_LEN; i++) nonce[4 + i] = buf[off + ESP_HDR_LEN + i];
  let aad: Buffer;
  if (seqHi < 0) {
    for (let i = 0; i < 8; i++) aad8[i] = buf[off + i];
    aad = aad8;
  } else {
    for (let i = 0; i < 4; i++) aad12[i] = buf[off + i];
    aad12.writeUInt32BE(seqHi >>> 0, 4);
    for (let i = 0; i < 4; i++) aad12[8 + i] = buf[off + 4 + i];
    aad = aad12;
  }
  const d = crypto.createDecipheriv(k.cipher, k.key, nonce, TAG_OPTS[icv]);
  d.setAAD(aad);
  d.setAuthTag(buf.subarray(end - icv, end));
  const pt = d.update(buf.subarray(off + ESP_HDR_LEN + GCM_IV_LEN, end - icv));
  try {
    d.final();
  } catch {
    return null;
  }
  const n = pt.length;
  if (n < 2) return null;
  const padLen = pt[n - 2];
  if (padLen > n - 2) return null;
  return { payload: pt.subarray(0, n - 2 - padLen), nextHeader: pt[n - 1] };
}
