/**
 * What the decoders met, per frame: layer types seen outside and inside decrypted ESP (counted once per frame,
 * stamped by frame number so nothing is cleared per frame), truncated, malformed and unsupported frames, and later
 * IP fragments.
 */
import { LAYER_NAMES, LAYER_TYPE_COUNT, LayerStack } from '../decode/layers';
import type { Report } from '../report';

export class DecodeStats {
  truncatedFrames = 0;
  malformedFrames = 0;
  fragments = 0;
  unsupportedFrames = 0;
  private readonly unsupportedLinkTypes = new Set<number>();
  private readonly outer = new Float64Array(LAYER_TYPE_COUNT);
  private readonly inner = new Float64Array(LAYER_TYPE_COUNT);
  private readonly seenOuter = new Float64Array(LAYER_TYPE_COUNT);
  private readonly seenInner = new Float64Array(LAYER_TYPE_COUNT);

  unsupported(linkType: number): void {
    this.unsupportedFrames++;
    if (this.unsupportedLinkTypes.size < 16) this.unsupportedLinkTypes.add(linkType);
  }

  /** A layer of type t in frame number `stamp` (inner: inside decrypted ESP). */
  layer(t: number, inner: boolean, stamp: number): void {
    if (!inner) {
      if (this.seenOuter[t] !== stamp) { this.seenOuter[t] = stamp; this.outer[t]++; }
    } else if (this.seenInner[t] !== stamp) {
      this.seenInner[t] = stamp;
      this.inner[t]++;
    }
  }

  frameDone(st: LayerStack): void {
    if (st.truncated) this.truncatedFrames++;
    if (st.malformed) this.malformedFrames++;
  }

  protocols(): Record<string, number> {
    return counts(this.outer);
  }

  innerProtocols(): Record<string, number> {
    return counts(this.inner);
  }

  decode(): Report['decode'] {
    return { truncatedFrames: this.truncatedFrames, malformedFrames: this.malformedFrames, fragments: this.fragments,
      unsupportedLinkTypeFrames: this.unsupportedFrames };
  }

  warnings(): string[] {
    const w: string[] = [];
    if (this.unsupportedFrames > 0) {
      w.push(`${this.unsupportedFrames} frame(s) of unsupported link type ${[...this.unsupportedLinkTypes].join(', ')} not decoded`);
    }
    if (this.truncatedFrames > 0) w.push(`${this.truncatedFrames} frame(s) cut short (snap length or damaged): decoded as far as their bytes go`);
    if (this.malformedFrames > 0) w.push(`${this.malformedFrames} frame(s) with an inconsistent header: decoding stopped there`);
    return w;
  }
}

function counts(a: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let t = 1; t < LAYER_TYPE_COUNT; t++) if (a[t] > 0) out[LAYER_NAMES[t]] = a[t];
  return out;
}
