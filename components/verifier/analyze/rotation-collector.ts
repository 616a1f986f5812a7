/**
 * Key rotation evidence: per direction (outer source, outer destination of the ESP), when the old SPI was last
 * and the new SPI first seen, and how many old-SPI packets came after the first new one (Cilium keeps the old
 * SAs for keyRotationDuration, so a few in-flight packets are normal; the policy must have moved). Fed with the
 * ESP packets of the two SPIs only; the judgement (is the rotation proven?) is made by the verdict.
 */
import { L, LayerStack } from '../decode/layers';
import type { RotationDirection } from '../report';
import { formatV4, formatV6 } from './addr';
import { MAX_TRACKED_FLOWS, V6Table } from './flow-table';

interface Direction { r: RotationDirection }

export class RotationCollector {
  private readonly v4 = new Map<number, Map<number, Direction>>();
  private readonly v6 = new V6Table<Direction>();
  private readonly list: Direction[] = [];
  /** ESP packets of the two SPIs in directions beyond MAX_TRACKED_FLOWS (counted, not judged). */
  untracked = 0;

  constructor(readonly from: number, readonly to: number) {
    if (from === to) throw new RangeError(`rotation: the old and the new SPI must differ (both ${from})`);
  }

  /** The ESP header at stack index i (carried by the IP header at ipIdx) in a frame of time t. */
  add(st: LayerStack, i: number, ipIdx: number, t: number): void {
    const spi = st.bufs[st.src[i]].readUInt32BE(st.off[i]);
    if (spi !== this.from && spi !== this.to) return;
    const d = this.direction(st, ipIdx);
    if (d === undefined) { this.untracked++; return; }
    const r = d.r;
    if (spi === this.from) {
      r.oldPackets++;
      if (r.firstOld === null || t < r.firstOld) r.firstOld = t;
      if (r.lastOld === null || t > r.lastOld) r.lastOld = t;
      if (r.firstNew !== null && t > r.firstNew) r.oldAfterSwitch++;
    } else {
      r.newPackets++;
      if (r.firstNew === null || t < r.firstNew) r.firstNew = t;
      if (r.lastNew === null || t > r.lastNew) r.lastNew = t;
    }
  }

  private direction(st: LayerStack, ipIdx: number): Direction | undefined {
    const b = st.bufs[st.src[ipIdx]];
    const off = st.off[ipIdx];
    if (st.type[ipIdx] === L.IPV4) {
      const s = b.readUInt32BE(off + 12);
      const dst = b.readUInt32BE(off + 16);
      let m = this.v4.get(s);
      if (m === undefined) { m = new Map(); this.v4.set(s, m); }
      let d = m.get(dst);
      if (d === undefined) {
        if (this.list.length >= MAX_TRACKED_FLOWS) return undefined;
        d = newDirection(formatV4(s), formatV4(dst));
        m.set(dst, d);
        this.list.push(d);
      }
      return d;
    }
    let d = this.v6.get(b, off + 8, 0);
    if (d === undefined) {
      if (this.list.length >= MAX_TRACKED_FLOWS) return undefined;
      d = newDirection(formatV6(b, off + 8), formatV6(b, off + 24));
      this.v6.set(b, off + 8, 0, d);
      this.list.push(d);
    }
    return d;
  }

  directions(): RotationDirection[] {
    return this.list.map((d) => ({ ...d.r }))
      .sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
  }
}

function newDirection(src: string, dst: string): Direction {
  return { r: { src, dst, oldPackets: 0, newPackets: 0, firstOld: null, lastOld: null, firstNew: null, lastNew: null, oldAfterSwitch: 0, switched: false } };
}
