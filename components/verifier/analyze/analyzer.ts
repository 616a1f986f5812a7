/**
 * The analyzer: decodes every frame into a reused layer stack, keeps numeric counters and flow tables, and at the
 * end turns them into a Report with a verdict that rests on positive evidence only.
 *
 * Hot path rules: no strings, closures or exceptions per frame; flows are keyed by numbers (nested Maps on the
 * 32-bit addresses and the SPI) and their text is formatted once, when the flow is first seen.
 */
import type { CaptureSummary, Frame } from '../capture/types';
import { L, LAYER_NAMES, LAYER_TYPE_COUNT, LayerStack, ipProtoLayer } from '../decode/layers';
import { PacketDecoder } from '../decode/decoder';
import { GcmResult, decryptEspGcm, minGcmLength } from '../crypto/esp-gcm';
import { KeySpec, SaSpec, SaTable } from '../crypto/sa';
import type { XfrmState } from '../crypto/xfrm';
import type { EspFlowReport, PodFlowReport, PodTraffic, Report, Verdict } from '../report';
import { AddressMatcher, formatV4, formatV6, normalizeAddress } from './addr';
import { decideVerdict } from './verdict';

export type { Report, Verdict } from '../report';

export interface AnalyzerOptions {
  /** Pod address ranges (default ['10.0.0.0/8']). Ignored when `pods` is given. */
  podCidrs: string[];
  /** Explicit pod addresses: a pod packet has both source and destination in this list. */
  pods?: string[];
  /** Text whose presence in a frame's raw bytes means cleartext. */
  nonce?: string;
  /** Expected SPI: any other SPI on the wire is an expectation failure. */
  spi?: number;
  /** Expected ESP endpoints [A, B]: ESP between other addresses is an expectation failure. */
  endpoints?: string[];
  expect?: Verdict;
  vxlanPorts: number[];
  genevePorts: number[];
  /** Decryption keys: RFC 4106 key material (20 bytes for AES-128) for every SA with that SPI. */
  keys: { spi: number; key: Buffer }[];
  /** States from parseXfrmState (`ip xfrm state` on the nodes). */
  xfrm: XfrmState[];
  /** Called once per frame with its facts (allocates: only for --frames and tests). */
  onFrameFacts?: (facts: FrameFacts) => void;
}

export const DEFAULT_ANALYZER_OPTIONS: AnalyzerOptions = {
  podCidrs: ['10.0.0.0/8'], vxlanPorts: [8472, 4789], genevePorts: [6081], keys: [], xfrm: [],
};

export interface FrameFacts {
  frame: number;
  /** All decoded layers, decrypted ones included, e.g. "eth/ipv4/udp/vxlan/eth/ipv4/esp/ipv4/icmp". */
  layers: string;
  /** Every IP header, outermost first, including decrypted inner ones. */
  ips: { version: 4 | 6; src: string; dst: string; proto: number }[];
  /** Outermost ESP and the IP header that carried it. */
  esp?: { src: string; dst: string; spi: number; seq: number };
  decrypted?: 'ok' | 'failed';
  /** The nonce is in the frame's raw bytes (cleartext). */
  nonce?: boolean;
  /** The nonce is in the decrypted ESP payload (added field). */
  nonceDecrypted?: boolean;
  /** The ESP payload was readable without a key (NULL encryption) (added field). */
  nullEsp?: boolean;
  truncated?: boolean;
}

// Pod protocol categories (index into counters).
const CAT_OTHER = 0, CAT_ICMP = 1, CAT_ICMPV6 = 2, CAT_TCP = 3, CAT_HTTP = 4, CAT_UDP = 5, CAT_FRAG = 6;
const CAT_NAMES = ['other', 'icmp', 'icmpv6', 'tcp', 'http', 'udp', 'fragment'];

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
  /** Outer IPv4 addresses as numbers (-1 for IPv6) for the last-flow shortcut. */
  srcN: number;
  dstN: number;
}

