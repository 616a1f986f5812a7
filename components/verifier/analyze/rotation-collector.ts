/**
 * Key rotation evidence: per direction (outer source, outer destination of the ESP), when the old SPI was last
 * and the new SPI first seen, and how many old-SPI packets came after the first new one (Cilium keeps the old
 * SAs for keyRotationDuration, so a few in-flight packets are normal; the policy must have moved). Fed with the
 * ESP packets of the two SPIs only; whether that proves the rotation is the verdict's (./verdict.ts).
 */
import { espSpi } from '../decode/esp';
import type { LayerStack } from '../decode/layers';
import type { RotationDirection } from '../report';
import { PairFlowTable } from './flow-table';

interface Direction { r: RotationDirection }

export class RotationCollector {
  /** Per (outer source, destination); beyond MAX_TRACKED_FLOWS one untracked direction counts the rest. */
  private readonly table = new PairFlowTable<Direction>((src, dst) => newDirection(src, dst));

  constructor(readonly from: number, readonly to: number) {
    if (from === to) throw new RangeError(`rotation: the old and the new SPI must differ (both ${from})`);
  }

  /** The ESP header at stack index i (carried by the IP header at ipIdx) in a frame of time t. */
  add(st: LayerStack, i: number, ipIdx: number, frame: number, t: number): void {
    const spi = espSpi(st.bufs[st.src[i]], st.off[i]);
    if (spi !== this.from && spi !== this.to) return;
    const r = this.table.get(st, ipIdx, 0, frame).r;
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

  /** ESP packets of the two SPIs in directions beyond MAX_TRACKED_FLOWS (counted, not judged). */
  get untracked(): number {
    const u = this.table.untracked;
    return u ? u.r.oldPackets + u.r.newPackets : 0;
  }

  /** The tracked directions, sorted, each marked switched when both SPIs were seen and the new one came last. */
  directions(): RotationDirection[] {
    return this.table.flows.map(({ r }) => ({ ...r, switched: r.oldPackets > 0 && r.newPackets > 0 && r.lastNew! >= r.lastOld! }))
      .sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
  }
}

function newDirection(src: string, dst: string): Direction {
  return { r: { src, dst, oldPackets: 0, newPackets: 0, firstOld: null, lastOld: null, firstNew: null, lastNew: null, oldAfterSwitch: 0, switched: false } };
}
