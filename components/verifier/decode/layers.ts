/**
 * Shared layer vocabulary for the decoders: layer type numbers, their names, the "what comes next" tables
 * (EtherType, IP protocol, UDP port) and the preallocated layer stack every decoder writes into.
 *
 * Design (after google/gopacket's DecodingLayerParser, without its one-struct-per-type limit):
 * - A decoder is a pure function `(buf, off, end, st) => next layer type`. It checks the length before reading,
 *   pushes one (type, offset, length) entry, sets `st.next` to where the next layer starts, and names the next
 *   layer through the tables below. No decoder imports another; the dispatch lives in ./decoder.ts.
 * - The stack is a set of typed arrays reused for every frame, so an outer and an inner IPv4 both survive and
 *   nothing is allocated per frame. Short data never throws: the decoder sets `st.truncated` and stops.
 * - Which UDP port names which layer is ./ports.ts: the one table of default ports.
 */
import type { PortTable } from './ports';


/** Layer type numbers (small integers: they index arrays and pack into path keys, 5 bits each). */
export enum L {
  NONE = 0,
  ETH = 1,
  VLAN = 2,
  SLL = 3,
  SLL2 = 4,
  IPV4 = 5,
  IPV6 = 6,
  FRAG = 7,
  UDP = 8,
  TCP = 9,
  ICMP = 10,
  ICMPV6 = 11,
  VXLAN = 12,
  GENEVE = 13,
  ESP = 14,
  IKE = 15,
  HTTP = 16,
  ARP = 17,
  /** Raw-IP link: not a header, the dispatcher picks IPv4/IPv6 from the version nibble. */
  RAWIP = 18,
  NATKEEPALIVE = 19,
  /** Bytes the decoders do not interpret (a payload, an unknown protocol). Never pushed. */
  UNKNOWN = 20,
  /** A WireGuard message on a WireGuard port (`aux` = its type, 0 when it is not a valid message). */
  WIREGUARD = 21,
}

/** Names used in paths ("eth/ipv4/udp/vxlan/eth/ipv4/esp") and in FrameFacts.layers. */
export const LAYER_NAMES: readonly string[] = [
  'none', 'eth', 'vlan', 'sll', 'sll2', 'ipv4', 'ipv6', 'frag', 'udp', 'tcp', 'icmp', 'icmpv6', 'vxlan',
  'geneve', 'esp', 'ike', 'http', 'arp', 'raw', 'nat-keepalive', 'unknown', 'wireguard',
];
export const LAYER_TYPE_COUNT = LAYER_NAMES.length;

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** EtherType -> layer. */
export function etherTypeLayer(t: number): L {
  switch (t) {
    case 0x0800: return L.IPV4;
    case 0x86dd: return L.IPV6;
    case 0x8100: case 0x88a8: case 0x9100: return L.VLAN;
    case 0x0806: return L.ARP;
    default: return L.UNKNOWN;
  }
}

/** IP protocol number (IPv4 protocol / IPv6 final next header) -> layer. */
export function ipProtoLayer(p: number): L {
  switch (p) {
    case 1: return L.ICMP;
    case 4: return L.IPV4;   // IP-in-IP
    case 6: return L.TCP;
    case 17: return L.UDP;
    case 41: return L.IPV6;
    case 50: return L.ESP;
    case 58: return L.ICMPV6;
    default: return L.UNKNOWN;
  }
}

/** Geneve "Protocol Type" (an EtherType, RFC 8926 section 3.4) -> layer. 0x6558 is Transparent Ethernet Bridging. */
export function geneveProtoLayer(t: number): L {
  return t === 0x6558 ? L.ETH : etherTypeLayer(t);
}

/** Maximum layers per frame (after that the frame is marked truncated: a loop of encapsulations). */
export const MAX_LAYERS = 48;

/**
 * The per-frame layer stack. Entries are (type, offset, length, aux, source buffer). `aux` carries one number a
 * later reader needs without re-decoding: for IPv4/IPv6 the transport protocol (IPv6: the last next header).
 * Buffer 0 is the frame; buffer 1 is the plaintext of a decrypted ESP payload.
 */
export class LayerStack {
  readonly type = new Uint8Array(MAX_LAYERS);
  readonly off = new Int32Array(MAX_LAYERS);
  readonly len = new Int32Array(MAX_LAYERS);
  readonly aux = new Int32Array(MAX_LAYERS);
  readonly src = new Uint8Array(MAX_LAYERS);
  readonly bufs: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0)];
  count = 0;
  /** Buffer index the decoders are currently writing entries for. */
  cur = 0;
  /** Where the next layer starts (set by each decoder). */
  next = 0;
  /** End of the bytes the next layer may use (IP total length / UDP length trim padding). */
  nextEnd = 0;
  /** The data ended before a header did (or a length field pointed past the captured bytes). */
  truncated = false;
  /** A header was inconsistent (e.g. IPv4 IHL < 5): decoding stopped there. */
  malformed = false;
  /** An IP fragment other than the first was seen (counted, not decoded). */
  fragment = false;
  /** Set while decoding the IP packet an ICMP error quotes: its cut-short lengths are not truncation. */
  quoted = false;

  reset(): void {
    this.count = 0;
    this.cur = 0;
    this.truncated = false;
    this.malformed = false;
    this.fragment = false;
    this.quoted = false;
  }

  /** Push a layer; returns false (and marks truncation) when the stack is full. */
  push(type: L, off: number, len: number, aux: number): boolean {
    const i = this.count;
    if (i >= MAX_LAYERS) {
      this.truncated = true;
      return false;
    }
    this.type[i] = type;
    this.off[i] = off;
    this.len[i] = len;
    this.aux[i] = aux;
    this.src[i] = this.cur;
    this.count = i + 1;
    return true;
  }

  /**
   * A header runs past the data: marks truncation and stops (returns L.NONE). Inside the IP packet an ICMP error
   * quotes, short lengths are the quote's, not the capture's, and are not truncation.
   */
  short(): L {
    if (!this.quoted) this.truncated = true;
    return L.NONE;
  }

  /** A header field is impossible (IPv4 IHL < 5, a version that is not the layer's): marks it and stops. */
  bad(): L {
    this.malformed = true;
    return L.NONE;
  }

  /** The decrypted ESP payload being decoded into this stack (buffer 1; see PacketDecoder.decodePlaintext). */
  get plaintext(): Buffer {
    return this.bufs[1];
  }

  /** Index of the first entry of a type at or after `from`, or -1. */
  find(type: L, from = 0): number {
    for (let i = from; i < this.count; i++) if (this.type[i] === type) return i;
    return -1;
  }

  /** "eth/ipv4/udp/vxlan/..." for entries [from, to) (allocates: not for the hot path). */
  path(from = 0, to = this.count): string {
    const parts: string[] = [];
    for (let i = from; i < to; i++) parts.push(LAYER_NAMES[this.type[i]]);
    return parts.join('/');
  }
}

/** Signature every decoder follows. Returns the next layer type (L.NONE to stop). */
export type Decoder = (buf: Buffer, off: number, end: number, st: LayerStack, ctx: DecodeContext) => L;

/** Per-decoder-instance configuration the decoders may read. */
export interface DecodeContext {
  ports: PortTable;
}