interface PodFlow { r: PodFlowReport; pathKeys: Set<number> }

/**
 * IPv6 flow table keyed by 32 address octets plus a number, without building a string per packet: a numeric hash
 * picks a bucket, the stored copy of the octets confirms the match.
 */
class V6Table<T> {
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

class PodTable {
  packets = 0;
  readonly byCat = new Float64Array(CAT_NAMES.length);
  readonly otherProto = new Float64Array(256);
  readonly v4 = new Map<number, Map<number, PodFlow>>();
  readonly v6 = new V6Table<PodFlow>();
  readonly flows: PodFlow[] = [];
  /** Flows beyond MAX_TRACKED_FLOWS, counted together. */
  other: PodFlow | undefined;

  overflow(frame: number): PodFlow {
    if (this.other === undefined) {
      this.other = { r: { src: '*', dst: '*', protocol: 'other flows (not tracked)', packets: 0, firstFrame: frame, lastFrame: frame, paths: [] },
        pathKeys: new Set() };
    }
    return this.other;
  }

  /**
   * `nodeAddrs`: addresses that terminate ESP (Cilium <= 1.17: the cilium_host router IPs, which sit inside the pod
   * CIDR). Traffic to or from them is host traffic, not pod-to-pod: moved out of the pod counts into `nodeTraffic`.
   */
  report(pathName: (k: number) => string, maxFlows: number, nodeAddrs: ReadonlySet<string>): PodTraffic {
    const byProtocol: Record<string, number> = {};
    for (let c = 1; c < CAT_NAMES.length; c++) if (this.byCat[c] > 0) byProtocol[CAT_NAMES[c]] = this.byCat[c];
    for (let p = 0; p < 256; p++) if (this.otherProto[p] > 0) byProtocol[`ip-proto-${p}`] = this.otherProto[p];
    const all = [...this.flows, ...(this.other ? [this.other] : [])]
      .sort((a, b) => b.r.packets - a.r.packets || a.r.firstFrame - b.r.firstFrame)
      .map((f) => ({ ...f.r, paths: [...f.pathKeys].map(pathName).sort() }));
    const flows = all.filter((f) => !nodeAddrs.has(f.src) && !nodeAddrs.has(f.dst));
    const nodeFlows = all.filter((f) => nodeAddrs.has(f.src) || nodeAddrs.has(f.dst));
    let podPackets = this.packets;
    let nodePackets = 0;
    for (const f of nodeFlows) {
      podPackets -= f.packets;
      nodePackets += f.packets;
      byProtocol[f.protocol] -= f.packets;
      if (byProtocol[f.protocol] === 0) delete byProtocol[f.protocol];
    }
    const out: PodTraffic = { podPackets, byProtocol, flows: flows.slice(0, maxFlows) };
    if (nodeFlows.length > 0) {
      out.nodeTraffic = { addresses: [...nodeAddrs].filter((a) => nodeFlows.some((f) => f.src === a || f.dst === a)).sort(),
        packets: nodePackets, flows: nodeFlows.slice(0, maxFlows) };
    }
    return out;
  }
}

/** Report at most this many pod flows (the rest are still counted). */
const MAX_POD_FLOWS = 200;
/** Track at most this many flows per table: a damaged or hostile capture must not grow memory without bound. */
export const MAX_TRACKED_FLOWS = 10000;

export class Analyzer {
  private readonly opts: AnalyzerOptions;
  private readonly decoder: PacketDecoder;
  private readonly st = new LayerStack();
  private readonly pods: AddressMatcher;
  private readonly nonce?: Buffer;
  private readonly sas: SaTable;

  private frames = 0;
  private bytes = 0;
  private truncatedFrames = 0;
  private malformedFrames = 0;
  private fragments = 0;
  private unsupportedFrames = 0;
  private readonly unsupportedLinkTypes = new Set<number>();
  private readonly layerFrames = new Float64Array(LAYER_TYPE_COUNT);
  /** Per layer type: the frame number it was last counted for (outer) / inner. No clearing per frame. */
  private readonly seenOuter = new Float64Array(LAYER_TYPE_COUNT);
  private readonly seenInner = new Float64Array(LAYER_TYPE_COUNT);

