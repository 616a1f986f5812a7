/**
 * The timeline: frames per time bucket and class, in one pass and bounded memory. Buckets are counted from a fixed
 * origin (the first frame's second); when a frame falls beyond the last of MAX_BUCKETS buckets, the width doubles
 * and neighbouring buckets merge, so a bucket at any earlier width lies inside exactly one bucket of the final
 * width. Widths are powers of two times 1/8 s: exact in binary floating point.
 *
 * Cleartext pod packets are not counted here but in their pod flow (PodFlowTimes): only at the end is it known
 * which pod-range flows are host traffic (to or from an ESP endpoint), and their packets then move to "host".
 */
import type { ClassCounts, FrameClass, Timeline } from '../report';

export const MAX_BUCKETS = 240;
const FIRST_WIDTH = 0.125;
export const C_ESP = 0, C_WIREGUARD = 1, C_POD = 2, C_HOST = 3, C_OTHER = 4;
const CLASS_COUNT = 5;
const CLASS_NAMES: readonly FrameClass[] = ['esp', 'wireguard', 'podCleartext', 'host', 'other'];

export class TimelineCollector {
  private origin = NaN;
  private width = FIRST_WIDTH;
  /** Bumped whenever the width doubles: a bucket index is comparable only within one generation. */
  generation = 0;
  /** counts[bucket * CLASS_COUNT + class]. */
  private counts = new Float64Array(MAX_BUCKETS * CLASS_COUNT);
  /** One past the highest bucket used. */
  private used = 0;
  /** (time, packets) entries held by all pod flows together (bounded by MAX_POD_ENTRIES). */
  podEntries = 0;
  /** Some pod flows' packets went straight to podCleartext once MAX_POD_ENTRIES was reached. */
  podOverflow = false;

  /** The bucket of time t at the current width (widening first if needed). */
  bucket(t: number): number {
    if (this.origin !== this.origin) this.origin = Math.floor(t);
    let b = Math.floor((t - this.origin) / this.width);
    if (b < 0 || b !== b) return 0;
    while (b >= MAX_BUCKETS) {
      this.widen();
      b = Math.floor((t - this.origin) / this.width);
    }
    if (b >= this.used) this.used = b + 1;
    return b;
  }

  add(cls: number, t: number): void {
    const b = this.bucket(t); // first: widening replaces this.counts
    this.counts[b * CLASS_COUNT + cls]++;
  }

  private widen(): void {
    const c = this.counts;
    const n = new Float64Array(MAX_BUCKETS * CLASS_COUNT);
    for (let b = 0; b < this.used; b++) {
      const to = (b >> 1) * CLASS_COUNT;
      for (let k = 0; k < CLASS_COUNT; k++) n[to + k] += c[b * CLASS_COUNT + k];
    }
    this.counts = n;
    this.used = (this.used + 1) >> 1;
    this.width *= 2;
    this.generation++;
  }

  /** The bucket of time t at the final width (for entries recorded at an earlier width). */
  finalBucket(t: number): number {
    const b = Math.floor((t - this.origin) / this.width);
    return b < 0 || b !== b ? 0 : Math.min(b, this.used - 1);
  }

  /** Adds `n` frames of class cls at the bucket of t (report time only: t within the range already seen). */
  addLate(cls: number, t: number, n: number): void {
    this.counts[this.finalBucket(t) * CLASS_COUNT + cls] += n;
  }

  report(): Timeline {
    const buckets: Timeline['buckets'] = [];
    for (let b = 0; b < this.used; b++) {
      const counts = {} as ClassCounts;
      for (let k = 0; k < CLASS_COUNT; k++) counts[CLASS_NAMES[k]] = this.counts[b * CLASS_COUNT + k];
      buckets.push({ start: this.origin + b * this.width, counts });
    }
    return { bucketSeconds: this.width, buckets };
  }
}

/**
 * When one pod flow's packets were seen: the timeline entries (first time, packets) per bucket it touched, and its
 * time windows (a new window after a gap of more than WINDOW_GAP seconds). Both bounded per flow.
 */
export const WINDOW_GAP = 1;
/** Entries one flow keeps before merging them to the current width (then at most MAX_BUCKETS). */
const MAX_ENTRIES = 2 * MAX_BUCKETS;
/**
 * Entries all flows keep together (4 MB): past that, a pod flow's packets count as podCleartext at once, and one
 * that later turns out to be host traffic stays there (reported as a warning). Reaching it takes thousands of
 * pod flows each active over hundreds of buckets.
 */
