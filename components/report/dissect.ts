/**
 * One frame dissected the way Wireshark's packet details pane shows it: a frame line, then one line per layer
 * ("Internet Protocol Version 4, Src: 10.0.1.124, Dst: 10.0.2.104") with the fields people look for under it
 * ("ESP SPI: 0x00000003 (3)", "ESP Sequence: 15"), and the hex/ASCII pane with the nonce marked.
 *
 * The layers come from the verifier's own decoders (components/verifier/decode): the page shows what the
 * verdict was computed from, not a second opinion. Titles and field texts follow tshark -V (Wireshark 4.0)
 * word for word where a field is shown, so test/report/dissect.test.ts can compare them line by line.
 */
import { PacketDecoder } from '../verifier/decode/decoder';
import { L, LINKTYPE, LayerStack, ipProtoLayer } from '../verifier/decode/layers';
import { formatV4, formatV6 } from '../verifier/analyze/addr';

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

function mac(b: Buffer, off: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[off + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

function u16(b: Buffer, off: number): number {
  return (b[off] << 8) | b[off + 1];
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

const decoders = new Map<string, PacketDecoder>();
function decoderFor(vxlan: readonly number[], geneve: readonly number[], wireguard?: readonly number[]): PacketDecoder {
  const key = `${vxlan.join(',')}/${geneve.join(',')}/${wireguard?.join(',') ?? ''}`;
  let d = decoders.get(key);
  if (d === undefined) {
    d = new PacketDecoder({ vxlanPorts: vxlan, genevePorts: geneve, ...(wireguard ? { wireguardPorts: wireguard } : {}) });
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

/** Dissects one frame. Never throws on odd bytes: what the decoders could not read ends the layer list. */
export function dissectFrame(input: FrameInput): Dissection {
  const data = input.data;
  const caplen = data.length;
  const origLen = input.origLen ?? caplen;
  const st = new LayerStack();
  const decoder = decoderFor(input.vxlanPorts ?? [8472, 4789], input.genevePorts ?? [6081], input.wireguardPorts);
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
  let plaintext: Buffer | undefined;
  if (input.plaintext && espAt >= 0 && espAt === st.count - 1) {
    plaintext = input.plaintext.data;
    st.bufs[1] = plaintext;
    st.cur = 1;
    st.quoted = false;
    const first = ipProtoLayer(input.plaintext.nextHeader);
    if (first !== L.UNKNOWN) decoder.decodeFrom(first, plaintext, 0, plaintext.length, st);
    st.cur = 0;
  }

  const layers: DissectedLayer[] = [];
  let cutHttp = false;
  for (let i = 0; i < st.count; i++) {
    const b = st.bufs[st.src[i]];
    const buffer = st.src[i] === 0 ? 'frame' : 'plaintext';
    const off = st.off[i];
    const end = off + st.len[i];
    const push = (layer: string, title: string, fields: string[], e = end) => layers.push({ layer, title, fields, buffer, start: off, end: e });
    switch (st.type[i] as L) {
      case L.ETH: {
        const type = st.aux[i];
        push('eth', `Ethernet II, Src: ${mac(b, off + 6)}, Dst: ${mac(b, off)}`,
          [`Destination: ${mac(b, off)}`, `Source: ${mac(b, off + 6)}`, `Type: ${named(ETHER_TYPE, type, 4)}`]);
        break;
      }
      case L.VLAN: {
        const tpid = u16(b, off - 2);
        const tci = u16(b, off);
        const type = u16(b, off + 2);
        const id = tci & 0x0fff;
        const title = tpid === 0x8100 ? `802.1Q Virtual LAN, PRI: ${tci >> 13}, DEI: ${(tci >> 12) & 1}, ID: ${id}` : `IEEE 802.1ad, ID: ${id}`;
        push('vlan', title, [`ID: ${id}`, `Type: ${named(ETHER_TYPE, type, 4)}`]);
        break;
      }
      case L.SLL: {
        const pt = u16(b, off);
        push('sll', 'Linux cooked capture v1', [`Packet type: ${SLL_PACKET_TYPE[pt] ?? 'Unknown'} (${pt})`,
          `Protocol: ${named(ETHER_TYPE, u16(b, off + 14), 4)}`]);
        break;
      }
      case L.SLL2: {
        const pt = b[off + 10];
        push('sll2', 'Linux cooked capture v2', [`Protocol: ${named(ETHER_TYPE, u16(b, off), 4)}`,
          `Interface index: ${b.readInt32BE(off + 4)}`, `Packet type: ${SLL_PACKET_TYPE[pt] ?? 'Unknown'} (${pt})`]);
        break;
      }
      case L.IPV4: {
        const src = formatV4(b.readUInt32BE(off + 12));
        const dst = formatV4(b.readUInt32BE(off + 16));
        const id = u16(b, off + 4);
        push('ipv4', `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`, [
          `Total Length: ${u16(b, off + 2)}`, `Identification: ${hex(id, 4)} (${id})`, `Time to Live: ${b[off + 8]}`,
          `Protocol: ${named(IP_PROTO, b[off + 9])}`, `Source Address: ${src}`, `Destination Address: ${dst}`,
        ]);
        break;
      }
      case L.IPV6: {
        const src = formatV6(b, off + 8);
        const dst = formatV6(b, off + 24);
        push('ipv6', `Internet Protocol Version 6, Src: ${src}, Dst: ${dst}`, [
          `Payload Length: ${u16(b, off + 4)}`, `Next Header: ${named(IP_PROTO, b[off + 6])}`, `Hop Limit: ${b[off + 7]}`,
          `Source Address: ${src}`, `Destination Address: ${dst}`,
        ]);
        break;
      }
      case L.FRAG:
        push('data', `Data (${end - off} bytes)`, ['[IP fragment after the first: not reassembled]']);
        break;
      case L.UDP: {
        const sp = u16(b, off);
        const dp = u16(b, off + 2);
        push('udp', `User Datagram Protocol, Src Port: ${sp}, Dst Port: ${dp}`,
          [`Source Port: ${sp}`, `Destination Port: ${dp}`, `Length: ${u16(b, off + 4)}`]);
        // RFC 3948 ESP-in-UDP: Wireshark shows the encapsulation as its own line.
        const nt = i + 1 < st.count ? st.type[i + 1] : L.NONE;
        if (nt === L.ESP || nt === L.IKE || nt === L.NATKEEPALIVE) {
          layers.push({ layer: 'udpencap', title: 'UDP Encapsulation of IPsec Packets', fields: nt === L.NATKEEPALIVE ? ['NAT-keepalive packet'] : nt === L.IKE ? ['Non-ESP Marker'] : [],
            buffer, start: end, end: nt === L.IKE ? end + 4 : end });
        }
        break;
      }
      case L.TCP: {
        const sp = u16(b, off);
        const dp = u16(b, off + 2);
        // The segment length from the IP header (as Wireshark): a frame cut short still says how long it was.
        const len = tcpSegmentLength(st, i, b);
        const flags = ((b[off + 12] & 0x01) << 8) | b[off + 13];
        push('tcp', `Transmission Control Protocol, Src Port: ${sp}, Dst Port: ${dp}, Len: ${len}`, [
          `Source Port: ${sp}`, `Destination Port: ${dp}`, `[TCP Segment Len: ${len}]`,
          `Sequence Number (raw): ${b.readUInt32BE(off + 4)}`, `Acknowledgment number (raw): ${b.readUInt32BE(off + 8)}`,
          `Flags: ${hex(flags, 3)} (${tcpFlagNames(flags)})`, `Window: ${u16(b, off + 14)}`,
          ...(len > 0 ? [`TCP payload (${len} bytes)`] : []),
        ]);
        if (i + 1 < st.count && st.type[i + 1] === L.HTTP && st.off[i + 1] + st.len[i + 1] < end + len) cutHttp = true;
        break;
      }
      case L.ICMP: case L.ICMPV6: {
        const v6 = st.type[i] === L.ICMPV6;
        const type = b[off];
        const fields = [`Type: ${type} (${(v6 ? ICMPV6_TYPE : ICMP_TYPE)[type] ?? 'Unknown'})`, `Code: ${b[off + 1]}`];
        const echo = v6 ? type === 128 || type === 129 : type === 0 || type === 8;
        if (echo) {
          const id = u16(b, off + 4);
          const seq = u16(b, off + 6);
          fields.push(v6 ? `Identifier: ${hex(id, 4)}` : `Identifier (BE): ${id} (${hex(id, 4)})`);
          fields.push(v6 ? `Sequence: ${seq}` : `Sequence Number (BE): ${seq} (${hex(seq, 4)})`);
          const dataEnd = icmpEnd(st, i, b);
          if (dataEnd > end) fields.push(`Data (${dataEnd - end} bytes)`);
          push(v6 ? 'icmpv6' : 'icmp', v6 ? 'Internet Control Message Protocol v6' : 'Internet Control Message Protocol', fields, dataEnd);
        } else {
          push(v6 ? 'icmpv6' : 'icmp', v6 ? 'Internet Control Message Protocol v6' : 'Internet Control Message Protocol', fields);
        }
        break;
      }
      case L.VXLAN: {
        const flags = u16(b, off);
        push('vxlan', 'Virtual eXtensible Local Area Network', [
          `Flags: ${hex(flags, 4)}${flags & 0x0800 ? ', VXLAN Network ID (VNI)' : ''}`, `VXLAN Network Identifier (VNI): ${st.aux[i]}`,
        ]);
        break;
      }
      case L.GENEVE: {
        const vni = st.aux[i];
        push('geneve', `Generic Network Virtualization Encapsulation, VNI: ${hex(vni, 6)}`, [
          `Version: ${b[off] >> 6}`, `Protocol Type: ${named(ETHER_TYPE, u16(b, off + 2), 4)}`,
          `Virtual Network Identifier (VNI): ${hex(vni, 6)} (${vni})`,
        ]);
        break;
      }
      case L.ESP: {
        const spi = b.readUInt32BE(off);
        const seq = b.readUInt32BE(off + 4);
        const fields = [`ESP SPI: ${hex(spi, 8)} (${spi})`, `ESP Sequence: ${seq}`];
        if (plaintext && i === espAt) {
          fields.push(`ESP IV: ${b.subarray(off + 8, off + 16).toString('hex')} (8 bytes)`);
          fields.push(`[Decrypted: ${plaintext.length} bytes, next header ${named(IP_PROTO, input.plaintext!.nextHeader)}]`);
        } else {
          fields.push(`[Encrypted payload: ${end - off - 8} bytes]`);
        }
        push('esp', 'Encapsulating Security Payload', fields);
        break;
      }
      case L.WIREGUARD:
        push('wireguard', 'WireGuard Protocol', wireguardFields(b, off, end, st.aux[i]));
        break;
      case L.IKE:
        push('ike', 'Internet Security Association and Key Management Protocol', []);
        break;
      case L.NATKEEPALIVE:
        break; // shown on the "UDP Encapsulation of IPsec Packets" line
      case L.HTTP:
        push('http', 'Hypertext Transfer Protocol', httpLines(b, off, end, 12));
        break;
      case L.ARP: {
        const op = st.aux[i];
        const opName = op === 1 ? 'request' : op === 2 ? 'reply' : 'Unknown';
        const fields = [`Opcode: ${opName} (${op})`];
        // Ethernet/IPv4 ARP (hardware size 6, protocol size 4): the addresses people read.
        if (b[off + 4] === 6 && b[off + 5] === 4 && end - off >= 28) {
          fields.push(`Sender MAC address: ${mac(b, off + 8)}`, `Sender IP address: ${formatV4(b.readUInt32BE(off + 14))}`,
            `Target MAC address: ${mac(b, off + 18)}`, `Target IP address: ${formatV4(b.readUInt32BE(off + 24))}`);
        }
        push('arp', `Address Resolution Protocol (${opName})`, fields);
        break;
      }
      default:
        break;
    }
  }
  // Bytes after the last decoded layer (a UDP or TCP payload, an unknown EtherType or protocol): Wireshark's "Data".
  const last = st.count > 0 ? st.type[st.count - 1] : L.NONE;
  if ((last === L.UDP || last === L.TCP || last === L.ETH || last === L.VLAN || last === L.IPV4 || last === L.IPV6) && st.nextEnd > st.next) {
    layers.push({ layer: 'data', title: `Data (${st.nextEnd - st.next} bytes)`, fields: [`[Length: ${st.nextEnd - st.next}]`],
      buffer: st.src[st.count - 1] === 0 ? 'frame' : 'plaintext', start: st.next, end: st.nextEnd });
  }

  if (cutHttp) {
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

/** TCP payload length: the enclosing IP packet's length minus the headers (0 when no IP header says). */
function tcpSegmentLength(st: LayerStack, i: number, b: Buffer): number {
  let ip = i - 1;
  while (ip >= 0 && st.type[ip] !== L.IPV4 && st.type[ip] !== L.IPV6) ip--;
  if (ip < 0 || st.src[ip] !== st.src[i]) return Math.max(0, st.nextEnd - st.off[i] - st.len[i]);
  const o = st.off[ip];
  const ipEnd = st.type[ip] === L.IPV4 ? o + u16(b, o + 2) : o + 40 + u16(b, o + 4);
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
  if (kind < 1 || kind > 4 || end - off < 8) return [`[Not a valid WireGuard message: ${end - off} bytes]`];
  const idx = (at: number) => hex(b.readUInt32LE(off + at), 8);
  const fields = [`Type: ${WG_TYPES[kind]} (${kind})`, `Reserved: ${b.subarray(off + 1, off + 4).toString('hex')}`];
  if (kind === 1) fields.push(`Sender: ${idx(4)}`);
  else if (kind === 2) fields.push(`Sender: ${idx(4)}`, `Receiver: ${idx(8)}`);
  else if (kind === 3) fields.push(`Receiver: ${idx(4)}`);
  else if (end - off >= 16) fields.push(`Receiver: ${idx(4)}`, `Counter: ${b.readBigUInt64LE(off + 8)}`, 'Encrypted Packet');
  return fields;
}

/** Wireshark names the set flags from the low bit up: "SYN, ACK", "PSH, ACK". */
const TCP_FLAGS: readonly [number, string][] = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR'], [0x100, 'AE']];

function tcpFlagNames(f: number): string {
  const names = TCP_FLAGS.filter(([bit]) => f & bit).map(([, name]) => name);
  return names.length ? names.join(', ') : '<None>';
}
