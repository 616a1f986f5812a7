/**
 * Decoder tests in the shape of gopacket's layers/vxlan_test.go: a real frame (scapy-made, hexdump in
 * ./frames.ts), the expected layer stack, header fields read back, and truncation at every byte.
 */
import * as assert from 'node:assert/strict';
import { PacketDecoder } from '../../../components/verifier/decode/decoder';
import { espSeq, espSpi } from '../../../components/verifier/decode/esp';
import { L, LAYER_NAMES, LayerStack, MAX_LAYERS } from '../../../components/verifier/decode/layers';
import { PortTable } from '../../../components/verifier/decode/ports';
import * as F from './frames';
import * as K from './kernel-frames';

const decoder = new PacketDecoder({ vxlanPorts: [8472, 4789], genevePorts: [6081] });

function decode(f: F.TestFrame, d = decoder): { st: LayerStack; buf: Buffer; path: string } {
  const buf = F.bytes(f);
  const st = new LayerStack();
  assert.equal(d.decodeFrame(buf, 0, buf.length, f.linkType, st), true);
  return { st, buf, path: st.path() };
}

/** The n-th entry of a type (0-based). */
function entry(st: LayerStack, type: L, n = 0): { off: number; len: number; aux: number } {
  let seen = 0;
  for (let i = 0; i < st.count; i++) {
    if (st.type[i] === type && seen++ === n) return { off: st.off[i], len: st.len[i], aux: st.aux[i] };
  }
  throw new Error(`no ${LAYER_NAMES[type]} #${n} in ${st.path()}`);
}

function ipv4(buf: Buffer, off: number): string {
  return `${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}>${buf[off + 16]}.${buf[off + 17]}.${buf[off + 18]}.${buf[off + 19]}`;
}

const STACKS: [keyof typeof F, string, { truncated?: boolean; fragment?: boolean }?][] = [
  ['espInVxlan', 'eth/ipv4/udp/vxlan/eth/ipv4/esp'],
  ['espInVxlanReply', 'eth/ipv4/udp/vxlan/eth/ipv4/esp'],
  ['vxlanInEsp', 'eth/ipv4/esp'],
  ['clearPing', 'eth/ipv4/udp/vxlan/eth/ipv4/icmp'],
  ['clearGet', 'eth/ipv4/udp/vxlan/eth/ipv4/tcp/http'],
  ['clearResp', 'eth/ipv4/udp/vxlan/eth/ipv4/tcp/http'],
  ['clearPing4789', 'eth/ipv4/udp/vxlan/eth/ipv4/icmp'],
  ['hostTcp', 'eth/ipv4/tcp'],
  ['qinq', 'eth/vlan/vlan/ipv4/icmp'],
  ['sll', 'sll/ipv4/icmp'],
  ['sll2', 'sll2/ipv4/udp/vxlan/eth/ipv4/tcp/http'],
  ['rawV4', 'ipv4/icmp'],
  ['rawV6', 'ipv6/icmpv6'],
  ['v6ExtFirstFrag', 'eth/ipv6/udp'],
  ['v6LaterFrag', 'eth/ipv6/frag', { fragment: true }],
  ['v4FirstFrag', 'eth/ipv4/udp'],
  ['v4LaterFrag', 'eth/ipv4/frag', { fragment: true }],
  ['geneveIpv4', 'eth/ipv4/udp/geneve/ipv4/icmp'],
  ['geneveEthOpt', 'eth/ipv4/udp/geneve/eth/ipv4/icmp'],
  ['espInUdp', 'eth/ipv4/udp/esp'],
  ['ikeInUdp', 'eth/ipv4/udp/ike'],
  ['natKeepalive', 'eth/ipv4/udp/nat-keepalive'],
  ['espEsn', 'eth/ipv4/esp'],
  ['espTransport', 'eth/ipv4/esp'],
  ['espNull', 'eth/ipv4/udp/vxlan/eth/ipv4/esp'],
  ['icmpUnreach', 'eth/ipv4/icmp/ipv4/udp'],
  ['arp', 'eth/arp'],
  ['espV6', 'eth/ipv6/esp'],
  ['espEsnWrapLow', 'eth/ipv4/esp'],
];