  private espPackets = 0;
  private espNull = 0;
  private espInUdp = 0;
  private readonly espV4 = new Map<number, Map<number, Map<number, EspFlow>>>();
  private readonly espV6 = new V6Table<EspFlow>();
  private readonly espFlows: EspFlow[] = [];
  private lastEsp: EspFlow | undefined;

  private readonly clear = new PodTable();
  private readonly inner = new PodTable();
  private readonly innerLayerFrames = new Float64Array(LAYER_TYPE_COUNT);

  private nonceHits = 0;
  private nonceDecryptedHits = 0;
  private readonly nonceFrames: number[] = [];

  private decOk = 0;
  private decFailed = 0;
  private noKey = 0;

  private readonly pathCache = new Map<number, string>();
  private readonly pathOverflow: string[] = [];

  constructor(options: Partial<AnalyzerOptions> = {}) {
    const o: AnalyzerOptions = { ...DEFAULT_ANALYZER_OPTIONS, ...stripUndefined(options) };
    this.opts = o;
    this.decoder = new PacketDecoder({ vxlanPorts: o.vxlanPorts, genevePorts: o.genevePorts });
    this.pods = new AddressMatcher(o.pods && o.pods.length > 0 ? o.pods : o.podCidrs);
    if (o.nonce !== undefined) {
      if (o.nonce.length === 0) throw new RangeError('nonce must not be empty');
      this.nonce = Buffer.from(o.nonce, 'utf8');
    }
    if (o.endpoints) for (const e of o.endpoints) normalizeAddress(e);
    this.sas = new SaTable(o.keys as KeySpec[], o.xfrm);
  }

  addFrame(f: Frame): void {
    this.frames++;
    this.bytes += f.caplen;
    const st = this.st;
    const buf = f.buf;
    if (!this.decoder.decodeFrame(buf, f.offset, f.caplen, f.linkType, st)) {
      this.unsupportedFrames++;
      if (this.unsupportedLinkTypes.size < 16) this.unsupportedLinkTypes.add(f.linkType);
      if (this.opts.onFrameFacts) this.opts.onFrameFacts({ frame: f.index, layers: '', ips: [] });
      return;
    }
    let nonceHit = false;
    if (this.nonce !== undefined && f.caplen >= this.nonce.length
      && buf.subarray(f.offset, f.offset + f.caplen).indexOf(this.nonce) >= 0) {
      nonceHit = true;
      this.nonceHits++;
      if (this.nonceFrames.length < 20) this.nonceFrames.push(f.index);
    }

    const seenOuter = this.seenOuter;
    const seenInner = this.seenInner;
    const stamp = this.frames;
    let lastIp = -1;
    let espIdx = -1;
    let innerStart = -1;
    let clearCounted = false;
    let innerCounted = false;
    let decrypted = 0; // 0 not tried, 1 ok, 2 failed
    let nullEsp = false;
    let nonceDec = false;
    for (let i = 0; i < st.count; i++) {
      const t = st.type[i];
      const isInner = innerStart >= 0 && i >= innerStart;
      if (!isInner) {
        if (seenOuter[t] !== stamp) { seenOuter[t] = stamp; this.layerFrames[t]++; }
      } else if (seenInner[t] !== stamp) {
        seenInner[t] = stamp;
        this.innerLayerFrames[t]++;
      }
      if (t === L.IPV4 || t === L.IPV6) {
        lastIp = i;
        if (isInner) {
          if (!innerCounted && this.checkPod(i, this.inner, f.index, innerStart)) innerCounted = true;
        } else if (!clearCounted && this.checkPod(i, this.clear, f.index, 0)) {
          clearCounted = true;
        }
      } else if (t === L.ESP && espIdx < 0 && !isInner && lastIp >= 0) {
        espIdx = i;
        const res = this.onEsp(i, lastIp, f);
        if (res === ESP_NULL) nullEsp = true;
        else if (res === ESP_DECRYPTED) {
          decrypted = 1;
          innerStart = i + 1;
          if (this.nonce !== undefined && st.bufs[1].indexOf(this.nonce) >= 0) {
            nonceDec = true;
            this.nonceDecryptedHits++;
          }
        } else if (res === ESP_FAILED) decrypted = 2;
      } else if (t === L.FRAG && !isInner) {
        this.fragments++;
      }
    }
    if (st.truncated) this.truncatedFrames++;
    if (st.malformed) this.malformedFrames++;
    if (this.opts.onFrameFacts) this.emitFacts(f, espIdx, decrypted, nonceHit, nonceDec, nullEsp);
  }

