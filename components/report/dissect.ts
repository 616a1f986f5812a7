/**
 * One frame dissected the way Wireshark's packet details pane shows it: a frame line, then one line per layer
 * ("Internet Protocol Version 4, Src: 10.0.1.124, Dst: 10.0.2.104") with the fields people look for under it
 * ("ESP SPI: 0x00000003 (3)", "ESP Sequence: 15"), and the hex/ASCII pane with the nonce marked.
 *
 * The layers come from the verifier's own decoders (components/verifier/decode): the page shows what the
 * verdict was computed from, not a second opinion. Titles and field texts follow tshark -V (Wireshark 4.0)
 * word for word where a field is shown, so test/report/dissect.test.ts can compare them line by line.
 */
import { readArp } from '../verifier/decode/arp';
import { PacketDecoder } from '../verifier/decode/decoder';
import { ESP_HEADER_LEN, espSeq, espSpi } from '../verifier/decode/esp';
import { readEthernet } from '../verifier/decode/ethernet';
import { readGeneve } from '../verifier/decode/geneve';
import { readIcmp } from '../verifier/decode/icmp';
import { ipBefore } from '../verifier/decode/ip';
import { ipv4TotalLength, readIpv4 } from '../verifier/decode/ipv4';
import { IPV6_HEADER_LEN, ipv6PayloadLength, readIpv6 } from '../verifier/decode/ipv6';
import { L, LINKTYPE, LayerStack } from '../verifier/decode/layers';
import { readSll } from '../verifier/decode/sll';
import { readSll2 } from '../verifier/decode/sll2';
import { readTcp } from '../verifier/decode/tcp';
import { readUdp } from '../verifier/decode/udp';
import { readVlan } from '../verifier/decode/vlan';
import { readVxlan } from '../verifier/decode/vxlan';
import { WG_COOKIE_REPLY, WG_INITIATION, WG_RESPONSE, WG_TRANSPORT, WG_TRANSPORT_HEADER_LEN, wgCounterExact, wgReceiverIndex, wgSenderIndex } from '../verifier/decode/wireguard';

export interface FrameInput {
  /** 1-based frame number. */
  frame: number;
  linkType: number;
  /** The captured bytes. */
  data: Buffer;
  /** Length on the wire (defaults to the captured length). */
  origLen?: number;
  /** Arrival time: seconds since the epoch (fractional, microseconds kept) or exact seconds + nanoseconds. */
  time?: number | { sec: number; nsec: number };
  /** The decrypted ESP payload and the ESP trailer's next header, when decryption succeeded. */
  plaintext?: { data: Buffer; nextHeader: number };
  /** Text to mark in the hex panes (the traffic's nonce). */
  nonce?: string;
  /** UDP ports decoded as VXLAN / Geneve (the verifier's defaults otherwise). */
  vxlanPorts?: readonly number[];
  genevePorts?: readonly number[];
  /** UDP ports decoded as WireGuard (the verifier's default, Cilium's 51871, otherwise). */
  wireguardPorts?: readonly number[];
}

export interface DissectedLayer {
  /** The verifier's layer name ("eth", "ipv4", "esp", ...) or a name for what is not a decoded layer ("data"). */
  layer: string;
  /** The top line, as tshark -V prints it. */
  title: string;
  /** Field lines under it, as tshark -V prints them. */
  fields: string[];
  /** Which bytes: the frame, or the decrypted ESP payload. */
  buffer: 'frame' | 'plaintext';
  start: number;
  end: number;
}

export interface ByteRange { buffer: 'frame' | 'plaintext'; start: number; end: number }

export interface Dissection {
  frame: number;
  /** "Frame 9: 1448 bytes on wire (11584 bits), 1448 bytes captured (11584 bits)" */
  title: string;
  frameFields: string[];
  layers: DissectedLayer[];
  data: Buffer;
  plaintext?: Buffer;
  /** Where the nonce sits (frame bytes and decrypted bytes). */
  nonce: ByteRange[];
  /** The decoders stopped early: the frame is cut short or a header is inconsistent. */
  truncated: boolean;
  malformed: boolean;
}