export const MAX_POD_ENTRIES = 250_000;
const MAX_WINDOWS_PER_FLOW = 256;

export class PodFlowTimes {
  /** Flattened (time, packets) pairs. */
  private entries: number[] = [];
  private lastBucket = -1;
  private lastGeneration = -1;
  /** Closed windows, flattened (start, end, packets). */
  private windows: number[] = [];
  private wStart = NaN;
  private wEnd = NaN;
  private wPackets = 0;
  /** Windows were merged because the flow had more than MAX_WINDOWS_PER_FLOW. */
  capped = false;

  add(t: number, timeline: TimelineCollector): void {
    const b = timeline.bucket(t);
    const e = this.entries;
    if (b === this.lastBucket && timeline.generation === this.lastGeneration) e[e.length - 1]++;
    else {
      if (e.length >= 2 * MAX_ENTRIES) this.compact(timeline);
      if (timeline.podEntries >= MAX_POD_ENTRIES) {
        timeline.podOverflow = true;
        timeline.add(C_POD, t);
        this.lastBucket = -1;
      } else {
        this.entries.push(t, 1);
        timeline.podEntries++;
        this.lastBucket = b;
        this.lastGeneration = timeline.generation;
      }
    }
    if (this.wPackets === 0) {
      this.wStart = t;
      this.wEnd = t;
    } else if (t - this.wEnd > WINDOW_GAP) {
      if (this.windows.length < 3 * MAX_WINDOWS_PER_FLOW) this.windows.push(this.wStart, this.wEnd, this.wPackets);
      else this.capped = true;
      if (!this.capped) {
        this.wStart = t;
        this.wPackets = 0;
      }
      this.wEnd = t;
    } else if (t > this.wEnd) this.wEnd = t;
    else if (t < this.wStart) this.wStart = t;
    this.wPackets++;
  }

  /** Merges entries that fall in the same bucket at the current width (keeps the list bounded). */
  private compact(timeline: TimelineCollector): void {
    const e = this.entries;
    const out: number[] = [];
    let last = -1;
    for (let i = 0; i < e.length; i += 2) {
      const b = timeline.finalBucket(e[i]);
      if (b === last) out[out.length - 1] += e[i + 1];
      else { out.push(e[i], e[i + 1]); last = b; }
    }
    timeline.podEntries -= (e.length - out.length) / 2;
    this.entries = out;
    this.lastBucket = -1;
  }

  /** Adds this flow's packets to the timeline as class cls (report time). */
  addTo(timeline: TimelineCollector, cls: number): void {
    const e = this.entries;
    for (let i = 0; i < e.length; i += 2) timeline.addLate(cls, e[i], e[i + 1]);
  }

  /** The flow's windows, the open one included. */
  allWindows(): { start: number; end: number; packets: number }[] {
    const out: { start: number; end: number; packets: number }[] = [];
    const w = this.windows;
    for (let i = 0; i < w.length; i += 3) out.push({ start: w[i], end: w[i + 1], packets: w[i + 2] });
    if (this.wPackets > 0) out.push({ start: this.wStart, end: this.wEnd, packets: this.wPackets });
    return out;
  }
}

/** Maximum windows reported (after that the last one absorbs the rest). */
export const MAX_WINDOWS = 1000;

/** Merges windows of several flows: sorted by start, joined when the gap between them is at most WINDOW_GAP. */
export function mergeWindows(all: { start: number; end: number; packets: number }[]): { windows: { start: number; end: number; packets: number }[]; capped: boolean } {
  all.sort((a, b) => a.start - b.start);
  const out: { start: number; end: number; packets: number }[] = [];
  let capped = false;
  for (const w of all) {
    const cur = out[out.length - 1];
    if (cur !== undefined && (w.start - cur.end <= WINDOW_GAP || out.length >= MAX_WINDOWS)) {
      if (w.start - cur.end > WINDOW_GAP) capped = true;
      if (w.end > cur.end) cur.end = w.end;
      cur.packets += w.packets;
    } else out.push({ ...w });
  }
  return { windows: out, capped };
}