  /** Pod check for the IP header at stack index i. Returns true when it was a pod packet (and counted). */
  private checkPod(i: number, table: PodTable, frame: number, pathFrom: number): boolean {
    const st = this.st;
    const b = st.bufs[st.src[i]];
    const off = st.off[i];
    const proto = st.aux[i];
    // A pod-addressed header whose payload is ESP (Cilium <= 1.17: cilium_host -> cilium_host) or another IP
    // header (the inner one is checked on its own) is a tunnel, not cleartext pod traffic.
    if (proto === 50 || proto === 4 || proto === 41) return false;
    const v4 = st.type[i] === L.IPV4;
    let s = 0, d = 0;
    if (v4) {
      s = b.readUInt32BE(off + 12);
      d = b.readUInt32BE(off + 16);
      if (!this.pods.matchV4(s) || !this.pods.matchV4(d)) return false;
    } else if (!this.pods.matchV6(b, off + 8) || !this.pods.matchV6(b, off + 24)) {
      return false;
    }
    let cat = CAT_OTHER;
    const nt = i + 1 < st.count ? st.type[i + 1] : L.NONE;
    if (nt === L.FRAG) cat = CAT_FRAG;
    else if (proto === 1) cat = CAT_ICMP;
    else if (proto === 58) cat = CAT_ICMPV6;
    else if (proto === 17) cat = CAT_UDP;
    else if (proto === 6) cat = i + 2 < st.count && nt === L.TCP && st.type[i + 2] === L.HTTP ? CAT_HTTP : CAT_TCP;
    table.packets++;
    if (cat === CAT_OTHER) table.otherProto[proto & 255]++;
    else table.byCat[cat]++;
    let flow: PodFlow | undefined;
    if (v4) {
      let m = table.v4.get(s);
      if (m === undefined) { m = new Map(); table.v4.set(s, m); }
      const k = d * 4096 + cat * 256 + proto;
      flow = m.get(k);
      if (flow === undefined) {
        if (table.flows.length >= MAX_TRACKED_FLOWS) flow = table.overflow(frame);
        else {
          flow = this.newPodFlow(formatV4(s), formatV4(d), cat, proto, frame);
          m.set(k, flow);
          table.flows.push(flow);
        }
      }
    } else {
      const k = cat * 256 + proto;
      flow = table.v6.get(b, off + 8, k);
      if (flow === undefined) {
        if (table.flows.length >= MAX_TRACKED_FLOWS) flow = table.overflow(frame);
        else {
          flow = this.newPodFlow(formatV6(b, off + 8), formatV6(b, off + 24), cat, proto, frame);
          table.v6.set(b, off + 8, k, flow);
          table.flows.push(flow);
        }
      }
    }
    flow.r.packets++;
    flow.r.lastFrame = frame;
    flow.pathKeys.add(this.pathKey(pathFrom, i + 1));
    return true;
  }

