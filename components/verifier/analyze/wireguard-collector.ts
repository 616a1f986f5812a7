/**
 * WireGuard evidence: valid messages by type, transport data per (outer source, outer destination, receiver
 * index) with its counters (they must only grow per receiver index, as ESP sequence numbers per SA), and datagrams
 * on a WireGuard port that are not valid messages (reported, never evidence).
 *
 * WireGuard's session keys are ephemeral (rotated every two minutes, never exposed by the nodes), so transport
 * data cannot be decrypted: its presence, and the absence of cleartext pod packets beside it, is the evidence.
 */
import type { LayerStack } from '../decode/layers';
import {
  WG_COOKIE_REPLY, WG_INITIATION, WG_INVALID, WG_RESPONSE, WG_TRANSPORT, WG_TRANSPORT_MIN_LEN, wgCounter, wgReceiverIndex,
} from '../decode/wireguard';
import type { WireguardFlowReport, WireguardReport } from '../report';
import { PairFlowTable } from './flow-table';

interface WgFlow {
  r: WireguardFlowReport;
  sizeSum: number;
}

export class WireguardCollector {
  packets = 0;
  dataPackets = 0;
  keepalives = 0;
  handshakes = 0;
  cookieReplies = 0;
  invalid = 0;
  private readonly invalidFrames: number[] = [];
  /** Per (outer source, destination, receiver index); beyond MAX_TRACKED_FLOWS one untracked flow counts the rest. */
  private readonly table = new PairFlowTable<WgFlow>((src, dst, receiver, frame) => newWgFlow(src, dst, receiver, frame));

  constructor(private readonly ports: readonly number[]) {}

  /**
   * The WireGuard layer at stack index i, carried by the IP header at ipIdx, in frame `frame` of time t and
   * original length `size`. Returns whether it is a valid message.
   */
  add(st: LayerStack, i: number, ipIdx: number, frame: number, t: number, size: number): boolean {
    const type = st.aux[i];
    if (type === WG_INVALID) {
      this.invalid++;
      if (this.invalidFrames.length < 20) this.invalidFrames.push(frame);
      return false;
    }
    this.packets++;
    if (type === WG_INITIATION || type === WG_RESPONSE) this.handshakes++;
    else if (type === WG_COOKIE_REPLY) this.cookieReplies++;
    if (type !== WG_TRANSPORT) return true;
    this.dataPackets++;
    const b = st.bufs[st.src[i]];
    const off = st.off[i];
    const len = st.len[i];
    if (len === WG_TRANSPORT_MIN_LEN) this.keepalives++;
    const receiver = wgReceiverIndex(b, off, len, type);
    const counter = wgCounter(b, off, len);
    if (receiver < 0 || counter < 0) return true; // cut short by the snap length: counted, not tracked
    const flow = this.table.get(st, ipIdx, receiver, frame);
    const r = flow.r;
    r.packets++;
    r.lastFrame = frame;
    if (r.packets === 1) {
      r.firstCounter = counter;
      r.firstTime = t;
      r.lastTime = t;
    } else if (counter < r.lastCounter) {
      r.counterIncreasing = false;
      r.counterDecreases++;
    } else if (counter === r.lastCounter) {
      r.counterRepeats++;
    }
    r.lastCounter = counter;
    if (t < r.firstTime) r.firstTime = t;
    if (t > r.lastTime) r.lastTime = t;
    if (size < r.sizes.min) r.sizes.min = size;
    if (size > r.sizes.max) r.sizes.max = size;
    flow.sizeSum += size;
    return true;
  }

  get untrackedPackets(): number {
    return this.table.untracked ? this.table.untracked.r.packets : 0;
  }

  report(): WireguardReport {
    const flows = this.table.flows.map((f) => ({
      ...f.r,
      sizes: f.r.packets > 0 ? { min: f.r.sizes.min, max: f.r.sizes.max, mean: Math.round((f.sizeSum / f.r.packets) * 10) / 10 }
        : { min: 0, max: 0, mean: 0 },
    })).sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : a.receiverIndex - b.receiverIndex));
    return {
      ports: [...this.ports], packets: this.packets, dataPackets: this.dataPackets, keepalives: this.keepalives,
      handshakes: this.handshakes, cookieReplies: this.cookieReplies, invalid: this.invalid, invalidFrames: [...this.invalidFrames], flows,
    };
  }
}

function newWgFlow(src: string, dst: string, receiverIndex: number, frame: number): WgFlow {
  return {
    r: { src, dst, receiverIndex, packets: 0, firstCounter: 0, lastCounter: 0, counterIncreasing: true, counterDecreases: 0,
      counterRepeats: 0, firstTime: 0, lastTime: 0, firstFrame: frame, lastFrame: frame, sizes: { min: Infinity, max: 0, mean: 0 } },
    sizeSum: 0,
  };
}