const ENCAPSULATION: Record<number, string> = {
  [LINKTYPE.ETHERNET]: 'Ethernet (1)',
  [LINKTYPE.RAW]: 'Raw IP (7)',
  [LINKTYPE.LINUX_SLL]: 'Linux cooked-mode capture v1 (25)',
  [LINKTYPE.LINUX_SLL2]: 'Linux cooked-mode capture v2 (210)',
  [LINKTYPE.IPV4]: 'Raw IPv4 (129)',
  [LINKTYPE.IPV6]: 'Raw IPv6 (130)',
};

/** IP protocol names as Wireshark's ip.proto / ipv6.nxt show them. */
const IP_PROTO: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option', 1: 'ICMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'Routing Header for IPv6',
  44: 'Fragment Header for IPv6', 50: 'Encap Security Payload', 51: 'Authentication Header', 58: 'ICMPv6',
  59: 'IPv6 No Next Header', 60: 'Destination Options for IPv6',
};

const ETHER_TYPE: Record<number, string> = {
  0x0800: 'IPv4', 0x86dd: 'IPv6', 0x0806: 'ARP', 0x8100: '802.1Q Virtual LAN', 0x88a8: '802.1ad Provider Bridge (Q-in-Q)',
  0x6558: 'Transparent Ethernet bridging',
};

const ICMP_TYPE: Record<number, string> = {
  0: 'Echo (ping) reply', 3: 'Destination unreachable', 5: 'Redirect', 8: 'Echo (ping) request', 11: 'Time-to-live exceeded',
  12: 'Parameter problem',
};
const ICMPV6_TYPE: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem', 128: 'Echo (ping) request',
  129: 'Echo (ping) reply', 133: 'Router Solicitation', 134: 'Router Advertisement', 135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
};

const SLL_PACKET_TYPE = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

