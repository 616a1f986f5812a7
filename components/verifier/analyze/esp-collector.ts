/**
 * ESP evidence, per SA as seen on the wire (outer source, outer destination, SPI): packets, sequence numbers,
 * sizes, encapsulation paths, and decryption. A decrypted payload is decoded back into the layer stack (buffer 1),
 * so the other collectors see the inner packet; an integrity-only (NULL) payload is decoded in place.
 */
import type { Frame } from '../capture/types';
import { PacketDecoder } from '../decode/decoder';
import { espSeq, espSpi } from '../decode/esp';
import { L, LayerStack } from '../decode/layers';
import { GcmResult, decryptEspGcm, minGcmLength } from '../crypto/esp-gcm';
import { SaSpec, SaTable } from '../crypto/sa';
import type { EspFlowReport, Report } from '../report';
import { PairFlowTable } from './flow-table';
import { nullEspPayload } from './null-esp';
import type { PathNames } from './paths';

/** What became of one ESP packet. */
export const ESP_OPAQUE = 0, ESP_NULL = 1, ESP_DECRYPTED = 2, ESP_FAILED = 3;

interface EspFlow {
  r: EspFlowReport;
  pathKeys: Set<number>;
  sizeSum: number;
  candidates: SaSpec[];
  /** Index of the candidate that decrypted last (tried first). */
  pinned: number;
  seqHi: number;
  nullEncryption: boolean;
  lastSeq: number;
  /** Low half of the last sequence number seen by the ESN guess. */
  lastSeqForHi: number;
}

export class EspCollector {
  packets = 0;
  nullPackets = 0;
  inUdp = 0;
  decOk = 0;
  decFailed = 0;
  noKey = 0;
  /** Per SA (outer source, destination, SPI); beyond MAX_TRACKED_FLOWS one untracked flow counts the rest. */
  private readonly table = new PairFlowTable<EspFlow>((src, dst, spi, frame, tracked) => this.newFlow(src, dst, spi, frame, tracked));

  constructor(private readonly sas: SaTable, private readonly decoder: PacketDecoder, private readonly paths: PathNames) {}

  /** Next header of the last packet decrypted (for samples). */
  lastNextHeader = 0;

  /** The ESP header at stack index i, carried by the IP header at ipIdx, in a frame of time t. Returns ESP_*. */
  add(st: LayerStack, i: number, ipIdx: number, f: Frame, t: number): number {
    const b = st.bufs[st.src[i]];
    const off = st.off[i];
    const end = off + st.len[i];
    const spi = espSpi(b, off);
    const seq = espSeq(b, off);
    const flow = this.table.get(st, ipIdx, spi, f.index);
    const r = flow.r;
    this.packets++;
    if (ipIdx + 1 < i && st.type[i - 1] === L.UDP) this.inUdp++;
    r.packets++;
    r.lastFrame = f.index;
    if (r.packets === 1) {
      r.firstSeq = seq;
      r.firstTime = t;
      r.lastTime = t;
    } else if (seq < flow.lastSeq) {
      r.seqIncreasing = false;
      r.seqDecreases++;
    } else if (seq === flow.lastSeq) {
      r.seqRepeats++;
    }
    flow.lastSeq = seq;
    r.lastSeq = seq;
    if (t < r.firstTime) r.firstTime = t;
    if (t > r.lastTime) r.lastTime = t;
    const size = f.origLen;
    if (size < r.sizes.min) r.sizes.min = size;
    if (size > r.sizes.max) r.sizes.max = size;
    flow.sizeSum += size;
    flow.pathKeys.add(this.paths.key(st, 0, i + 1));

    // Integrity-only ESP: the packet itself follows the header (NULL: right after it; GMAC: after the 8-octet IV).
    // Told by the xfrm state, else by the payload looking like an IPv4/IPv6 header; decoded as visible layers.
    if (flow.nullEncryption || flow.candidates.length === 0) {
      const at = flow.nullEncryption ? nullEspPayload(b, off, end, true) : nullEspPayload(b, off, end, false);
      if (at >= 0) return this.nullEsp(st, flow, b, at, end);
      if (flow.nullEncryption) return this.nullEsp(st, flow, b, -1, end);
      if (this.sas.size > 0) this.noKey++;
      return ESP_OPAQUE;
    }
    const res = this.decrypt(flow, b, off, end, seq);
    const d = r.decryption!;
    if (res === null) {
      this.decFailed++;
      d.failed++;
      // A key was given but the traffic is integrity-only ESP: still readable, still not encryption.
      const at = nullEspPayload(b, off, end, false);
      if (at >= 0) return this.nullEsp(st, flow, b, at, end);
      return ESP_FAILED;
    }
    this.decOk++;
    d.ok++;
    this.lastNextHeader = res.nextHeader;
    if (res.nextHeader === 59) return ESP_DECRYPTED; // dummy packet (TFC)
    this.decoder.decodePlaintext(res.payload, res.nextHeader, st);
    return ESP_DECRYPTED;
  }

