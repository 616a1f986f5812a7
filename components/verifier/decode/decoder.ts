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
import { DecodeContext, L, LINKTYPE, LayerStack, MAX_LAYERS, ipProtoLayer } from './layers';
import { PortOptions, PortTable } from './ports';
import { decodeRawIp } from './rawip';
import { decodeSll } from './sll';
import { decodeSll2 } from './sll2';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';
import { decodeVlan } from './vlan';
import { decodeVxlan } from './vxlan';
import { decodeWireguard } from './wireguard';

/** UDP ports decoded as VXLAN, Geneve and WireGuard; a kind not given keeps its default (./ports.ts). */
export type DecoderOptions = PortOptions;

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
  constructor(opts: DecoderOptions = {}) {
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

  /**
   * Decodes a decrypted ESP payload after the frame's layers: its entries refer to `payload` (buffer 1 of the
   * stack), the first layer is the one the ESP trailer's next header names.
   */
  decodePlaintext(payload: Buffer, nextHeader: number, st: LayerStack): void {
    st.bufs[1] = payload;
    st.cur = 1;
    st.quoted = false;
    this.decodeFrom(ipProtoLayer(nextHeader), payload, 0, payload.length, st);
    st.cur = 0;
  }

  /**
   * Decodes the IP packet an integrity-only ESP packet carries readable in the frame itself, at buf[at, end)
   * (IPv4 or IPv6 by its version nibble).
   */
  decodeCarried(buf: Buffer, at: number, end: number, st: LayerStack): void {
    st.quoted = false;
    this.decodeFrom(buf[at] >> 4 === 4 ? L.IPV4 : L.IPV6, buf, at, end, st);
  }

  /** Decode layers starting with `type` at buf[off, end), appending to `st` (entries tagged with st.cur). */
  decodeFrom(type: L, buf: Buffer, off: number, end: number, st: LayerStack): void {
    const ctx = this.ctx;
    let t = type;
    let o = off;
    let e = end;
    while (t !== L.NONE && t !== L.UNKNOWN) {
      if (st.count >= MAX_LAYERS) { st.truncated = true; return; }
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