  private newPodFlow(src: string, dst: string, cat: number, proto: number, frame: number): PodFlow {
    const protocol = cat === CAT_OTHER ? `ip-proto-${proto}` : CAT_NAMES[cat];
    return { r: { src, dst, protocol, packets: 0, firstFrame: frame, lastFrame: frame, paths: [] }, pathKeys: new Set() };
  }

  /** A number naming the layer types [from, to): exact up to 10 layers, else an index into pathOverflow. */
  private pathKey(from: number, to: number): number {
    const st = this.st;
    if (to - from <= 10) {
      let k = 0;
      for (let j = from; j < to; j++) k = k * 32 + st.type[j];
      return k;
    }
    const s = st.path(from, to);
    let idx = this.pathOverflow.indexOf(s);
    if (idx < 0) { idx = this.pathOverflow.length; this.pathOverflow.push(s); }
    return -1 - idx;
  }

  private pathName = (k: number): string => {
    if (k < 0) return this.pathOverflow[-1 - k];
    let s = this.pathCache.get(k);
    if (s === undefined) {
      const parts: string[] = [];
      let v = k;
      while (v > 0) { parts.unshift(LAYER_NAMES[v % 32]); v = Math.floor(v / 32); }
      s = parts.join('/');
      this.pathCache.set(k, s);
    }
    return s;
  };

  private onEsp(i: number, ipIdx: number, f: Frame): number {
    const st = this.st;
    const b = st.bufs[st.src[i]];
    const off = st.off[i];
    const end = off + st.len[i];
    const spi = b.readUInt32BE(off);
    const seq = b.readUInt32BE(off + 4);
    const flow = this.espFlow(ipIdx, spi, f.index);
    const r = flow.r;
    this.espPackets++;
    if (ipIdx + 1 < i && st.type[i - 1] === L.UDP) this.espInUdp++;
    r.packets++;
    r.lastFrame = f.index;
    if (r.packets === 1) {
      r.firstSeq = seq;
    } else if (seq < flow.lastSeq) {
      r.seqIncreasing = false;
      r.seqDecreases++;
    } else if (seq === flow.lastSeq) {
      r.seqRepeats++;
    }
    flow.lastSeq = seq;
    r.lastSeq = seq;
    const size = f.origLen;
    if (size < r.sizes.min) r.sizes.min = size;
    if (size > r.sizes.max) r.sizes.max = size;
    flow.sizeSum += size;
    flow.pathKeys.add(this.pathKey(0, i + 1));

    // Integrity-only ESP: the packet itself follows the header (NULL: right after it; GMAC: after the 8-octet IV).
    // Told by the xfrm state, else by the payload looking like an IPv4/IPv6 header; decoded as visible layers.
    if (flow.nullEncryption || flow.candidates.length === 0) {
      const at = flow.nullEncryption ? nullEspPayload(b, off, end, true) : nullEspPayload(b, off, end, false);
      if (at >= 0) return this.nullEsp(flow, b, at, end);
      if (flow.nullEncryption) return this.nullEsp(flow, b, -1, end);
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
      if (at >= 0) return this.nullEsp(flow, b, at, end);
      return ESP_FAILED;
    }
    this.decOk++;
    d.ok++;
    if (res.nextHeader === 59) return ESP_DECRYPTED; // dummy packet (TFC)
    st.bufs[1] = res.payload;
    st.cur = 1;
    st.quoted = false;
    this.decoder.decodeFrom(ipProtoLayer(res.nextHeader), res.payload, 0, res.payload.length, st);
    st.cur = 0;
    return ESP_DECRYPTED;
  }

