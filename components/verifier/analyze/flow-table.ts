/**
 * What every flow table of the analyzer shares: the bound on tracked flows and the IPv6 table.
 *
 * IPv4 flows are keyed by nested Maps on the 32-bit addresses; IPv6 flows by the 32 address octets plus a number,
 * without building a string per packet: a numeric hash picks a bucket, the stored copy of the octets confirms.
 */

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
