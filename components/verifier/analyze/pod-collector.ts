/**
 * Pod traffic: IP headers whose source and destination are both pod addresses, keyed by (src, dst, protocol).
 * One collector counts the cleartext ones on the wire; another counts the ones found inside decrypted ESP.
 *
 * `nodeAddrs` at report time: addresses that terminate ESP (Cilium <= 1.17: the cilium_host router IPs, which sit
 * inside the pod CIDR). Traffic to or from them is host traffic, not pod-to-pod: moved out of the pod counts into
 * `nodeTraffic`.
 */
import { ipDstText, ipSrcText } from '../decode/ip';
import { ipv4Dst, ipv4Src } from '../decode/ipv4';
import { IPV6_DST, IPV6_SRC } from '../decode/ipv6';
import { L, LayerStack } from '../decode/layers';
import type { PodFlowReport, PodTraffic } from '../report';
import type { AddressMatcher } from './addr';
import { MAX_TRACKED_FLOWS, V6Table } from './flow-table';
import type { PathNames } from './paths';
import { C_HOST, C_POD, PodFlowTimes, TimelineCollector, mergeWindows } from './timeline';

// Pod protocol categories (index into counters).
const CAT_OTHER = 0, CAT_ICMP = 1, CAT_ICMPV6 = 2, CAT_TCP = 3, CAT_HTTP = 4, CAT_UDP = 5, CAT_FRAG = 6;
const CAT_NAMES = ['other', 'icmp', 'icmpv6', 'tcp', 'http', 'udp', 'fragment'];

export interface PodFlow {
  r: PodFlowReport;
  pathKeys: Set<number>;
  /** When its packets were seen (the cleartext collector only). */
  times?: PodFlowTimes;
}

export class PodCollector {
  packets = 0;
  private readonly byCat = new Float64Array(CAT_NAMES.length);
  private readonly otherProto = new Float64Array(256);
  private readonly v4 = new Map<number, Map<number, PodFlow>>();
  private readonly v6 = new V6Table<PodFlow>();
  private readonly flows: PodFlow[] = [];
  /** Flows beyond MAX_TRACKED_FLOWS, counted together. */
  other: PodFlow | undefined;
  /** The flow the last counted packet went to. */
  last: PodFlow | undefined;

  /** `timeline`: record when each flow's packets were seen (for the timeline and the cleartext windows). */
  constructor(private readonly pods: AddressMatcher, private readonly paths: PathNames,
    private readonly timeline?: TimelineCollector) {}

  /**
   * The IP header at stack index i: counted when it is a pod packet. `pathFrom` is where its path starts (0 on
   * the wire, the first decrypted layer inside ESP); t the frame's time. Returns whether it was counted.
   */
  add(st: LayerStack, i: number, frame: number, pathFrom: number, t: number): boolean {
    const b = st.bufs[st.src[i]];
    const off = st.off[i];
    const proto = st.aux[i];
    // A pod-addressed header whose payload is ESP (Cilium <= 1.17: cilium_host -> cilium_host) or another IP
    // header (the inner one is checked on its own) is a tunnel, not cleartext pod traffic.
    if (proto === 50 || proto === 4 || proto === 41) return false;
    const v4 = st.type[i] === L.IPV4;
    let s = 0, d = 0;
    if (v4) {
      s = ipv4Src(b, off);
      d = ipv4Dst(b, off);
      if (!this.pods.matchV4(s) || !this.pods.matchV4(d)) return false;
    } else if (!this.pods.matchV6(b, off + IPV6_SRC) || !this.pods.matchV6(b, off + IPV6_DST)) {
      return false;
    }
    let cat = CAT_OTHER;
    const nt = i + 1 < st.count ? st.type[i + 1] : L.NONE;
    if (nt === L.FRAG) cat = CAT_FRAG;
    else if (proto === 1) cat = CAT_ICMP;
    else if (proto === 58) cat = CAT_ICMPV6;
    else if (proto === 17) cat = CAT_UDP;
    else if (proto === 6) cat = i + 2 < st.count && nt === L.TCP && st.type[i + 2] === L.HTTP ? CAT_HTTP : CAT_TCP;
    this.packets++;
    if (cat === CAT_OTHER) this.otherProto[proto & 255]++;
    else this.byCat[cat]++;
    let flow: PodFlow | undefined;
    if (v4) {
      let m = this.v4.get(s);
      if (m === undefined) { m = new Map(); this.v4.set(s, m); }
      const k = d * 4096 + cat * 256 + proto;
      flow = m.get(k);
      if (flow === undefined) {
        if (this.flows.length >= MAX_TRACKED_FLOWS) flow = this.overflow(frame);
        else {
          flow = newPodFlow(ipSrcText(st, i), ipDstText(st, i), cat, proto, frame);
          m.set(k, flow);
          this.flows.push(flow);
        }
      }
    } else {
      const k = cat * 256 + proto;
      flow = this.v6.get(b, off + IPV6_SRC, k);
      if (flow === undefined) {
        if (this.flows.length >= MAX_TRACKED_FLOWS) flow = this.overflow(frame);
        else {
          flow = newPodFlow(ipSrcText(st, i), ipDstText(st, i), cat, proto, frame);
          this.v6.set(b, off + IPV6_SRC, k, flow);
          this.flows.push(flow);
        }
      }
    }
    flow.r.packets++;
    flow.r.lastFrame = frame;
    flow.pathKeys.add(this.paths.key(st, pathFrom, i + 1));
    if (this.timeline !== undefined) {
      if (flow.times === undefined) flow.times = new PodFlowTimes();
      flow.times.add(t, this.timeline);
    }
    this.last = flow;
    return true;
  }

