/**
 * Security associations the analyzer can decrypt with: from `--key SPI:HEX40` (any source, any destination)
 * and from parsed `ip xfrm state` text (exact src/dst; Cilium's inbound states have src 0.0.0.0 = any).
 * Lookup happens once per ESP flow (src, dst, SPI), never per packet.
 */
import { GcmKey } from './esp-gcm';
import { XfrmState, isWildcardAddress } from './xfrm';

export interface SaSpec {
  /** Outer source / destination, or '*' for any. */
  src: string;
  dst: string;
  spi: number;
  /** The decryption key (undefined: the algorithm is not one we decrypt, see `unsupported`). */
  key?: GcmKey;
  /** Extended sequence numbers: the AAD carries the high 32 bits. */
  esn: boolean;
  /** Starting guess for the high 32 bits (from the ESN context), 0 otherwise. */
  seqHi: number;
  /** Integrity only (NULL encryption, GMAC): the payload is readable without a key. */
  nullEncryption: boolean;
  /** Why we cannot decrypt: an algorithm we do not decrypt (e.g. "cbc(aes)"), or NO_USABLE_KEY_REDACTED. */
  unsupported?: string;
  /** Where it came from: "--key 3" or "xfrm line 12". */
  origin: string;
}

export interface KeySpec { spi: number; key: Buffer; icvBits?: number }

const RFC4106 = /^rfc4106\(gcm\(aes\)\)$/;

/** `unsupported` of an SA whose key the xfrm text had redacted: known SA, no usable key. */
export const NO_USABLE_KEY_REDACTED = 'no usable key (redacted in the xfrm text)';

export function saFromXfrm(s: XfrmState): SaSpec | undefined {
  if (s.proto !== 'esp') return undefined;
  const base = {
    src: isWildcardAddress(s.src) ? '*' : s.src,
    dst: isWildcardAddress(s.dst) ? '*' : s.dst,
    spi: s.spi >>> 0,
    esn: s.esn,
    seqHi: Math.max(s.seqHi ?? 0, s.oseqHi ?? 0),
    nullEncryption: s.nullEncryption,
    origin: `xfrm line ${s.line}`,
  };
  if (s.aead && RFC4106.test(s.aead.name) && s.aead.key.length > 0) {
    return { ...base, key: new GcmKey(s.aead.key, s.aead.bits ?? 128) };
  }
  // Redacted: the AES-GCM key, or a whole key line (cilium-bugtool's "[redacted]"), so no algorithm to blame.
  if (s.redacted && !s.nullEncryption && (s.aead ? RFC4106.test(s.aead.name) : !s.enc)) {
    return { ...base, unsupported: NO_USABLE_KEY_REDACTED };
  }
  const algo = s.aead?.name ?? s.enc?.name ?? 'none';
  return { ...base, unsupported: s.nullEncryption ? undefined : algo };
}

export class SaTable {
  readonly specs: SaSpec[] = [];
  private readonly byKey = new Map<string, SaSpec[]>();

  constructor(keys: readonly KeySpec[] = [], xfrm: readonly XfrmState[] = []) {
    for (const s of xfrm) {
      const sa = saFromXfrm(s);
      if (sa) this.add(sa);
    }
    for (const k of keys) {
      this.add({ src: '*', dst: '*', spi: k.spi >>> 0, key: new GcmKey(k.key, k.icvBits ?? 128), esn: false, seqHi: 0,
        nullEncryption: false, origin: `--key ${k.spi}` });
    }
  }

  private add(sa: SaSpec): void {
    const k = `${sa.src}|${sa.dst}|${sa.spi}`;
    const list = this.byKey.get(k);
    if (list) {
      // Same SA listed twice (xfrm text from both nodes): keep one per distinct key material.
      if (list.some((o) => sameKey(o, sa))) return;
      list.push(sa);
    } else {
      this.byKey.set(k, [sa]);
    }
    this.specs.push(sa);
  }

  get size(): number {
    return this.specs.length;
  }

  /** Candidate SAs for an ESP flow, most specific first. */
  lookup(src: string, dst: string, spi: number): SaSpec[] {
    const out: SaSpec[] = [];
    for (const k of [`${src}|${dst}|${spi}`, `*|${dst}|${spi}`, `${src}|*|${spi}`, `*|*|${spi}`]) {
      const l = this.byKey.get(k);
      if (l) out.push(...l);
    }
    return out;
  }
}

function sameKey(a: SaSpec, b: SaSpec): boolean {
  if (!a.key || !b.key) return a.key === b.key && a.unsupported === b.unsupported;
  return a.key.material.equals(b.key.material) && a.key.icvLen === b.key.icvLen && a.esn === b.esn;
}