  /** Count an integrity-only ESP packet and decode the packet it carries at `at` (-1: not locatable). */
  private nullEsp(flow: EspFlow, b: Buffer, at: number, end: number): number {
    this.espNull++;
    flow.r.nullPackets++;
    if (at >= 0) {
      const st = this.st;
      const v = b[at] >> 4;
      st.quoted = false;
      this.decoder.decodeFrom(v === 4 ? L.IPV4 : L.IPV6, b, at, end, st);
    }
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

  private espFlow(ipIdx: number, spi: number, frame: number): EspFlow {
    const st = this.st;
    const b = st.bufs[st.src[ipIdx]];
    const off = st.off[ipIdx];
    if (st.type[ipIdx] === L.IPV4) {
      const s = b.readUInt32BE(off + 12);
      const d = b.readUInt32BE(off + 16);
      const last = this.lastEsp;
      if (last !== undefined && last.srcN === s && last.dstN === d && last.r.spi === spi) return last;
      let m1 = this.espV4.get(s);
      if (m1 === undefined) { m1 = new Map(); this.espV4.set(s, m1); }
      let m2 = m1.get(d);
      if (m2 === undefined) { m2 = new Map(); m1.set(d, m2); }
      let flow = m2.get(spi);
      if (flow === undefined) {
        if (this.espFlows.length >= MAX_TRACKED_FLOWS) return this.espOverflow(frame);
        flow = this.newEspFlow(formatV4(s), formatV4(d), spi, frame, s, d);
        m2.set(spi, flow);
      }
      this.lastEsp = flow;
      return flow;
    }
    let flow = this.espV6.get(b, off + 8, spi);
    if (flow === undefined) {
      if (this.espFlows.length >= MAX_TRACKED_FLOWS) return this.espOverflow(frame);
      flow = this.newEspFlow(formatV6(b, off + 8), formatV6(b, off + 24), spi, frame, -1, -1);
      this.espV6.set(b, off + 8, spi, flow);
    }
    this.lastEsp = undefined;
    return flow;
  }

  /** The one flow that counts ESP packets of SAs beyond MAX_TRACKED_FLOWS (not in the flow list). */
  private espOther: EspFlow | undefined;
  private espOverflow(frame: number): EspFlow {
    if (this.espOther === undefined) {
      const f = this.newEspFlow('*', '*', 0, frame, -1, -1);
      this.espFlows.pop();
      f.candidates = [];
      this.espOther = f;
    }
    return this.espOther;
  }

  private newEspFlow(src: string, dst: string, spi: number, frame: number, srcN: number, dstN: number): EspFlow {
    const candidates = this.sas.lookup(src, dst, spi);
    const usable = candidates.filter((c) => c.key !== undefined);
    const nullEncryption = candidates.length > 0 && candidates.every((c) => c.nullEncryption);
    const r: EspFlowReport = {
      src, dst, spi, packets: 0, firstSeq: 0, lastSeq: 0, seqIncreasing: true, paths: [],
      sizes: { min: Infinity, max: 0, mean: 0 }, seqDecreases: 0, seqRepeats: 0, firstFrame: frame, lastFrame: frame,
      nullPackets: 0,
    };
    if (usable.length > 0) r.decryption = { ok: 0, failed: 0, sa: usable[0].origin };
    else if (candidates.length > 0 && !nullEncryption) {
      r.decryption = { ok: 0, failed: 0, unsupported: candidates.map((c) => c.unsupported).filter(Boolean).join(', ') };
    }
    const flow: EspFlow = {
      r, pathKeys: new Set(), sizeSum: 0, candidates: usable, pinned: 0,
      seqHi: usable.length > 0 ? usable[0].seqHi : 0, nullEncryption, lastSeq: 0, srcN, dstN,
      lastSeqForHi: 0,
    };
    this.espFlows.push(flow);
    return flow;
  }

  private emitFacts(f: Frame, espIdx: number, decrypted: number, nonceHit: boolean, nonceDec: boolean, nullEsp: boolean): void {
    const st = this.st;
    const ips: FrameFacts['ips'] = [];
    for (let i = 0; i < st.count; i++) {
      const t = st.type[i];
      if (t !== L.IPV4 && t !== L.IPV6) continue;
      const b = st.bufs[st.src[i]];
      const o = st.off[i];
      if (t === L.IPV4) ips.push({ version: 4, src: formatV4(b.readUInt32BE(o + 12)), dst: formatV4(b.readUInt32BE(o + 16)), proto: st.aux[i] });
      else ips.push({ version: 6, src: formatV6(b, o + 8), dst: formatV6(b, o + 24), proto: st.aux[i] });
    }
    const facts: FrameFacts = { frame: f.index, layers: st.path(), ips };
    if (espIdx >= 0) {
      const b = st.bufs[st.src[espIdx]];
      const o = st.off[espIdx];
      let ip = espIdx - 1;
      while (ip >= 0 && st.type[ip] !== L.IPV4 && st.type[ip] !== L.IPV6) ip--;
      const ib = st.bufs[st.src[ip]];
      const io = st.off[ip];
      const v4 = st.type[ip] === L.IPV4;
      facts.esp = {
        src: v4 ? formatV4(ib.readUInt32BE(io + 12)) : formatV6(ib, io + 8),
        dst: v4 ? formatV4(ib.readUInt32BE(io + 16)) : formatV6(ib, io + 24),
        spi: b.readUInt32BE(o), seq: b.readUInt32BE(o + 4),
      };
    }
    if (decrypted === 1) facts.decrypted = 'ok';
    else if (decrypted === 2) facts.decrypted = 'failed';
    if (this.nonce !== undefined) facts.nonce = nonceHit;
    if (nonceDec) facts.nonceDecrypted = true;
    if (nullEsp) facts.nullEsp = true;
    if (st.truncated) facts.truncated = true;
    this.opts.onFrameFacts!(facts);
  }

  report(capture: CaptureSummary, warnings: string[]): Report {
    const o = this.opts;
    const protocols: Record<string, number> = {};
    for (let t = 1; t < LAYER_TYPE_COUNT; t++) if (this.layerFrames[t] > 0) protocols[LAYER_NAMES[t]] = this.layerFrames[t];
    const innerProtocols: Record<string, number> = {};
    for (let t = 1; t < LAYER_TYPE_COUNT; t++) if (this.innerLayerFrames[t] > 0) innerProtocols[LAYER_NAMES[t]] = this.innerLayerFrames[t];

    const flows: EspFlowReport[] = this.espFlows.map((f) => ({
      ...f.r,
      paths: [...f.pathKeys].map(this.pathName).sort(),
      sizes: f.r.packets > 0
        ? { min: f.r.sizes.min, max: f.r.sizes.max, mean: Math.round((f.sizeSum / f.r.packets) * 10) / 10 }
        : { min: 0, max: 0, mean: 0 },
    })).sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : a.spi - b.spi));
    const spis = [...new Set(flows.map((f) => f.spi))].sort((a, b) => a - b);