  private overflow(frame: number): PodFlow {
    if (this.other === undefined) {
      this.other = { r: { src: '*', dst: '*', protocol: 'other flows (not tracked)', packets: 0, firstFrame: frame, lastFrame: frame, paths: [] },
        pathKeys: new Set() };
    }
    return this.other;
  }

  /** Whether a flow is host traffic rather than pod-to-pod (see the file comment). */
  static isNodeFlow(f: PodFlow, nodeAddrs: ReadonlySet<string>): boolean {
    return nodeAddrs.has(f.r.src) || nodeAddrs.has(f.r.dst);
  }

  /**
   * Adds every flow's packets to the timeline (pod-to-pod as podCleartext, node flows as host) and returns the
   * time windows of the pod-to-pod ones. `capped`: some windows were merged to stay bounded.
   */
  reportTimes(nodeAddrs: ReadonlySet<string>): { windows: { start: number; end: number; packets: number }[]; capped: boolean } {
    const all: { start: number; end: number; packets: number }[] = [];
    let capped = false;
    for (const f of [...this.flows, ...(this.other ? [this.other] : [])]) {
      if (f.times === undefined || this.timeline === undefined) continue;
      const node = PodCollector.isNodeFlow(f, nodeAddrs);
      f.times.addTo(this.timeline, node ? C_HOST : C_POD);
      if (node) continue;
      all.push(...f.times.allWindows());
      if (f.times.capped) capped = true;
    }
    const merged = mergeWindows(all);
    return { windows: merged.windows, capped: capped || merged.capped };
  }

  report(maxFlows: number, nodeAddrs: ReadonlySet<string>): PodTraffic {
    const byProtocol: Record<string, number> = {};
    for (let c = 1; c < CAT_NAMES.length; c++) if (this.byCat[c] > 0) byProtocol[CAT_NAMES[c]] = this.byCat[c];
    for (let p = 0; p < 256; p++) if (this.otherProto[p] > 0) byProtocol[`ip-proto-${p}`] = this.otherProto[p];
    const all = [...this.flows, ...(this.other ? [this.other] : [])]
      .sort((a, b) => b.r.packets - a.r.packets || a.r.firstFrame - b.r.firstFrame)
      .map((f) => ({ ...f.r, paths: [...f.pathKeys].map(this.paths.name).sort() }));
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

function newPodFlow(src: string, dst: string, cat: number, proto: number, frame: number): PodFlow {
  const protocol = cat === CAT_OTHER ? `ip-proto-${proto}` : CAT_NAMES[cat];
  return { r: { src, dst, protocol, packets: 0, firstFrame: frame, lastFrame: frame, paths: [] }, pathKeys: new Set() };
}
