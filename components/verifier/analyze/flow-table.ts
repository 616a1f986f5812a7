/**
 * What every flow table of the analyzer shares: the bound on tracked flows, the IPv6 table, and the table of
 * flows keyed by (outer source, outer destination, a number such as the SPI or the receiver index).
 *
 * IPv4 flows are keyed by nested Maps on the 32-bit addresses; IPv6 flows by the 32 address octets plus a number,
 * without building a string per packet: a numeric hash picks a bucket, the stored copy of the octets confirms.
 */

import { ipDstText, ipSrcText } from '../decode/ip';
import { ipv4Dst, ipv4Src } from '../decode/ipv4';
import { IPV6_SRC } from '../decode/ipv6';
import { L, type LayerStack } from '../decode/layers';

/** Track at most this many flows per table: a damaged or hostile capture must not grow memory without bound. */
export const MAX_TRACKED_FLOWS = 10000;

export class V6Table<T> {
  private readonly buckets = new Map<number, { key: Buffer; extra: number; value: T }[]>();

  private static hash(b: Buffer, off: number, extra: number): number {
    let h = 0x811c9dc5 ^ extra;
    for (let i = 0; i < 32; i++) h = Math.imul(h ^ b[off + i], 0x01000193);
    return h >>> 0;
  }

  get(b: Buffer, off: number, extra: number): T | undefined {
    const list = this.buckets.get(V6Table.hash(b, off, extra));
    if (list === undefined) return undefined;
    for (let j = 0; j < list.length; j++) {
      const e = list[j];
      if (e.extra !== extra) continue;
      let same = true;
      for (let i = 0; i < 32; i++) if (e.key[i] !== b[off + i]) { same = false; break; }
      if (same) return e.value;
    }
    return undefined;
  }

  set(b: Buffer, off: number, extra: number, value: T): void {
    const h = V6Table.hash(b, off, extra);
    let list = this.buckets.get(h);
    if (list === undefined) { list = []; this.buckets.set(h, list); }
    list.push({ key: Buffer.from(b.subarray(off, off + 32)), extra, value });
  }
}

/**
 * Flows keyed by an IP header's addresses and a number (ESP: the SPI; WireGuard: the receiver index), in the
 * order first seen. Consecutive packets of one IPv4 flow skip the lookups. Beyond MAX_TRACKED_FLOWS, packets
 * of new flows all go to one untracked flow that is not listed.
 */
export class PairFlowTable<F> {
  private readonly v4 = new Map<number, Map<number, Map<number, F>>>();
  private readonly v6 = new V6Table<F>();
  /** The tracked flows, in the order first seen. */
  readonly flows: F[] = [];
  private last: F | undefined;
  private lastSrc = 0;
  private lastDst = 0;
  private lastKey = 0;
  /** The one flow of everything beyond the bound (undefined until the bound is hit). */
  untracked: F | undefined;

  /** `make` builds a flow; `tracked` is false for the untracked one (its addresses are '*'). */
  constructor(private readonly make: (src: string, dst: string, key: number, frame: number, tracked: boolean) => F) {}

  /** The flow of the IP header at `ipIdx` of the stack with `key`, made when first seen. */
  get(st: LayerStack, ipIdx: number, key: number, frame: number): F {
    const b = st.bufs[st.src[ipIdx]];
    const off = st.off[ipIdx];
    if (st.type[ipIdx] === L.IPV4) {
      const s = ipv4Src(b, off);
      const d = ipv4Dst(b, off);
      if (this.last !== undefined && this.lastSrc === s && this.lastDst === d && this.lastKey === key) return this.last;
      let m1 = this.v4.get(s);
      if (m1 === undefined) { m1 = new Map(); this.v4.set(s, m1); }
      let m2 = m1.get(d);
      if (m2 === undefined) { m2 = new Map(); m1.set(d, m2); }
      let flow = m2.get(key);
      if (flow === undefined) {
        if (this.flows.length >= MAX_TRACKED_FLOWS) return this.overflow(frame);
        flow = this.add(ipSrcText(st, ipIdx), ipDstText(st, ipIdx), key, frame);
        m2.set(key, flow);
      }
      this.last = flow;
      this.lastSrc = s;
      this.lastDst = d;
      this.lastKey = key;
      return flow;
    }
    // Both addresses at once: the source and the destination are 32 consecutive octets.
    let flow = this.v6.get(b, off + IPV6_SRC, key);
    if (flow === undefined) {
      if (this.flows.length >= MAX_TRACKED_FLOWS) return this.overflow(frame);
      flow = this.add(ipSrcText(st, ipIdx), ipDstText(st, ipIdx), key, frame);
      this.v6.set(b, off + IPV6_SRC, key, flow);
    }
    this.last = undefined;
    return flow;
  }

  private add(src: string, dst: string, key: number, frame: number): F {
    const flow = this.make(src, dst, key, frame, true);
    this.flows.push(flow);
    return flow;
  }

  private overflow(frame: number): F {
    if (this.untracked === undefined) this.untracked = this.make('*', '*', 0, frame, false);
    return this.untracked;
  }
}
