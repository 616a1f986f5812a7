/**
 * A tiny packet builder for the proof and lab command tests: the traffic the lab makes (ICMP echo with the
 * nonce as `ping -p` pattern, an HTTP GET carrying the nonce) between two pods on two nodes, either in
 * cleartext VXLAN (lab:encryption none) or inside ESP as Cilium >= 1.18 sends it (outer node -> node IP
 * protocol 50; decrypted: node -> node UDP 8472 VXLAN, Ethernet, pod -> pod), encrypted with AES-GCM
 * (RFC 4106) by node:crypto. The matching `ip xfrm state` text lets the verifier decrypt it.
 * Written here, independently of the verifier's code, so the tests do not check it against itself.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import { pcapFile } from '../../verifier/capture/writer';

function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += b[b.length - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

export function ethernet(payload: Buffer, type = 0x0800, src = '02:00:00:00:00:01', dst = '02:00:00:00:00:02'): Buffer {
  const mac = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));
  const t = Buffer.alloc(2);
  t.writeUInt16BE(type);
  return Buffer.concat([mac(dst), mac(src), t, payload]);
}

let ipId = 1;
export function ipv4(src: string, dst: string, proto: number, payload: Buffer, ttl = 64): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(ipId++ & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6);
  h[8] = ttl;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]); // checksum 0: allowed for IPv4 UDP
}

export function vxlan(vni: number, innerFrame: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, innerFrame]);
}

/** ICMP echo request/reply whose data is what `ping -s 64 -p HEX` sends: 16 bytes of timestamp, then the
 *  16-byte pattern repeated. */
export function icmpEcho(type: 8 | 0, id: number, seq: number, nonce: string): Buffer {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(1_700_000_000 + seq, 0);
  const pat = Buffer.from(nonce, 'ascii');
  for (let i = 16; i < 64; i++) data[i] = pat[(i - 16) % pat.length];
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt16BE(id, 4);
  h.writeUInt16BE(seq, 6);
  const msg = Buffer.concat([h, data]);
  msg.writeUInt16BE(checksum(msg), 2);
  return msg;
}

export function tcp(sport: number, dport: number, seq: number, payload: Buffer, flags = 0x18): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq, 4);
  h.writeUInt32BE(1, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(64240, 14);
  return Buffer.concat([h, payload]);
}

export function httpGet(host: string, nonce: string, i: number): Buffer {
  return Buffer.from(`GET /echo?msg=${nonce}&i=${i} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: curl/8.7.1\r\nAccept: */*\r\nX-Lab-Nonce: ${nonce}\r\n\r\n`);
}

/** RFC 4106 ESP: SPI, seq, 8-byte IV, AES-GCM(payload | padding | pad length | next header), 16-byte ICV. */
export function espGcm(spi: number, seq: number, key20: Buffer, inner: Buffer, nextHeader: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(spi >>> 0, 0);
  head.writeUInt32BE(seq >>> 0, 4);
  const iv = Buffer.alloc(8);
  iv.writeUInt32BE(seq, 4);
  const padLen = (4 - ((inner.length + 2) % 4)) % 4;
  const pad = Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1));
  const plain = Buffer.concat([inner, pad, Buffer.from([padLen, nextHeader])]);
  const c = crypto.createCipheriv('aes-128-gcm', key20.subarray(0, 16), Buffer.concat([key20.subarray(16, 20), iv]), {
    authTagLength: 16,
  });
  c.setAAD(head);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([head, iv, ct, c.getAuthTag()]);
}

export function writePcap(file: string, frames: Buffer[]): void {
  const records = frames.map((data, i) => ({ sec: 1_700_000_000 + i, sub: i * 1000, data }));
  fs.writeFileSync(file, pcapFile({ le: true, network: 1 /* LINKTYPE_ETHERNET */, records }));
}

export interface LabTraffic {
  nonce: string;
  clientPod: string;
  serverPod: string;
  /** worker1 (client side) and worker2 (server side) node IPs. */
  node1: string;
  node2: string;
  spi: number;
  /** key||salt per direction. */
  key12: Buffer;
  key21: Buffer;
  pings: number;
  https: number;
}

export const DEFAULT_TRAFFIC: LabTraffic = {
  nonce: 'lab-q7x2k9m4p1zt',
  clientPod: '10.0.1.23',
  serverPod: '10.0.2.187',
  node1: '192.168.211.128',
  node2: '192.168.44.128',
  spi: 3,
  key12: Buffer.from('00112233445566778899aabbccddeeff01020304', 'hex'),
  key21: Buffer.from('ffeeddccbbaa99887766554433221100a1a2a3a4', 'hex'),
  pings: 4,
  https: 2,
};