  /** Count an integrity-only ESP packet and decode the packet it carries at `at` (-1: not locatable). */
  private nullEsp(st: LayerStack, flow: EspFlow, b: Buffer, at: number, end: number): number {
    this.nullPackets++;
    flow.r.nullPackets++;
    if (at >= 0) this.decoder.decodeCarried(b, at, end, st);
    return ESP_NULL;
  }

  private decrypt(flow: EspFlow, b: Buffer, off: number, end: number, seq: number): GcmResult | null {
    const c = flow.candidates;
    for (let n = 0; n < c.length; n++) {
      const idx = (flow.pinned + n) % c.length;
      const sa = c[idx];
      if (!sa.key) continue;
      if (end - off < minGcmLength(sa.key.icvLen)) return null;
      let res: GcmResult | null;
      if (!sa.esn) {
        res = decryptEspGcm(b, off, end, sa.key, -1);
      } else {
        // ESN: guess the high half (RFC 4303 appendix A): a low half that went back a long way wrapped.
        if (flow.r.packets > 1 && seq < flow.lastSeqForHi && flow.lastSeqForHi - seq > 0x80000000) flow.seqHi++;
        res = decryptEspGcm(b, off, end, sa.key, flow.seqHi);
        if (res === null && flow.seqHi > 0) res = decryptEspGcm(b, off, end, sa.key, flow.seqHi - 1);
        if (res === null) {
          res = decryptEspGcm(b, off, end, sa.key, flow.seqHi + 1);
          if (res !== null) flow.seqHi++;
        }
        flow.lastSeqForHi = seq;
      }
      if (res !== null) {
        if (idx !== flow.pinned) {
          flow.pinned = idx;
          flow.r.decryption!.sa = sa.origin;
        }
        return res;
      }
    }
    return null;
  }

  private newFlow(src: string, dst: string, spi: number, frame: number, tracked: boolean): EspFlow {
    // The untracked flow stands for many SAs: no key can be tried on it.
    const candidates = tracked ? this.sas.lookup(src, dst, spi) : [];
    const usable = candidates.filter((c) => c.key !== undefined);
    const nullEncryption = candidates.length > 0 && candidates.every((c) => c.nullEncryption);
    const r: EspFlowReport = {
      src, dst, spi, packets: 0, firstSeq: 0, lastSeq: 0, seqIncreasing: true, paths: [],
      sizes: { min: Infinity, max: 0, mean: 0 }, seqDecreases: 0, seqRepeats: 0, firstFrame: frame, lastFrame: frame,
      firstTime: 0, lastTime: 0, nullPackets: 0,
    };
    if (usable.length > 0) r.decryption = { ok: 0, failed: 0, sa: usable[0].origin };
    else if (candidates.length > 0 && !nullEncryption) {
      r.decryption = { ok: 0, failed: 0, unsupported: candidates.map((c) => c.unsupported).filter(Boolean).join(', ') };
    }
    const flow: EspFlow = {
      r, pathKeys: new Set(), sizeSum: 0, candidates: usable, pinned: 0,
      seqHi: usable.length > 0 ? usable[0].seqHi : 0, nullEncryption, lastSeq: 0,
      lastSeqForHi: 0,
    };
    return flow;
  }

  /** Packets of SAs beyond MAX_TRACKED_FLOWS (counted, not listed), or 0. */
  get untrackedPackets(): number {
    return this.table.untracked ? this.table.untracked.r.packets : 0;
  }

  report(): Report['esp'] {
    const flows: EspFlowReport[] = this.table.flows.map((f) => ({
      ...f.r,
      paths: [...f.pathKeys].map(this.paths.name).sort(),
      sizes: f.r.packets > 0
        ? { min: f.r.sizes.min, max: f.r.sizes.max, mean: Math.round((f.sizeSum / f.r.packets) * 10) / 10 }
        : { min: 0, max: 0, mean: 0 },
    })).sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : a.spi - b.spi));
    const spis = [...new Set(flows.map((f) => f.spi))].sort((a, b) => a - b);
    return { packets: this.packets, spis, flows, nullPackets: this.nullPackets, inUdp: this.inUdp };
  }
}
