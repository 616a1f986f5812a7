/**
 * Nonce evidence: frames whose raw bytes contain the nonce (cleartext on the wire) and decrypted ESP payloads
 * that contain it (the ESP carried our traffic). Buffer.indexOf on a Buffer needle: no string per frame.
 */
import type { Report } from '../report';

/** Keep at most this many frame numbers of cleartext hits. */
const MAX_NONCE_FRAMES = 20;

export class NonceCollector {
  readonly needle: Buffer;
  hits = 0;
  decryptedHits = 0;
  private readonly frames: number[] = [];

  constructor(readonly text: string) {
    if (text.length === 0) throw new RangeError('nonce must not be empty');
    this.needle = Buffer.from(text, 'utf8');
  }

  /** Scans a frame's captured bytes; counts and returns a hit. */
  inFrame(buf: Buffer, off: number, caplen: number, frame: number): boolean {
    if (caplen < this.needle.length || buf.subarray(off, off + caplen).indexOf(this.needle) < 0) return false;
    this.hits++;
    if (this.frames.length < MAX_NONCE_FRAMES) this.frames.push(frame);
    return true;
  }

  /** Scans a decrypted ESP payload; counts and returns a hit. */
  inPlaintext(plain: Buffer): boolean {
    if (plain.indexOf(this.needle) < 0) return false;
    this.decryptedHits++;
    return true;
  }

  report(): NonNullable<Report['nonce']> {
    return { text: this.text, hits: this.hits, decryptedHits: this.decryptedHits, frames: [...this.frames] };
  }
}