function hex(v: number, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

function named(table: Record<number, string>, v: number, digits?: number): string {
  const name = table[v] ?? 'Unknown';
  return `${name} (${digits === undefined ? v : hex(v, digits)})`;
}

/** "Nov 26, 2025 00:00:00.003000000 UTC" (tshark's frame.time with TZ=UTC). */
export function wiresharkTime(t: number | { sec: number; nsec: number }): string {
  const { sec, nsec } = exactTime(t);
  const d = new Date(sec * 1000);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const p = (n: number) => String(n).padStart(2, '0');
  return `${month} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${String(nsec).padStart(9, '0')} UTC`;
}

/** A fractional time as seconds + nanoseconds: a double keeps microseconds exactly, not nanoseconds. */
function exactTime(t: number | { sec: number; nsec: number }): { sec: number; nsec: number } {
  if (typeof t !== 'number') return t;
  const sec = Math.floor(t);
  return { sec, nsec: Math.round((t - sec) * 1e6) * 1000 };
}

/** Printable HTTP header lines as tshark shows them ("GET / HTTP/1.1\r\n"), up to the blank line. */
function httpLines(b: Buffer, start: number, end: number, max: number): string[] {
  const text = b.subarray(start, Math.min(end, start + 4096)).toString('latin1');
  const lines: string[] = [];
  let i = 0;
  while (lines.length < max) {
    const j = text.indexOf('\r\n', i);
    if (j < 0) break;
    lines.push(`${text.slice(i, j).replace(/[^\x20-\x7e]/g, '.')}\\r\\n`);
    if (j === i) break;
    i = j + 2;
  }
  return lines;
}

/** One decoder per port configuration (the page dissects a few frames with the same ports). */
const decoders = new Map<string, PacketDecoder>();
function decoderFor(p: Pick<FrameInput, 'vxlanPorts' | 'genevePorts' | 'wireguardPorts'>): PacketDecoder {
  const key = [p.vxlanPorts, p.genevePorts, p.wireguardPorts].map((x) => x?.join(',') ?? 'default').join('/');
  let d = decoders.get(key);
  if (d === undefined) {
    d = new PacketDecoder({ vxlanPorts: p.vxlanPorts, genevePorts: p.genevePorts, wireguardPorts: p.wireguardPorts });
    decoders.set(key, d);
  }
  return d;
}

function findAll(hay: Buffer, needle: Buffer, buffer: ByteRange['buffer']): ByteRange[] {
  const out: ByteRange[] = [];
  if (needle.length === 0) return out;
  for (let i = hay.indexOf(needle); i >= 0 && out.length < 64; i = hay.indexOf(needle, i + needle.length)) {
    out.push({ buffer, start: i, end: i + needle.length });
  }
  return out;
}

/** One layer line (or two: UDP adds the ESP-in-UDP line) as a describer gives it; start/end default to the layer's. */
interface Described { layer: string; title: string; fields: string[]; start?: number; end?: number }

/** What a describer reads: the stack entry i, its bytes b[off, end), and the frame's decrypted ESP payload. */
interface LayerAt {
  st: LayerStack;
  i: number;
  b: Buffer;
  off: number;
  end: number;
  /** The ESP layer whose payload was decrypted (the frame's plaintext follows it), else -1. */
  decryptedEsp: number;
  plaintext?: FrameInput['plaintext'];
}

type Describer = (x: LayerAt) => Described[];

const one = (layer: string, title: string, fields: string[], end?: number): Described[] => [{ layer, title, fields, end }];
const sllPacketType = (t: number) => `Packet type: ${SLL_PACKET_TYPE[t] ?? 'Unknown'} (${t})`;
const etherType = (t: number) => `Type: ${named(ETHER_TYPE, t, 4)}`;
const icmpTitle = (v6: boolean) => (v6 ? 'Internet Control Message Protocol v6' : 'Internet Control Message Protocol');

function describeIcmp({ st, i, b, off, end }: LayerAt): Described[] {
  const v6 = st.type[i] === L.ICMPV6;
  const h = readIcmp(b, off);
  const fields = [`Type: ${h.type} (${(v6 ? ICMPV6_TYPE : ICMP_TYPE)[h.type] ?? 'Unknown'})`, `Code: ${h.code}`];
  const echo = v6 ? h.type === 128 || h.type === 129 : h.type === 0 || h.type === 8;
  if (!echo) return one(v6 ? 'icmpv6' : 'icmp', icmpTitle(v6), fields);
  fields.push(v6 ? `Identifier: ${hex(h.id, 4)}` : `Identifier (BE): ${h.id} (${hex(h.id, 4)})`);
  fields.push(v6 ? `Sequence: ${h.seq}` : `Sequence Number (BE): ${h.seq} (${hex(h.seq, 4)})`);
  const dataEnd = icmpEnd(st, i, b);
  if (dataEnd > end) fields.push(`Data (${dataEnd - end} bytes)`);
  return one(v6 ? 'icmpv6' : 'icmp', icmpTitle(v6), fields, dataEnd);
}

/** Per layer type, the lines tshark -V prints for it (titles and the fields people look for). */
const DESCRIBE: Partial<Record<L, Describer>> = {
  [L.ETH]: ({ b, off }) => {
    const h = readEthernet(b, off);
    return one('eth', `Ethernet II, Src: ${h.src}, Dst: ${h.dst}`, [`Destination: ${h.dst}`, `Source: ${h.src}`, etherType(h.type)]);
  },
  [L.VLAN]: ({ b, off }) => {
    const t = readVlan(b, off);
    const title = t.tpid === 0x8100 ? `802.1Q Virtual LAN, PRI: ${t.priority}, DEI: ${t.dei}, ID: ${t.id}` : `IEEE 802.1ad, ID: ${t.id}`;
    return one('vlan', title, [`ID: ${t.id}`, etherType(t.type)]);
  },
  [L.SLL]: ({ b, off }) => {
    const h = readSll(b, off);
    return one('sll', 'Linux cooked capture v1', [sllPacketType(h.packetType), `Protocol: ${named(ETHER_TYPE, h.protocol, 4)}`]);
  },
  [L.SLL2]: ({ b, off }) => {
    const h = readSll2(b, off);
    return one('sll2', 'Linux cooked capture v2', [`Protocol: ${named(ETHER_TYPE, h.protocol, 4)}`, `Interface index: ${h.ifindex}`, sllPacketType(h.packetType)]);
  },
  [L.IPV4]: ({ b, off }) => {
    const h = readIpv4(b, off);
    return one('ipv4', `Internet Protocol Version 4, Src: ${h.src}, Dst: ${h.dst}`, [
      `Total Length: ${h.totalLength}`, `Identification: ${hex(h.id, 4)} (${h.id})`, `Time to Live: ${h.ttl}`,
      `Protocol: ${named(IP_PROTO, h.protocol)}`, `Source Address: ${h.src}`, `Destination Address: ${h.dst}`,
    ]);
  },
  [L.IPV6]: ({ b, off }) => {
    const h = readIpv6(b, off);
    return one('ipv6', `Internet Protocol Version 6, Src: ${h.src}, Dst: ${h.dst}`, [
      `Payload Length: ${h.payloadLength}`, `Next Header: ${named(IP_PROTO, h.nextHeader)}`, `Hop Limit: ${h.hopLimit}`,
      `Source Address: ${h.src}`, `Destination Address: ${h.dst}`,
    ]);
  },
  [L.FRAG]: ({ off, end }) => one('data', `Data (${end - off} bytes)`, ['[IP fragment after the first: not reassembled]']),
  [L.UDP]: ({ st, i, b, off, end }) => {
    const h = readUdp(b, off);
    const out = one('udp', `User Datagram Protocol, Src Port: ${h.srcPort}, Dst Port: ${h.dstPort}`,
      [`Source Port: ${h.srcPort}`, `Destination Port: ${h.dstPort}`, `Length: ${h.length}`]);
    // RFC 3948 ESP-in-UDP: Wireshark shows the encapsulation as its own line.
    const nt = i + 1 < st.count ? st.type[i + 1] : L.NONE;
    if (nt === L.ESP || nt === L.IKE || nt === L.NATKEEPALIVE) {
      out.push({ layer: 'udpencap', title: 'UDP Encapsulation of IPsec Packets', fields: nt === L.NATKEEPALIVE ? ['NAT-keepalive packet'] : nt === L.IKE ? ['Non-ESP Marker'] : [],
        start: end, end: nt === L.IKE ? end + 4 : end });
    }
    return out;
  },
  [L.TCP]: ({ st, i, b, off }) => {
    const h = readTcp(b, off);
    // The segment length from the IP header (as Wireshark): a frame cut short still says how long it was.
    const len = tcpSegmentLength(st, i, b);
    return one('tcp', `Transmission Control Protocol, Src Port: ${h.srcPort}, Dst Port: ${h.dstPort}, Len: ${len}`, [
      `Source Port: ${h.srcPort}`, `Destination Port: ${h.dstPort}`, `[TCP Segment Len: ${len}]`,
      `Sequence Number (raw): ${h.seq}`, `Acknowledgment number (raw): ${h.ack}`,
      `Flags: ${hex(h.flags, 3)} (${tcpFlagNames(h.flags)})`, `Window: ${h.window}`,
      ...(len > 0 ? [`TCP payload (${len} bytes)`] : []),
    ]);
  },
  [L.ICMP]: describeIcmp,
  [L.ICMPV6]: describeIcmp,
  [L.VXLAN]: ({ b, off }) => {
    const h = readVxlan(b, off);
    return one('vxlan', 'Virtual eXtensible Local Area Network', [
      `Flags: ${hex(h.flags, 4)}${h.flags & 0x0800 ? ', VXLAN Network ID (VNI)' : ''}`, `VXLAN Network Identifier (VNI): ${h.vni}`,
    ]);
  },
  [L.GENEVE]: ({ b, off }) => {
    const h = readGeneve(b, off);
    return one('geneve', `Generic Network Virtualization Encapsulation, VNI: ${hex(h.vni, 6)}`, [
      `Version: ${h.version}`, `Protocol Type: ${named(ETHER_TYPE, h.protocol, 4)}`, `Virtual Network Identifier (VNI): ${hex(h.vni, 6)} (${h.vni})`,
    ]);
  },
  [L.ESP]: ({ i, b, off, end, decryptedEsp, plaintext }) => {
    const spi = espSpi(b, off);
    const fields = [`ESP SPI: ${hex(spi, 8)} (${spi})`, `ESP Sequence: ${espSeq(b, off)}`];
    if (plaintext && i === decryptedEsp) {
      // RFC 4106: an 8-octet IV after the ESP header.
      fields.push(`ESP IV: ${b.subarray(off + ESP_HEADER_LEN, off + ESP_HEADER_LEN + 8).toString('hex')} (8 bytes)`);
      fields.push(`[Decrypted: ${plaintext.data.length} bytes, next header ${named(IP_PROTO, plaintext.nextHeader)}]`);
    } else {
      fields.push(`[Encrypted payload: ${end - off - ESP_HEADER_LEN} bytes]`);
    }
    return one('esp', 'Encapsulating Security Payload', fields);
  },
  [L.WIREGUARD]: ({ st, i, b, off, end }) => one('wireguard', 'WireGuard Protocol', wireguardFields(b, off, end, st.aux[i])),
  [L.IKE]: () => one('ike', 'Internet Security Association and Key Management Protocol', []),
  // A NAT-keepalive is shown on the "UDP Encapsulation of IPsec Packets" line.
  [L.NATKEEPALIVE]: () => [],
  [L.HTTP]: ({ b, off, end }) => one('http', 'Hypertext Transfer Protocol', httpLines(b, off, end, 12)),
  [L.ARP]: ({ b, off, end }) => {
    const h = readArp(b, off, end);
    const opName = h.op === 1 ? 'request' : h.op === 2 ? 'reply' : 'Unknown';
    const fields = [`Opcode: ${opName} (${h.op})`];
    const a = h.ethIpv4;
    if (a) fields.push(`Sender MAC address: ${a.senderMac}`, `Sender IP address: ${a.senderIp}`, `Target MAC address: ${a.targetMac}`, `Target IP address: ${a.targetIp}`);
    return one('arp', `Address Resolution Protocol (${opName})`, fields);
  },
};

/** Layers after which bytes the decoders did not interpret are Wireshark's "Data". */
const DATA_AFTER: ReadonlySet<L> = new Set([L.UDP, L.TCP, L.ETH, L.VLAN, L.IPV4, L.IPV6]);

/** Dissects one frame. Never throws on odd bytes: what the decoders could not read ends the layer list. */
export function dissectFrame(input: FrameInput): Dissection {
  const data = input.data;
  const caplen = data.length;
  const origLen = input.origLen ?? caplen;
  const st = new LayerStack();
  const decoder = decoderFor(input);
  const supported = decoder.decodeFrame(data, 0, caplen, input.linkType, st);
  const frameFields = [`Encapsulation type: ${ENCAPSULATION[input.linkType] ?? `link type ${input.linkType}`}`];
  if (input.time !== undefined) {
    frameFields.push(`Arrival Time: ${wiresharkTime(input.time)}`);
    const { sec, nsec } = exactTime(input.time);
    frameFields.push(`Epoch Time: ${sec}.${String(nsec).padStart(9, '0')} seconds`);
  }
  frameFields.push(`Frame Number: ${input.frame}`);
  frameFields.push(`Frame Length: ${origLen} bytes (${origLen * 8} bits)`);
  frameFields.push(`Capture Length: ${caplen} bytes (${caplen * 8} bits)`);
  if (!supported) frameFields.push(`[link type ${input.linkType} is not decoded]`);

  // The decrypted payload is decoded into the same stack, after the ESP entry, as the analyzer does.
  const espAt = st.find(L.ESP);
  const decryptedEsp = input.plaintext && espAt >= 0 && espAt === st.count - 1 ? espAt : -1;
  if (decryptedEsp >= 0) decoder.decodePlaintext(input.plaintext!.data, input.plaintext!.nextHeader, st);
  const plaintext = decryptedEsp >= 0 ? input.plaintext!.data : undefined;

  const layers: DissectedLayer[] = [];
  for (let i = 0; i < st.count; i++) {
    const describe = DESCRIBE[st.type[i] as L];
    if (describe === undefined) continue;
    const buffer = st.src[i] === 0 ? 'frame' : 'plaintext';
    const off = st.off[i];
    const end = off + st.len[i];
    for (const d of describe({ st, i, b: st.bufs[st.src[i]], off, end, decryptedEsp, plaintext: input.plaintext })) {
      layers.push({ layer: d.layer, title: d.title, fields: d.fields, buffer, start: d.start ?? off, end: d.end ?? end });
    }
  }
  // Bytes after the last decoded layer (a UDP or TCP payload, an unknown EtherType or protocol): Wireshark's "Data".
  const last = st.count > 0 ? st.type[st.count - 1] : L.NONE;
  if (DATA_AFTER.has(last) && st.nextEnd > st.next) {
    layers.push({ layer: 'data', title: `Data (${st.nextEnd - st.next} bytes)`, fields: [`[Length: ${st.nextEnd - st.next}]`],
      buffer: st.src[st.count - 1] === 0 ? 'frame' : 'plaintext', start: st.next, end: st.nextEnd });
  }
  if (httpCut(st)) {
    const l = layers[layers.length - 1];
    layers.push({ layer: 'note', title: '[Packet size limited during capture: HTTP truncated]', fields: [], buffer: l.buffer, start: l.end, end: l.end });
  }

  const nonce: ByteRange[] = [];
  if (input.nonce) {
    const needle = Buffer.from(input.nonce, 'utf8');
    nonce.push(...findAll(data, needle, 'frame'));
    if (plaintext) nonce.push(...findAll(plaintext, needle, 'plaintext'));
  }
  return {
    frame: input.frame,
    title: `Frame ${input.frame}: ${origLen} bytes on wire (${origLen * 8} bits), ${caplen} bytes captured (${caplen * 8} bits)`,
    frameFields, layers, data, plaintext, nonce, truncated: st.truncated, malformed: st.malformed,
  };
}

/** A TCP segment whose HTTP headers the capture cut short (the snap length). */
function httpCut(st: LayerStack): boolean {
  for (let i = 0; i + 1 < st.count; i++) {
    if (st.type[i] !== L.TCP || st.type[i + 1] !== L.HTTP) continue;
    const end = st.off[i] + st.len[i];
    if (st.off[i + 1] + st.len[i + 1] < end + tcpSegmentLength(st, i, st.bufs[st.src[i]])) return true;
  }
  return false;
}

/** TCP payload length: the enclosing IP packet's length minus the headers (0 when no IP header says). */
function tcpSegmentLength(st: LayerStack, i: number, b: Buffer): number {
  const ip = ipBefore(st, i);
  if (ip < 0 || st.src[ip] !== st.src[i]) return Math.max(0, st.nextEnd - st.off[i] - st.len[i]);
  const o = st.off[ip];
  const ipEnd = st.type[ip] === L.IPV4 ? o + ipv4TotalLength(b, o) : o + IPV6_HEADER_LEN + ipv6PayloadLength(b, o);
  return Math.max(0, ipEnd - st.off[i] - st.len[i]);
}

/** Where an ICMP echo's data ends: the end of its IP packet (the layer before it says how long that is). */
function icmpEnd(st: LayerStack, i: number, b: Buffer): number {
  if (i === st.count - 1) return st.nextEnd;
  return Math.min(b.length, st.off[i] + st.len[i]);
}

const WG_TYPES = ['', 'Handshake Initiation', 'Handshake Response', 'Cookie Reply', 'Transport Data'];

/** WireGuard message fields (whitepaper section 5.4; little-endian) as Wireshark's wg dissector names them. */
function wireguardFields(b: Buffer, off: number, end: number, kind: number): string[] {
  const len = end - off;
  if (kind < WG_INITIATION || kind > WG_TRANSPORT || len < 8) return [`[Not a valid WireGuard message: ${len} bytes]`];
  const fields = [`Type: ${WG_TYPES[kind]} (${kind})`, `Reserved: ${b.subarray(off + 1, off + 4).toString('hex')}`];
  const sender = wgSenderIndex(b, off, len, kind);
  const receiver = wgReceiverIndex(b, off, len, kind);
  if (sender >= 0) fields.push(`Sender: ${hex(sender, 8)}`);
  if (kind === WG_TRANSPORT) {
    if (len >= WG_TRANSPORT_HEADER_LEN) fields.push(`Receiver: ${hex(receiver, 8)}`, `Counter: ${wgCounterExact(b, off)}`, 'Encrypted Packet');
  } else if (receiver >= 0 && (kind === WG_RESPONSE || kind === WG_COOKIE_REPLY)) {
    fields.push(`Receiver: ${hex(receiver, 8)}`);
  }
  return fields;
}

/** Wireshark names the set flags from the low bit up: "SYN, ACK", "PSH, ACK". */
const TCP_FLAGS: readonly [number, string][] = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR'], [0x100, 'AE']];

function tcpFlagNames(f: number): string {
  const names = TCP_FLAGS.filter(([bit]) => f & bit).map(([, name]) => name);
  return names.length ? names.join(', ') : '<None>';
}