    // ESP endpoints inside the pod address ranges are node addresses (cilium_host), never pods (CIDR mode only).
    // So are the --endpoints the caller declares: with Cilium >= 1.18 ESP runs between node IPs, yet host
    // traffic from a cilium_host address (inside the pod CIDR) to a remote pod is still host traffic.
    const nodeAddrs = new Set<string>();
    if (!(o.pods && o.pods.length > 0)) {
      for (const f of flows) {
        if (f.src !== '*' && this.pods.matchText(f.src)) nodeAddrs.add(f.src);
        if (f.dst !== '*' && this.pods.matchText(f.dst)) nodeAddrs.add(f.dst);
      }
      for (const e of o.endpoints ?? []) {
        const a = normalizeAddress(e);
        if (this.pods.matchText(a)) nodeAddrs.add(a);
      }
    }

    const allWarnings = [...warnings];
    if (this.espOther) allWarnings.push(`more than ${MAX_TRACKED_FLOWS} ESP SAs: ${this.espOther.r.packets} packets of further SAs counted but not listed`);
    if (this.clear.other || this.inner.other) allWarnings.push(`more than ${MAX_TRACKED_FLOWS} pod flows: the rest are counted as "other flows"`);
    if (this.unsupportedFrames > 0) {
      allWarnings.push(`${this.unsupportedFrames} frame(s) of unsupported link type ${[...this.unsupportedLinkTypes].join(', ')} not decoded`);
    }
    if (this.truncatedFrames > 0) allWarnings.push(`${this.truncatedFrames} frame(s) cut short (snap length or damaged): decoded as far as their bytes go`);
    if (this.malformedFrames > 0) allWarnings.push(`${this.malformedFrames} frame(s) with an inconsistent header: decoding stopped there`);

