/**
 * Frames for the tests and the benchmarks, built byte by byte, independently of the verifier's decoders (so the
 * tests do not check the verifier against itself): Ethernet, IPv4 (with its checksum), UDP, VXLAN, TCP, ICMP echo
 * carrying a nonce the way `ping -p` does, an HTTP request, ESP encrypted with AES-GCM per RFC 4106 by
 * node:crypto, ESP with an opaque payload, and WireGuard transport data. scripts/fixtures/make-fixtures.py makes
 * the committed fixtures with scapy instead, on purpose: a second, unrelated implementation.
 *
 *   IPv4: version/IHL 0x45, total length, id, flags DF, TTL, protocol, checksum, source, destination
 *   ESP (RFC 4303, 4106): SPI(4) seq(4) IV(8) AES-GCM(payload | padding | pad length | next header) ICV(16)
 *   WireGuard transport data (whitepaper 5.4.6): type 4, reserved(3), receiver(4, LE), counter(8, LE), ciphertext + tag(16)
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { payload, pcapFile } from './pcap-writer';

function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

/** The Internet checksum (RFC 1071). */
export function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += b[b.length - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

export function ethernet(body: Buffer, type = 0x0800, src = '02:00:00:00:00:01', dst = '02:00:00:00:00:02'): Buffer {
  const mac = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));
  const t = Buffer.alloc(2);
  t.writeUInt16BE(type);
  return Buffer.concat([mac(dst), mac(src), t, body]);
}

let ipId = 1;
export function ipv4(src: string, dst: string, proto: number, body: Buffer, ttl = 64): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + body.length, 2);
  h.writeUInt16BE(ipId++ & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6);
  h[8] = ttl;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, body]);
}

export function udp(sport: number, dport: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + body.length, 4);
  return Buffer.concat([h, body]); // checksum 0: allowed for IPv4 UDP
}

export function vxlan(vni: number, innerFrame: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, innerFrame]);
}

/** ICMP echo request/reply whose data is what `ping -s SIZE -p HEX` sends: 16 bytes of timestamp, then the pattern repeated. */
export function icmpEcho(type: 8 | 0, id: number, seq: number, pattern: string, size = 64): Buffer {
  const data = Buffer.alloc(size);
  data.writeUInt32LE(1_700_000_000 + seq, 0);
  const pat = Buffer.from(pattern, 'ascii');
  for (let i = 16; i < size; i++) data[i] = pat[(i - 16) % pat.length];
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt16BE(id, 4);
  h.writeUInt16BE(seq, 6);
  const msg = Buffer.concat([h, data]);
  msg.writeUInt16BE(checksum(msg), 2);
  return msg;
}

export function tcp(sport: number, dport: number, seq: number, body: Buffer, flags = 0x18): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq, 4);
  h.writeUInt32BE(1, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(64240, 14);
  return Buffer.concat([h, body]);
}

export function httpGet(host: string, nonce: string, i: number): Buffer {
  return Buffer.from(`GET /echo?msg=${nonce}&i=${i} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: curl/8.7.1\r\nAccept: */*\r\nX-Lab-Nonce: ${nonce}\r\n\r\n`);
}

/** RFC 4106 ESP: SPI, seq, the sequence number as the 8-byte IV (as the kernel's seqiv), AES-GCM, 16-byte ICV. */
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

/** ESP whose payload is `n` deterministic pseudo-random octets (not decryptable, not NULL-looking) plus IV and ICV room. */
export function espOpaque(spi: number, seq: number, n: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(spi >>> 0, 0);
  h.writeUInt32BE(seq >>> 0, 4);
  return Buffer.concat([h, payload(8 + n + 16, spi * 1000 + seq)]);
}

/** WireGuard transport data carrying `plainLen` octets (padded to 16, as WireGuard pads), opaque like ciphertext. */
export function wireguardTransport(receiver: number, counter: number, plainLen: number): Buffer {
  const h = Buffer.alloc(16);
  h[0] = 4;
  h.writeUInt32LE(receiver, 4);
  h.writeBigUInt64LE(BigInt(counter), 8);
  return Buffer.concat([h, payload(Math.ceil(plainLen / 16) * 16 + 16, receiver ^ counter)]);
}

/** A little-endian Ethernet pcap of these frames, one per second from 1700000000. */
export function writePcap(file: string, frames: Buffer[]): void {
  const records = frames.map((data, i) => ({ sec: 1_700_000_000 + i, sub: i * 1000, data }));
  fs.writeFileSync(file, pcapFile({ le: true, network: 1 /* LINKTYPE_ETHERNET */, records }));
}