describe('verifier decoders (scapy-made frames)', () => {
  describe('layer stack of every frame', () => {
    for (const [name, path, flags] of STACKS) {
      it(`${name}: ${path}`, () => {
        const { st } = decode(F[name] as F.TestFrame);
        assert.equal(st.path(), path);
        assert.equal(st.truncated, flags?.truncated ?? false, 'truncated');
        assert.equal(st.fragment, flags?.fragment ?? false, 'fragment');
        assert.equal(st.malformed, false, 'malformed');
      });
    }
  });

  describe('header fields', () => {
    it('the guide frame: outer and inner IPv4 both survive, VXLAN VNI, ESP SPI 3 seq 15', () => {
      const { st, buf } = decode(F.espInVxlan);
      assert.equal(ipv4(buf, entry(st, L.IPV4, 0).off), '192.168.211.128>192.168.44.128');
      assert.equal(ipv4(buf, entry(st, L.IPV4, 1).off), '10.0.1.124>10.0.2.104');
      assert.equal(entry(st, L.IPV4, 0).aux, 17);
      assert.equal(entry(st, L.IPV4, 1).aux, 50);
      assert.equal(entry(st, L.UDP).aux, 8472);
      assert.equal(entry(st, L.VXLAN).aux, 2);
      const esp = entry(st, L.ESP);
      assert.equal(espSpi(buf, esp.off), 3);
      assert.equal(espSeq(buf, esp.off), 15);
      // the ESP layer spans to the end of the inner IPv4 packet (its total length), ICV included
      const ip = entry(st, L.IPV4, 1);
      assert.equal(esp.off + esp.len, ip.off + buf.readUInt16BE(ip.off + 2));
    });
    it('Ethernet padding is not part of the IP payload (IPv4 total length bounds the layers)', () => {
      const buf = Buffer.concat([F.bytes(F.hostTcp), Buffer.alloc(6, 0xee)]);
      const st = new LayerStack();
      decoder.decodeFrame(buf, 0, buf.length, 1, st);
      assert.equal(st.path(), 'eth/ipv4/tcp');
      assert.equal(st.truncated, false);
    });
    it('QinQ: both tags, outer 802.1ad VLAN 100, inner 802.1Q VLAN 200', () => {
      const { st } = decode(F.qinq);
      assert.equal(entry(st, L.VLAN, 0).aux, 100);
      assert.equal(entry(st, L.VLAN, 1).aux, 200);
      assert.equal(entry(st, L.ETH).aux, 0x88a8);
    });
    it('SLL: packet type "outgoing" (4), 16-octet header', () => {
      const { st } = decode(F.sll);
      assert.deepEqual(entry(st, L.SLL), { off: 0, len: 16, aux: 4 });
    });
    it('SLL2: interface index 3, 20-octet header', () => {
      const { st } = decode(F.sll2);
      assert.deepEqual(entry(st, L.SLL2), { off: 0, len: 20, aux: 3 });
      assert.equal(entry(st, L.HTTP).aux, 1, 'HTTP request');
    });
    it('IPv6 extension headers belong to the IPv6 layer; the final next header is UDP', () => {
      const { st, buf } = decode(F.v6ExtFirstFrag);
      const ip6 = entry(st, L.IPV6);
      assert.equal(ip6.aux, 17);
      // 40 + hop-by-hop 8 + destination options 8 + routing (1 address) 24 + fragment 8
      assert.equal(ip6.len, 40 + 8 + 8 + 24 + 8);
      assert.equal(entry(st, L.UDP).aux, 9999);
      assert.equal(buf.readUInt16BE(entry(st, L.UDP).off), 5353);
    });
    it('IPv4 first fragment decodes its UDP header; a later fragment is counted, not decoded', () => {
      const first = decode(F.v4FirstFrag);
      assert.equal(entry(first.st, L.UDP).aux, 6000);
      assert.equal(first.st.fragment, false);
      const later = decode(F.v4LaterFrag);
      assert.equal(later.st.fragment, true);
      assert.equal(entry(later.st, L.FRAG).aux, 17);
    });
    it('Geneve reads its own protocol type: 0x0800 gives IPv4 without an inner Ethernet', () => {
      const { st, buf } = decode(F.geneveIpv4);
      assert.equal(entry(st, L.GENEVE).aux, 7);
      assert.equal(entry(st, L.GENEVE).len, 8);
      assert.equal(ipv4(buf, entry(st, L.IPV4, 1).off), '10.0.1.50>10.0.2.60');
    });
    it('Geneve options are skipped (Opt Len * 4)', () => {
      const { st } = decode(F.geneveEthOpt);
      assert.equal(entry(st, L.GENEVE).len, 16);
    });
    it('ESP-in-UDP 4500: SPI and sequence after the UDP header; the non-ESP marker means IKE', () => {
      const { st, buf } = decode(F.espInUdp);
      const esp = entry(st, L.ESP);
      assert.equal(espSpi(buf, esp.off), 0x0a000001);
      assert.equal(espSeq(buf, esp.off), 9);
      assert.equal(decode(F.ikeInUdp).st.find(L.ESP), -1);
    });
    it('HTTP: request and status lines recognised, other TCP payloads are not', () => {
      assert.equal(entry(decode(F.clearGet).st, L.HTTP).aux, 1);
      assert.equal(entry(decode(F.clearResp).st, L.HTTP).aux, 2);
      const buf = F.bytes(F.clearGet);
      const at = buf.indexOf('GET /');
      buf.write('GOT /', at, 'latin1');
      const st = new LayerStack();
      decoder.decodeFrame(buf, 0, buf.length, 1, st);
      assert.equal(st.path(), 'eth/ipv4/udp/vxlan/eth/ipv4/tcp');
    });
    it('ICMP errors: the quoted IP header is decoded and its cut-short length is not truncation', () => {
      const { st, buf } = decode(F.icmpUnreach);
      assert.equal(ipv4(buf, entry(st, L.IPV4, 1).off), '10.0.1.50>10.0.2.60');
      assert.equal(entry(st, L.ICMP).aux, 0x0303);
      assert.equal(st.truncated, false);
    });
  });

  describe('frames the kernel sent (netns VXLAN, tcpdump -i veth and -i any)', () => {
    const KERNEL: [keyof typeof K, string][] = [
      ['kernelVxlanPing', 'eth/ipv4/udp/vxlan/eth/ipv4/icmp'],
      ['kernelAnyPing', 'sll2/ipv4/udp/vxlan/eth/ipv4/icmp'],
      ['kernelVxlanMld', 'eth/ipv4/udp/vxlan/eth/ipv6/icmpv6'],
    ];
    for (const [name, path] of KERNEL) {
      it(`${name}: ${path}, truncation at every byte`, () => {
        const f = K[name];
        const { st } = decode(f);
        assert.equal(st.path(), path);
        assert.equal(st.truncated, false);
        const full = F.bytes(f);
        const cut = new LayerStack();
        for (let n = 0; n < full.length; n++) {
          decoder.decodeFrame(full, 0, n, f.linkType, cut);
          assert.equal(cut.truncated, true, `${name} cut at ${n}`);
        }
      });
    }
    it('the kernel frames carry the addresses and ports of the namespaces', () => {
      const { st, buf } = decode(K.kernelAnyPing);
      assert.equal(ipv4(buf, entry(st, L.IPV4, 0).off), '192.168.211.128>192.168.211.129');
      assert.equal(ipv4(buf, entry(st, L.IPV4, 1).off), '10.0.1.50>10.0.2.60');
      assert.equal(entry(st, L.UDP).aux, 8472);
      assert.equal(entry(st, L.VXLAN).aux, 2);
      const mld = decode(K.kernelVxlanMld).st;
      assert.equal(entry(mld, L.IPV6).len, 48, 'fixed header + 8-octet hop-by-hop options');
      assert.equal(entry(mld, L.IPV6).aux, 58);
    });
  });

  describe('configurable UDP ports', () => {
    it('without 4789 in the VXLAN ports, 4789 is plain UDP', () => {
      const d = new PacketDecoder({ vxlanPorts: [8472], genevePorts: [6081] });
      assert.equal(decode(F.clearPing4789, d).path, 'eth/ipv4/udp');
      assert.equal(decode(F.clearPing, d).path, 'eth/ipv4/udp/vxlan/eth/ipv4/icmp');
    });
    it('a custom VXLAN port decodes as VXLAN, 8472 then does not', () => {
      const d = new PacketDecoder({ vxlanPorts: [4789], genevePorts: [] });
      assert.equal(decode(F.clearPing, d).path, 'eth/ipv4/udp');
      assert.equal(decode(F.clearPing4789, d).path, 'eth/ipv4/udp/vxlan/eth/ipv4/icmp');
    });
    it('rejects a port outside 1..65535', () => {
      assert.throws(() => new PortTable({ vxlanPorts: [70000], genevePorts: [] }), /70000/);
    });
  });

  describe('truncation at every byte: never throws, marks the frame truncated', () => {
    for (const [name, path] of STACKS) {
      it(`${name} (${path})`, () => {
        const f = F[name] as F.TestFrame;
        const full = F.bytes(f);
        const st = new LayerStack();
        const whole = decode(f);
        for (let n = 0; n < full.length; n++) {
          // copy into a larger buffer with poison after the cut: a decoder reading past `caplen` would see it
          const buf = Buffer.alloc(full.length + 64, 0x45);
          full.copy(buf, 16, 0, n);
          assert.doesNotThrow(() => decoder.decodeFrame(buf, 16, n, f.linkType, st), `${name} cut at ${n}`);
          for (let i = 0; i < st.count; i++) {
            assert.ok(st.off[i] + (st.type[i] === L.ESP || st.type[i] === L.HTTP || st.type[i] === L.FRAG ? st.len[i] : 0) <= 16 + n,
              `${name} cut at ${n}: ${LAYER_NAMES[st.type[i]]} reaches past the data`);
          }
          // Every frame here has a length field covering its end (IP total length / payload length; ARP's
          // address lengths), so every cut, even inside a payload, is detectable and must be marked.
          assert.equal(st.truncated, true, `${name} cut at ${n} of ${full.length}: not marked truncated (${st.path()})`);
          // and what was decoded is a prefix of the full stack
          assert.ok(whole.path.startsWith(st.path()), `${name} cut at ${n}: ${st.path()} is not a prefix of ${whole.path}`);
        }
      });
    }
  });

  describe('robustness', () => {
    it('an unknown link type is refused (no layers)', () => {
      const st = new LayerStack();
      assert.equal(decoder.decodeFrame(Buffer.alloc(60), 0, 60, 147, st), false);
      assert.equal(st.count, 0);
    });
    it('an empty frame is truncated, not an error', () => {
      const st = new LayerStack();
      decoder.decodeFrame(Buffer.alloc(0), 0, 0, 1, st);
      assert.equal(st.truncated, true);
      assert.equal(st.count, 0);
    });
    it('IPv4 with IHL < 5 is malformed, decoding stops', () => {
      const buf = F.bytes(F.rawV4);
      buf[0] = 0x44;
      const st = new LayerStack();
      decoder.decodeFrame(buf, 0, buf.length, 101, st);
      assert.equal(st.malformed, true);
      assert.equal(st.count, 0);
    });
    it('an encapsulation loop stops at the stack limit and marks truncation', () => {
      // IPv4 in IPv4 in IPv4 ... 60 deep
      const hdr = Buffer.from('4500000000000000400400000a0000010a000002', 'hex');
      const buf = Buffer.concat(Array.from({ length: 60 }, () => hdr));
      const st = new LayerStack();
      decoder.decodeFrame(buf, 0, buf.length, 228, st);
      assert.equal(st.count, MAX_LAYERS);
      assert.equal(st.truncated, true);
    });
    it('random bytes on every link type never throw', () => {
      let seed = 12345;
      const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 255;
      const st = new LayerStack();
      for (let k = 0; k < 3000; k++) {
        const n = rnd() * 2;
        const buf = Buffer.alloc(n);
        for (let i = 0; i < n; i++) buf[i] = rnd();
        for (const lt of [1, 101, 113, 228, 229, 276]) decoder.decodeFrame(buf, 0, n, lt, st);
      }
    });
  });
});