    const report: Report = {
      verdict: 'inconclusive', reasons: [], meetsExpectation: true, expectationFailures: [],
      frames: this.frames, bytes: this.bytes, warnings: allWarnings, capture, protocols,
      decode: { truncatedFrames: this.truncatedFrames, malformedFrames: this.malformedFrames, fragments: this.fragments,
        unsupportedLinkTypeFrames: this.unsupportedFrames },
      esp: { packets: this.espPackets, spis, flows, nullPackets: this.espNull, inUdp: this.espInUdp },
      cleartext: { ...this.clear.report(this.pathName, MAX_POD_FLOWS, nodeAddrs), podCidrs: o.pods && o.pods.length > 0 ? [] : this.pods.cidrs,
        ...(o.pods && o.pods.length > 0 ? { pods: o.pods.map(normalizeAddress) } : {}) },
    };
    if (o.expect !== undefined) report.expect = o.expect;
    if (this.nonce !== undefined) {
      report.nonce = { text: o.nonce!, hits: this.nonceHits, decryptedHits: this.nonceDecryptedHits, frames: this.nonceFrames };
    }
    if (this.sas.size > 0) {
      report.decryption = { ok: this.decOk, failed: this.decFailed, noKey: this.noKey, sas: this.sas.size,
        inner: { ...this.inner.report(this.pathName, MAX_POD_FLOWS, nodeAddrs), protocols: innerProtocols } };
    }
    decideVerdict(report, o);
    return report;
  }
}

const ESP_OPAQUE = 0, ESP_NULL = 1, ESP_DECRYPTED = 2, ESP_FAILED = 3;

/**
 * Where the carried packet of an integrity-only ESP packet starts, or -1. NULL encryption (RFC 2410) puts it right
 * after the 8-octet ESP header, GMAC (RFC 4543) after an 8-octet IV. Without `trust` (no xfrm state saying so) the
 * bytes must look like a tunnel-mode IPv4 header whose checksum verifies (random ciphertext passes with
 * probability about 2^-24) or an IPv6 header whose payload length ends just before the ESP trailer.
 */
export function nullEspPayload(b: Buffer, off: number, end: number, trust: boolean): number {
  if (looksLikeNullEsp(b, off + 8, end)) return off + 8;
  if (looksLikeNullEsp(b, off + 16, end)) return off + 16;
  if (trust && end - off > 8) {
    const v = b[off + 8] >> 4;
    if (v === 4 || v === 6) return off + 8;
  }
  return -1;
}

/** Whether b[p, end) starts with a plausible cleartext IPv4 (checksum verifies) or IPv6 header (see above). */
export function looksLikeNullEsp(b: Buffer, p: number, end: number): boolean {
  const avail = end - p;
  if (avail < 20) return false;
  const v = b[p];
  if (v === 0x45) {
    const total = (b[p + 2] << 8) | b[p + 3];
    if (total < 20 || total > avail) return false;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[p + i] << 8) | b[p + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum === 0xffff;
  }
  if (v >> 4 === 6 && avail >= 40) {
    const plen = (b[p + 4] << 8) | b[p + 5];
    const nh = b[p + 6];
    // Trailer (pad length, next header) and ICV follow the inner packet: it must end before them.
    return (b[p] & 0x0f) === 0 && plen + 40 <= avail - 2 && plen + 40 >= avail - 2 - 255 - 32
      && (nh === 6 || nh === 17 || nh === 58 || nh === 0 || nh === 44 || nh === 60);
  }
  return false;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
