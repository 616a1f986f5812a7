/**
 * The dispatcher: starts from a link type (or any layer type, for decrypted payloads), calls the decoder the
 * current layer type names, and repeats until a decoder answers L.NONE / L.UNKNOWN. Decoders never call each
 * other; this switch is the only place that knows them all.
 */
import { decodeArp } from './arp';
import { decodeEsp } from './esp';
import { decodeEthernet } from './ethernet';
import { decodeGeneve } from './geneve';
import { decodeHttp } from './http';
import { decodeIcmp, decodeIcmpv6 } from './icmp';
import { decodeIke, decodeNatKeepalive } from './ike';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { DecodeContext, L, LINKTYPE, LayerStack, PortTable } from './layers';
import { decodeRawIp } from './rawip';
import { decodeSll } from './sll';
import { decodeSll2 } from './sll2';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';
import { decodeVlan } from './vlan';
import { decodeVxlan } from './vxlan';
import { decodeWireguard } from './wireguard';

export interface DecoderOptions {
  vxlanPorts: readonly number[];
  genevePorts: readonly number[];
  /** UDP ports decoded as WireGuard (default 51871, Cilium's). */
  wireguardPorts?: readonly number[];
}

/** First layer for a LINKTYPE_*, or L.NONE when we do not decode that link type. */
export function linkTypeLayer(linkType: number): L {
  switch (linkType) {
    case LINKTYPE.ETHERNET: return L.ETH;
    case LINKTYPE.LINUX_SLL: return L.SLL;
    case LINKTYPE.LINUX_SLL2: return L.SLL2;
    case LINKTYPE.RAW: return L.RAWIP;
    case 12: case 14: return L.RAWIP; // DLT_RAW on some BSDs, as pcap files sometimes carry it
    case LINKTYPE.IPV4: return L.IPV4;
    case LINKTYPE.IPV6: return L.IPV6;
    default: return L.NONE;
  }
}

export class PacketDecoder {
  readonly ctx: DecodeContext;
  constructor(opts: DecoderOptions = { vxlanPorts: [8472, 4789], genevePorts: [6081] }) {
    this.ctx = { ports: new PortTable(opts) };
  }

  /** Decode one frame into `st` (which is reset first). Returns false for an unsupported link type. */
  decodeFrame(buf: Buffer, off: number, caplen: number, linkType: number, st: LayerStack): boolean {
    st.reset();
    st.bufs[0] = buf;
    const first = linkTypeLayer(linkType);
    if (first === L.NONE) return false;
    this.decodeFrom(first, buf, off, off + caplen, st);
    return true;
  }

  /** Decode layers starting with `type` at buf[off, end), appending to `st` (entries tagged with st.cur). */
  decodeFrom(type: L, buf: Buffer, off: number, end: number, st: LayerStack): void {
    const ctx = this.ctx;
    let t = type;
    let o = off;
    let e = end;
    while (t !== L.NONE && t !== L.UNKNOWN) {
      if (st.count >= 48) { st.truncated = true; return; }
      switch (t) {
        case L.ETH: t = decodeEthernet(buf, o, e, st, ctx); break;
        case L.VLAN: t = decodeVlan(buf, o, e, st, ctx); break;
        case L.SLL: t = decodeSll(buf, o, e, st, ctx); break;
        case L.SLL2: t = decodeSll2(buf, o, e, st, ctx); break;
        case L.RAWIP: t = decodeRawIp(buf, o, e, st, ctx); break;
        case L.IPV4: t = decodeIpv4(buf, o, e, st, ctx); break;
        case L.IPV6: t = decodeIpv6(buf, o, e, st, ctx); break;
        case L.UDP: t = decodeUdp(buf, o, e, st, ctx); break;
        case L.TCP: t = decodeTcp(buf, o, e, st, ctx); break;
        case L.ICMP: t = decodeIcmp(buf, o, e, st, ctx); break;
        case L.ICMPV6: t = decodeIcmpv6(buf, o, e, st, ctx); break;
        case L.VXLAN: t = decodeVxlan(buf, o, e, st, ctx); break;
        case L.GENEVE: t = decodeGeneve(buf, o, e, st, ctx); break;
        case L.ESP: t = decodeEsp(buf, o, e, st, ctx); break;
        case L.IKE: t = decodeIke(buf, o, e, st, ctx); break;
        case L.NATKEEPALIVE: t = decodeNatKeepalive(buf, o, e, st, ctx); break;
        case L.HTTP: t = decodeHttp(buf, o, e, st, ctx); break;
        case L.ARP: t = decodeArp(buf, o, e, st, ctx); break;
        case L.WIREGUARD: t = decodeWireguard(buf, o, e, st, ctx); break;
        default: return;
      }
      o = st.next;
      e = st.nextEnd;
    }
  }
}