/** The pod packets of one run (ICMP echo + replies, HTTP GETs), as inner IPv4 packets, with direction. */
function podPackets(t: LabTraffic): { fromClient: boolean; pkt: Buffer }[] {
  const out: { fromClient: boolean; pkt: Buffer }[] = [];
  for (let s = 1; s <= t.pings; s++) {
    out.push({ fromClient: true, pkt: ipv4(t.clientPod, t.serverPod, 1, icmpEcho(8, 0x4242, s, t.nonce)) });
    out.push({ fromClient: false, pkt: ipv4(t.serverPod, t.clientPod, 1, icmpEcho(0, 0x4242, s, t.nonce)) });
  }
  for (let i = 1; i <= t.https; i++) {
    out.push({ fromClient: true, pkt: ipv4(t.clientPod, t.serverPod, 6, tcp(40000 + i, 80, 1000, httpGet(t.serverPod, t.nonce, i))) });
    out.push({ fromClient: false, pkt: ipv4(t.serverPod, t.clientPod, 6, tcp(80, 40000 + i, 5000, Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'))) });
  }
  return out;
}

function vxlanFrame(src: string, dst: string, podPkt: Buffer): Buffer {
  return ipv4(src, dst, 17, udp(51422, 8472, vxlan(2, ethernet(podPkt, 0x0800, '0a:00:00:00:00:01', '0a:00:00:00:00:02'))));
}

/** What the router sees on the unencrypted stack: node -> node VXLAN with the pod packets in clear. */
export function cleartextCapture(file: string, t: LabTraffic = DEFAULT_TRAFFIC): void {
  writePcap(
    file,
    podPackets(t).map(({ fromClient, pkt }) =>
      ethernet(fromClient ? vxlanFrame(t.node1, t.node2, pkt) : vxlanFrame(t.node2, t.node1, pkt)),
    ),
  );
}

/** What the router sees on the ipsec stack (Cilium >= 1.18): ESP node -> node, VXLAN inside. */
export function encryptedCapture(file: string, t: LabTraffic = DEFAULT_TRAFFIC): void {
  let seq12 = 0;
  let seq21 = 0;
  writePcap(
    file,
    podPackets(t).map(({ fromClient, pkt }) => {
      const [src, dst, key, seq] = fromClient ? [t.node1, t.node2, t.key12, ++seq12] : [t.node2, t.node1, t.key21, ++seq21];
      return ethernet(ipv4(src, dst, 50, espGcm(t.spi, seq, key, vxlanFrame(src, dst, pkt), 4)));
    }),
  );
}

/** `ip xfrm state` as root on worker1 (both directions' SAs, like Cilium's per node-pair keys). */
export function xfrmStateText(t: LabTraffic = DEFAULT_TRAFFIC, node: 1 | 2 = 1): string {
  const sa = (src: string, dst: string, key: Buffer, out: boolean) =>
    `src ${src} dst ${dst}\n` +
    `\tproto esp spi 0x${t.spi.toString(16).padStart(8, '0')} reqid 1 mode tunnel\n` +
    `\treplay-window 0 flag af-unspec\n` +
    `\tmark 0x${out ? '3' : '2'}d00/0xff00 output-mark 0xe00/0xf00\n` +
    `\taead rfc4106(gcm(aes)) 0x${key.toString('hex')} 128\n` +
    `\tanti-replay context: seq 0x0, oseq 0x${out ? '5' : '0'}, bitmap 0x00000000\n` +
    `\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n`;
  return node === 1
    ? sa(t.node1, t.node2, t.key12, true) + sa('0.0.0.0', t.node1, t.key21, false)
    : sa(t.node2, t.node1, t.key21, true) + sa('0.0.0.0', t.node2, t.key12, false);
}

/** One ESP frame as Cilium >= 1.18 sends it: outer node -> node, VXLAN inside, the pod packet inside that. */
function espFrame(src: string, dst: string, spi: number, seq: number, key: Buffer, podPkt: Buffer): Buffer {
  return ethernet(ipv4(src, dst, 50, espGcm(spi, seq, key, vxlanFrame(src, dst, podPkt), 4)));
}

/**
 * A key rotation from `old.spi` to `neu.spi` on the lab's traffic (both directions between the client's
 * and the server's node switch, each generation with its own keys), and beside it a third node pair the
 * traffic does not drive: a control-plane whose agent probes the server node's health endpoint, its
 * probe on the old SPI only and the answer on the new SPI only (cilium-health probes once a minute or so).
 */
export function rotationWithThirdPair(file: string, old: LabTraffic, neu: LabTraffic, third: { node: string; health: string; hostIp: string }): void {
  const seq = new Map<string, number>();
  const next = (k: string) => (seq.set(k, (seq.get(k) ?? 0) + 1), seq.get(k) as number);
  const lab = (t: LabTraffic) =>
    podPackets(t).map(({ fromClient, pkt }) => {
      const [src, dst, key] = fromClient ? [t.node1, t.node2, t.key12] : [t.node2, t.node1, t.key21];
      return espFrame(src, dst, t.spi, next(`${src} ${dst} ${t.spi}`), key, pkt);
    });
  const probeKey = Buffer.alloc(20, 0x5a);
  const probe = ipv4(third.hostIp, third.health, 1, icmpEcho(8, 0x77, 1, 'cilium-health-pr'));
  const answer = ipv4(third.health, third.hostIp, 1, icmpEcho(0, 0x77, 1, 'cilium-health-pr'));
  writePcap(file, [
    ...lab(old),
    espFrame(third.node, old.node2, old.spi, 1, probeKey, probe),
    ...lab(neu),
    espFrame(old.node2, third.node, neu.spi, 1, probeKey, answer),
  ]);
}
