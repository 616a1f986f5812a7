/**
 * Encapsulation paths ("eth/ipv4/udp/vxlan/eth/ipv4/esp") as numbers on the hot path, as text in the report.
 * A path of up to 10 layers packs into one number (5 bits per layer type); a longer one (rare: nested tunnels)
 * gets an index into a list, taken as text once.
 */
import { LAYER_NAMES, LayerStack } from '../decode/layers';

export class PathNames {
  private readonly cache = new Map<number, string>();
  private readonly overflow: string[] = [];

  /** A number naming the layer types [from, to) of the stack. */
  key(st: LayerStack, from: number, to: number): number {
    if (to - from <= 10) {
      let k = 0;
      for (let j = from; j < to; j++) k = k * 32 + st.type[j];
      return k;
    }
    const s = st.path(from, to);
    let idx = this.overflow.indexOf(s);
    if (idx < 0) { idx = this.overflow.length; this.overflow.push(s); }
    return -1 - idx;
  }

  /** The text of a key (for the report). */
  readonly name = (k: number): string => {
    if (k < 0) return this.overflow[-1 - k];
    let s = this.cache.get(k);
    if (s === undefined) {
      const parts: string[] = [];
      let v = k;
      while (v > 0) { parts.unshift(LAYER_NAMES[v % 32]); v = Math.floor(v / 32); }
      s = parts.join('/');
      this.cache.set(k, s);
    }
    return s;
  };
}
