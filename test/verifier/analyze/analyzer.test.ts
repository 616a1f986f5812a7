/**
 * Analyzer and verdict: a verdict table on scapy-made frames (../decode/frames.ts), sanity cases (an empty or
 * host-only capture is inconclusive, never encrypted; NULL-encryption ESP is not encryption), flows keyed by
 * (src, dst, SPI), decryption findings, expectations, FrameFacts and the report contract.
 */
import * as assert from 'node:assert/strict';
import { Analyzer, AnalyzerOptions, FrameFacts, MAX_TRACKED_FLOWS } from '../../../components/verifier/analyze/analyzer';
import type { CaptureSummary, Frame } from '../../../components/verifier/capture/types';
import { parseXfrmState } from '../../../components/verifier/crypto/xfrm';
import { formatReport } from '../../../components/verifier-cli/formatters/text';
import type { Report } from '../../../components/verifier/report';
import * as F from '../decode/frames';
import * as K from '../decode/kernel-frames';
import { xfrmStateText, xfrmStatesText } from '../../helpers/xfrm';

function summary(frames: F.TestFrame[]): CaptureSummary {
  return { format: 'pcap', gzip: false, frames: frames.length, bytes: frames.reduce((n, f) => n + f.hex.length / 2, 0),
    truncated: false, linkTypes: [...new Set(frames.map((f) => f.linkType))] };
}

/** Feeds the frames the way the reader does: one shared big buffer, an offset per frame (zero-copy). */
function analyze(frames: F.TestFrame[], opts: Partial<AnalyzerOptions> = {}, facts?: FrameFacts[]): Report {
  const a = new Analyzer({ ...opts, onFrameFacts: facts ? (x) => facts.push(x) : undefined });
  const bufs = frames.map(F.bytes);
  const big = Buffer.concat(bufs.flatMap((b) => [Buffer.alloc(7, 0x45), b]));
  let off = 0;
  bufs.forEach((b, i) => {
    off += 7;
    const f: Frame = { index: i + 1, linkType: frames[i].linkType, buf: big, offset: off, caplen: b.length, origLen: b.length,
      tsSec: 1700000000 + i, tsNsec: 0, interfaceId: 0 };
    a.addFrame(f);
    off += b.length;
  });
  return a.report(summary(frames), []);
}

// The short form (no mark, flags or replay context): five lines a state, the second state at line 6.
const xfrmText = (k1: Buffer, k2: Buffer) =>
  xfrmStatesText(
    [
      { src: '10.0.1.124', dst: '10.0.2.104', spi: 3, key: k1 },
      { src: '0.0.0.0', dst: '10.0.1.124', spi: 3, key: k2 },
    ].map((sa) => ({ ...sa, mark: null, afUnspec: false, replayContext: false })),
  );

describe('verifier analyzer: verdict table', () => {
  const TABLE: [string, F.TestFrame[], Partial<AnalyzerOptions>, string][] = [
    ['empty capture', [], {}, 'inconclusive'],
    ['empty capture with a nonce', [], { nonce: F.NONCE }, 'inconclusive'],
    ['host traffic only (node-to-node TCP, ARP)', [F.hostTcp, F.arp, F.ikeInUdp, F.natKeepalive], {}, 'inconclusive'],
    ['ESP both ways, no cleartext pod packet', [F.espInVxlan, F.espInVxlanReply, F.hostTcp], {}, 'encrypted'],
    ['ESP with the nonce option, nonce never in clear', [F.espInVxlan, F.espInVxlanHttp], { nonce: F.NONCE }, 'encrypted'],
    ['Cilium >= 1.18 layout (VXLAN inside ESP)', [F.vxlanInEsp], {}, 'encrypted'],
    ['ESP-in-UDP 4500', [F.espInUdp, F.ikeInUdp], {}, 'encrypted'],
    ['cleartext pod ICMP + HTTP in VXLAN', [F.clearPing, F.clearGet, F.clearResp, F.hostTcp], {}, 'cleartext'],
    ['cleartext pod traffic on VXLAN 4789', [F.clearPing4789], {}, 'cleartext'],
    ['ESP and cleartext pod traffic', [F.espInVxlan, F.clearPing], {}, 'partial'],
    ['ESP, and the nonce in a non-pod cleartext frame', [F.espInVxlan, F.rawV6], { nonce: F.NONCE }, 'partial'],
    ['the nonce alone (addresses outside the pod CIDRs)', [F.rawV6], { nonce: F.NONCE }, 'cleartext'],
    ['NULL-encryption ESP (detected from the payload): the pod packet inside is readable', [F.espNull], {}, 'cleartext'],
    ['NULL-encryption ESP next to real ESP', [F.espNull, F.espInVxlan], {}, 'partial'],
    ['pod traffic behind QinQ', [F.qinq], {}, 'cleartext'],
    ['pod traffic in SLL', [F.sll], {}, 'cleartext'],
    ['pod traffic in SLL2 + VXLAN', [F.sll2], {}, 'cleartext'],
    ['pod traffic in raw IP', [F.rawV4], {}, 'cleartext'],
    ['kernel VXLAN frames (Ethernet and -i any), ping + MLD', [K.kernelVxlanPing, K.kernelAnyPing, K.kernelVxlanMld], { nonce: 'cilab-nonce' }, 'cleartext'],
    ['pod traffic in Geneve (IPv4 payload)', [F.geneveIpv4], {}, 'cleartext'],
    ['pod traffic in Geneve (Ethernet payload with options)', [F.geneveEthOpt], {}, 'cleartext'],
    ['pod UDP in IPv4 fragments', [F.v4FirstFrag, F.v4LaterFrag], {}, 'cleartext'],
    ['IPv6 pod CIDR', [F.v6ExtFirstFrag], { podCidrs: ['fd00:10::/32'] }, 'cleartext'],
    ['--pods excludes other pod-CIDR addresses', [F.clearPing], { pods: ['10.0.1.50', '10.0.2.61'] }, 'inconclusive'],
    ['--pods naming both ends', [F.clearPing], { pods: ['10.0.1.50', '10.0.2.60'] }, 'cleartext'],
    ['VXLAN port not configured: the pod packet is not seen', [F.clearPing4789], { vxlanPorts: [8472] }, 'inconclusive'],
  ];
  for (const [name, frames, opts, verdict] of TABLE) {
    it(`${name} -> ${verdict}`, () => {
      const r = analyze(frames, opts);
      assert.equal(r.verdict, verdict, r.reasons.join('\n'));
      assert.ok(r.reasons.length > 0);
    });
  }

  it('an empty capture can never meet --expect encrypted, and says why', () => {
    const r = analyze([], { expect: 'encrypted' });
    assert.equal(r.meetsExpectation, false);
    assert.match(r.reasons.join('\n'), /saw nothing proves nothing/);
    assert.deepEqual(r.expectationFailures, ['expected verdict "encrypted", got "inconclusive"']);
  });
});

describe('verifier analyzer: findings', () => {
  it('cilium_host -> cilium_host ESP inside VXLAN is a tunnel, not cleartext pod traffic', () => {
    const r = analyze([F.espInVxlan]);
    assert.equal(r.cleartext.podPackets, 0);
    assert.equal(r.esp.packets, 1);
  });

  it('cleartext traffic to or from an ESP endpoint inside the pod range (cilium_host) is host traffic, not pod-to-pod', () => {
    const r = analyze([F.clearHostToPod, F.espInVxlan, F.espInVxlanReply]);
    assert.equal(r.verdict, 'encrypted');
    assert.equal(r.cleartext.podPackets, 0);
    assert.deepEqual(r.cleartext.byProtocol, {});
    assert.deepEqual(r.cleartext.nodeTraffic?.addresses, ['10.0.1.124']);
    assert.equal(r.cleartext.nodeTraffic?.packets, 1);
    assert.deepEqual(r.cleartext.nodeTraffic?.flows.map((f) => [f.src, f.dst, f.protocol]), [['10.0.1.124', '10.0.2.60', 'tcp']]);
    assert.match(r.reasons.join('\n'), /1 cleartext packet to or from ESP endpoints inside the pod range \(10\.0\.1\.124/);
    assert.match(formatReport(r), /host traffic to\/from ESP endpoints in the pod range \(10\.0\.1\.124\): 1 packets/);
    // real pod-to-pod cleartext next to it still counts
    const p = analyze([F.clearHostToPod, F.clearPing, F.espInVxlan]);
    assert.deepEqual([p.verdict, p.cleartext.podPackets, p.cleartext.nodeTraffic?.packets], ['partial', 1, 1]);
    // without ESP nothing says 10.0.1.124 is a node: it is pod-range traffic like any other
    assert.equal(analyze([F.clearHostToPod]).verdict, 'cleartext');
    // with explicit --pods the list decides
    assert.equal(analyze([F.clearHostToPod, F.espInVxlan], { pods: ['10.0.1.124', '10.0.2.60'] }).cleartext.podPackets, 1);
  });
  it('--endpoints inside the pod range are node addresses too (Cilium >= 1.18: ESP between node IPs, cilium_host still host)', () => {
    const r = analyze([F.clearHostToPod], { endpoints: ['10.0.1.124', '10.0.2.104'] });
    assert.equal(r.cleartext.podPackets, 0);
    assert.deepEqual(r.cleartext.nodeTraffic?.addresses, ['10.0.1.124']);
    // nothing is encrypted and no pod traffic is left: that proves nothing, it is never "encrypted"
    assert.equal(r.verdict, 'inconclusive');
    // an endpoint outside the pod range changes nothing for pod traffic
    assert.equal(analyze([F.clearPing], { endpoints: ['192.168.211.128', '192.168.44.128'] }).cleartext.podPackets, 1);
  });
  it('ESP flows are keyed by (src, dst, SPI): the same SPI both ways does not fake a sequence error', () => {
    // seq 15 (A->B), 11 (B->A), 16 (A->B): keyed by SPI alone this would read 15, 11, 16
    const r = analyze([F.espInVxlan, F.espInVxlanReply, F.espInVxlanHttp]);
    assert.deepEqual(r.esp.spis, [3]);
    assert.equal(r.esp.flows.length, 2);
    const ab = r.esp.flows.find((f) => f.src === '10.0.1.124')!;
    const ba = r.esp.flows.find((f) => f.src === '10.0.2.104')!;
    assert.deepEqual([ab.dst, ab.spi, ab.packets, ab.firstSeq, ab.lastSeq, ab.seqIncreasing], ['10.0.2.104', 3, 2, 15, 16, true]);
    assert.deepEqual([ba.dst, ba.spi, ba.packets, ba.firstSeq, ba.lastSeq, ba.seqIncreasing], ['10.0.1.124', 3, 1, 11, 11, true]);
    assert.deepEqual(ab.paths, ['eth/ipv4/udp/vxlan/eth/ipv4/esp']);
    const len = (f: F.TestFrame) => f.hex.length / 2;
    assert.deepEqual(ab.sizes, { min: len(F.espInVxlan), max: len(F.espInVxlanHttp), mean: (len(F.espInVxlan) + len(F.espInVxlanHttp)) / 2 });
    assert.deepEqual(r.warnings, []);
  });

  it('a sequence number going down is reported per SA (and a repeat, as -i any shows, is not a decrease)', () => {
    const r = analyze([F.espInVxlanHttp, F.espInVxlan, F.espInVxlan]);
    const f = r.esp.flows[0];
    assert.equal(f.seqIncreasing, false);
    assert.equal(f.seqDecreases, 1);
    assert.equal(f.seqRepeats, 1);
    assert.match(r.warnings.join('\n'), /10\.0\.1\.124 -> 10\.0\.2\.104 SPI 3: sequence number went down 1 time/);
    const dup = analyze([F.espInVxlan, F.espInVxlan]).esp.flows[0];
    assert.equal(dup.seqIncreasing, true);
    assert.equal(dup.seqRepeats, 1);
  });

  it('encapsulation paths of every layout', () => {
    const r = analyze([F.espInVxlan, F.vxlanInEsp, F.espInUdp]);
    assert.deepEqual(r.esp.flows.map((f) => f.paths[0]).sort(), ['eth/ipv4/esp', 'eth/ipv4/udp/esp', 'eth/ipv4/udp/vxlan/eth/ipv4/esp']);
    assert.equal(r.esp.inUdp, 1);
  });

  it('cleartext pod traffic by protocol, with flows and where they sat', () => {
    const r = analyze([F.clearPing, F.clearGet, F.clearResp, F.hostTcp, F.sll2, F.icmpUnreach, F.v4FirstFrag, F.v4LaterFrag]);
    assert.equal(r.cleartext.podPackets, 7);
    assert.deepEqual(r.cleartext.byProtocol, { icmp: 2, http: 3, udp: 1, fragment: 1 });
    const get = r.cleartext.flows.find((f) => f.protocol === 'http' && f.src === '10.0.1.50')!;
    assert.equal(get.packets, 2);
    assert.deepEqual(get.paths, ['eth/ipv4/udp/vxlan/eth/ipv4', 'sll2/ipv4/udp/vxlan/eth/ipv4']);
    assert.equal(r.decode.fragments, 1);
    assert.equal(r.protocols.vxlan, 4);
  });

  it('nonce: raw-byte hits counted per frame, with frame numbers', () => {
    const r = analyze([F.espInVxlan, F.clearPing, F.hostTcp, F.clearGet], { nonce: F.NONCE });
    assert.deepEqual([r.nonce!.hits, r.nonce!.frames, r.nonce!.decryptedHits], [2, [2, 4], 0]);
    assert.equal(r.verdict, 'partial');
  });

  it('the search stays inside each frame of the shared read buffer (the next frame\'s nonce is not this one\'s)', () => {
    const r = analyze([F.hostTcp, F.arp, F.clearPing], { nonce: F.NONCE });
    assert.deepEqual([r.nonce!.hits, r.nonce!.frames], [1, [3]]);
  });
});

describe('verifier analyzer: NULL encryption', () => {
  it('detected from the payload: counted, not encryption, the pod packet inside is cleartext', () => {
    const facts: FrameFacts[] = [];
    const r = analyze([F.espNull], { nonce: F.NONCE, expect: 'encrypted' }, facts);
    assert.equal(r.esp.packets, 1);
    assert.equal(r.esp.nullPackets, 1);
    assert.equal(r.esp.flows[0].nullPackets, 1);
    assert.equal(r.cleartext.podPackets, 1);
    assert.equal(r.nonce!.hits, 1);
    assert.equal(r.meetsExpectation, false);
    assert.match(r.reasons.join('\n'), /NULL encryption/);
    assert.equal(facts[0].nullEsp, true);
    assert.equal(facts[0].layers, 'eth/ipv4/udp/vxlan/eth/ipv4/esp/ipv4/icmp');
  });
  it('told by the xfrm state (enc ecb(cipher_null)) even where the heuristic would not look', () => {
    const xfrm = parseXfrmState(`src 10.0.1.124 dst 10.0.2.104
	proto esp spi 0x00001000 reqid 1 mode tunnel
	auth-trunc hmac(sha1) 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b 96
	enc ecb(cipher_null) 0x
`);
    const r = analyze([F.espNull], { xfrm });
    assert.equal(r.esp.nullPackets, 1);
    assert.notEqual(r.verdict, 'encrypted');
  });
  it('with an AES-GCM key given for it, NULL ESP fails the ICV and is still recognised as readable', () => {
    const r = analyze([F.espNull], { keys: [{ spi: 0x1000, key: F.K1 }] });
    assert.deepEqual([r.decryption!.failed, r.esp.nullPackets, r.cleartext.podPackets], [1, 1, 1]);
    assert.equal(r.verdict, 'cleartext');
  });
  it('AES-GCM ciphertext is never taken for NULL encryption', () => {
    const r = analyze([F.espInVxlan, F.espInVxlanReply, F.espInVxlanHttp, F.vxlanInEsp, F.espEsn, F.espTransport, F.espInUdp]);
    assert.equal(r.esp.nullPackets, 0);
  });
});

describe('verifier analyzer: decryption', () => {
  it('xfrm keys: every packet decrypts, findings run on the inner packets, none of them is cleartext', () => {
    const facts: FrameFacts[] = [];
    const r = analyze([F.espInVxlan, F.espInVxlanReply, F.espInVxlanHttp, F.hostTcp],
      { nonce: F.NONCE, xfrm: parseXfrmState(xfrmText(F.K1, F.K2)) }, facts);
    assert.equal(r.verdict, 'encrypted');
    assert.deepEqual([r.decryption!.ok, r.decryption!.failed, r.decryption!.noKey], [3, 0, 0]);
    assert.equal(r.cleartext.podPackets, 0);
    assert.equal(r.decryption!.inner.podPackets, 3);
    assert.deepEqual(r.decryption!.inner.byProtocol, { icmp: 2, http: 1 });
    assert.deepEqual([r.nonce!.hits, r.nonce!.decryptedHits], [0, 3]);
    assert.match(r.reasons.join('\n'), /nonce found inside 3 decrypted ESP payloads/);
    assert.deepEqual(r.esp.flows.map((f) => f.decryption), [
      { ok: 2, failed: 0, sa: 'xfrm line 1' }, { ok: 1, failed: 0, sa: 'xfrm line 6' }]);
    assert.deepEqual(facts[0], {
      frame: 1, layers: 'eth/ipv4/udp/vxlan/eth/ipv4/esp/ipv4/icmp',
      ips: [{ version: 4, src: '192.168.211.128', dst: '192.168.44.128', proto: 17 },
        { version: 4, src: '10.0.1.124', dst: '10.0.2.104', proto: 50 },
        { version: 4, src: '10.0.1.50', dst: '10.0.2.60', proto: 1 }],
      esp: { src: '10.0.1.124', dst: '10.0.2.104', spi: 3, seq: 15 }, decrypted: 'ok', nonce: false, nonceDecrypted: true,
    });
    assert.equal(facts[3].esp, undefined);
    assert.equal(facts[3].decrypted, undefined);
  });
  it('--key SPI:KEY applies to every SA with that SPI: the reverse direction (other key) fails its ICV', () => {
    const r = analyze([F.espInVxlan, F.espInVxlanReply], { keys: [{ spi: 3, key: F.K1 }] });
    assert.deepEqual([r.decryption!.ok, r.decryption!.failed], [1, 1]);
    assert.match(r.warnings.join('\n'), /1 ESP packets failed the ICV check/);
    assert.equal(r.verdict, 'encrypted');
  });
  it('a wrong key: all fail, a warning says so, the verdict still rests on the ESP seen', () => {
    const r = analyze([F.espInVxlan, F.espInVxlanHttp], { keys: [{ spi: 3, key: F.K2 }] });
    assert.deepEqual([r.decryption!.ok, r.decryption!.failed], [0, 2]);
    assert.match(r.warnings.join('\n'), /all 2 decryption attempts failed the ICV check/);
  });
  it('no key for an SA: counted as such', () => {
    const r = analyze([F.espInVxlan, F.espInUdp], { keys: [{ spi: 3, key: F.K1 }] });
    assert.deepEqual([r.decryption!.ok, r.decryption!.failed, r.decryption!.noKey], [1, 0, 1]);
  });
  it('Cilium >= 1.18: the decrypted packet goes back in (node IP / VXLAN / pod IP)', () => {
    const facts: FrameFacts[] = [];
    const r = analyze([F.vxlanInEsp], { keys: [{ spi: 3, key: F.K1 }], nonce: F.NONCE }, facts);
    assert.equal(facts[0].layers, 'eth/ipv4/esp/ipv4/udp/vxlan/eth/ipv4/icmp');
    assert.deepEqual(facts[0].ips.map((i) => `${i.src}>${i.dst}`), ['192.168.211.128>192.168.44.128', '192.168.211.128>192.168.44.128', '10.0.1.50>10.0.2.60']);
    assert.deepEqual(r.decryption!.inner.flows.map((f) => [f.src, f.dst, f.protocol, f.paths]), [['10.0.1.50', '10.0.2.60', 'icmp', ['ipv4/udp/vxlan/eth/ipv4']]]);
    assert.equal(r.decryption!.inner.protocols.vxlan, 1);
    assert.equal(r.nonce!.decryptedHits, 1);
  });
  it('transport mode: the decrypted UDP datagram is decoded', () => {
    const facts: FrameFacts[] = [];
    analyze([F.espTransport], { keys: [{ spi: 3, key: F.K1 }] }, facts);
    assert.equal(facts[0].layers, 'eth/ipv4/esp/udp');
    assert.equal(facts[0].decrypted, 'ok');
  });
  it('ESN from the xfrm state (seq-hi 1); a stale seq-hi 0 is corrected by trying the next half; no ESN fails', () => {
    const st = (hi: number, esn: boolean) => parseXfrmState(xfrmStateText({ src: '192.168.211.128', dst: '192.168.44.128', spi: 3, key: F.K1, esn, seqHi: hi, oseqHi: hi, oseq: 7 }));
    assert.equal(analyze([F.espEsn], { xfrm: st(1, true) }).decryption!.ok, 1);
    assert.equal(analyze([F.espEsn], { xfrm: st(0, true) }).decryption!.ok, 1);
    assert.equal(analyze([F.espEsn], { xfrm: st(0, false) }).decryption!.failed, 1);
  });
  it('ESN across the wrap of the low half, including a late packet from before it', () => {
    const xfrm = parseXfrmState(xfrmStateText({ src: '192.168.211.128', dst: '192.168.44.128', spi: 3, key: F.K1, esn: true }));
    const r = analyze([F.espEsnWrapLow, F.espEsnWrapHigh, F.espEsnWrapLate], { xfrm });
    assert.deepEqual([r.decryption!.ok, r.decryption!.failed], [3, 0]);
    const f = r.esp.flows[0];
    assert.deepEqual([f.firstSeq, f.lastSeq, f.seqDecreases], [0xfffffffe, 0xffffffff, 1]);
  });
  it('IPv6 outer ESP: flow addresses, decryption to an IPv6 pod packet', () => {
    const facts: FrameFacts[] = [];
    const r = analyze([F.espV6, F.espV6], { keys: [{ spi: 5, key: F.K1 }], podCidrs: ['fd00:10::/32'], nonce: F.NONCE }, facts);
    assert.deepEqual(r.esp.flows.map((x) => [x.src, x.dst, x.spi, x.packets, x.firstSeq]), [['fd00:192:168:211::128', 'fd00:192:168:44::128', 5, 2, 21]]);
    assert.deepEqual([r.decryption!.ok, r.decryption!.inner.podPackets, r.nonce!.decryptedHits, r.cleartext.podPackets], [2, 2, 2, 0]);
    assert.deepEqual(r.decryption!.inner.flows.map((x) => [x.src, x.dst, x.protocol, x.packets]), [['fd00:10:1::50', 'fd00:10:2::60', 'icmpv6', 2]]);
    assert.equal(facts[0].layers, 'eth/ipv6/esp/ipv6/icmpv6');
    assert.equal(r.verdict, 'encrypted');
  });
  it('an SA with an algorithm we do not decrypt is reported, not counted as failed', () => {
    const xfrm = parseXfrmState(`src 10.0.1.124 dst 10.0.2.104
	proto esp spi 0x00000003 reqid 1 mode tunnel
	auth-trunc hmac(sha256) 0x${'11'.repeat(32)} 128
	enc cbc(aes) 0x${'22'.repeat(16)}
`);
    const r = analyze([F.espInVxlan], { xfrm });
    assert.deepEqual([r.decryption!.ok, r.decryption!.failed], [0, 0]);
    assert.match(r.warnings.join('\n'), /uses cbc\(aes\): not decrypted/);
  });
});

describe('verifier analyzer: expectations', () => {
  const both = [F.espInVxlan, F.espInVxlanReply];
  it('--spi: the right SPI meets, another SPI or an extra one does not', () => {
    assert.equal(analyze(both, { spi: 3 }).meetsExpectation, true);
    const r = analyze(both, { spi: 4 });
    assert.deepEqual(r.expectationFailures, ['expected ESP with SPI 4, saw SPI 3']);
    assert.match(r.reasons.join('\n'), /expectation not met: expected ESP with SPI 4/);
    assert.deepEqual(analyze([...both, F.espInUdp], { spi: 3 }).expectationFailures, ['unexpected SPI 167772161 (expected only 3)']);
  });
  it('--endpoints: ESP must be between these addresses, in either direction', () => {
    assert.equal(analyze(both, { endpoints: ['10.0.2.104', '10.0.1.124'] }).meetsExpectation, true);
    const r = analyze([...both, F.vxlanInEsp], { endpoints: ['10.0.1.124', '10.0.2.104'] });
    assert.deepEqual(r.expectationFailures, ['ESP between other endpoints: 192.168.211.128 -> 192.168.44.128 (expected 10.0.1.124, 10.0.2.104)']);
    assert.deepEqual(analyze([F.clearPing], { endpoints: ['10.0.1.124', '10.0.2.104'] }).expectationFailures, ['no ESP between 10.0.1.124 and 10.0.2.104']);
  });
  it('--expect: met and not met; the nonce in cleartext is named', () => {
    assert.equal(analyze(both, { expect: 'encrypted' }).meetsExpectation, true);
    assert.equal(analyze([F.clearPing], { expect: 'cleartext' }).meetsExpectation, true);
    const r = analyze([F.espInVxlan, F.clearPing], { expect: 'encrypted', nonce: F.NONCE });
    assert.deepEqual(r.expectationFailures, ['expected verdict "encrypted", got "partial"', 'nonce seen in cleartext in 1 frame']);
  });
  it('bad options throw RangeError naming the value', () => {
    assert.throws(() => new Analyzer({ podCidrs: ['10.0.0.0/33'] }), /10\.0\.0\.0\/33/);
    assert.throws(() => new Analyzer({ pods: ['pod-a'] }), /pod-a/);
    assert.throws(() => new Analyzer({ endpoints: ['nowhere'] }), /nowhere/);
    assert.throws(() => new Analyzer({ nonce: '' }), /nonce/);
    assert.throws(() => new Analyzer({ keys: [{ spi: 3, key: Buffer.alloc(16) }] }), /20, 28 or 36/);
  });
});

describe('verifier analyzer: robustness and report', () => {
  it('truncated frames and unsupported link types are counted and warned about, never thrown', () => {
    const cut: F.TestFrame = { ...F.espInVxlan, hex: F.espInVxlan.hex.slice(0, 120) };
    const odd: F.TestFrame = { ...F.hostTcp, linkType: 147 };
    const facts: FrameFacts[] = [];
    const r = analyze([cut, odd, F.hostTcp], {}, facts);
    assert.equal(r.frames, 3);
    assert.equal(r.decode.truncatedFrames, 1);
    assert.equal(r.decode.unsupportedLinkTypeFrames, 1);
    assert.match(r.warnings.join('\n'), /unsupported link type 147/);
    assert.match(r.warnings.join('\n'), /1 frame\(s\) cut short/);
    assert.equal(facts[0].truncated, true);
    assert.equal(facts[1].layers, '');
  });
  it('flow tables are bounded: SAs and pod flows beyond the limit are counted, not listed', () => {
    const a = new Analyzer({});
    const esp = F.bytes(F.espInVxlan);
    const pod = F.bytes(F.clearPing);
    const n = MAX_TRACKED_FLOWS + 50;
    for (let i = 0; i < n; i++) {
      esp.writeUInt32BE(i + 1, 0x54);               // a new SPI each frame
      pod.writeUInt16BE(i, 0x40 + 17);              // a new pod destination 10.x.y.60 each frame (inner IPv4 at 0x40)
      a.addFrame({ index: 2 * i + 1, linkType: 1, buf: esp, offset: 0, caplen: esp.length, origLen: esp.length, tsSec: 0, tsNsec: 0, interfaceId: 0 });
      a.addFrame({ index: 2 * i + 2, linkType: 1, buf: pod, offset: 0, caplen: pod.length, origLen: pod.length, tsSec: 0, tsNsec: 0, interfaceId: 0 });
    }
    const r = a.report(summary([]), []);
    assert.equal(r.esp.packets, n);
    assert.equal(r.esp.flows.length, MAX_TRACKED_FLOWS);
    assert.equal(r.esp.spis.length, MAX_TRACKED_FLOWS);
    assert.equal(r.cleartext.podPackets, n);
    assert.match(r.warnings.join('\n'), /more than 10000 ESP SAs: 50 packets/);
    assert.match(r.warnings.join('\n'), /more than 10000 pod flows/);
  });
  it('the JSON contract fields are present with their types', () => {
    const r = analyze([F.espInVxlan, F.clearPing], { nonce: F.NONCE, keys: [{ spi: 3, key: F.K1 }] });
    const j = JSON.parse(JSON.stringify(r));
    assert.equal(typeof j.verdict, 'string');
    assert.equal(j.frames, 2);
    assert.ok(Array.isArray(j.warnings));
    assert.equal(j.esp.packets, 1);
    assert.deepEqual(j.esp.spis, [3]);
    for (const k of ['src', 'dst', 'spi', 'packets', 'firstSeq', 'lastSeq', 'seqIncreasing', 'paths', 'sizes']) {
      assert.ok(k in j.esp.flows[0], k);
    }
    assert.equal(j.cleartext.podPackets, 1);
    assert.equal(j.nonce.hits, 1);
    assert.deepEqual([j.decryption.ok, j.decryption.failed], [1, 0]);
    assert.ok(Array.isArray(j.reasons));
    assert.equal(typeof j.meetsExpectation, 'boolean');
    const plain = analyze([F.espInVxlan]);
    assert.equal('nonce' in plain, false, 'nonce only when --nonce');
    assert.equal('decryption' in plain, false, 'decryption only with keys');
  });
  it('the summary names the verdict, the reasons, the SAs, the pod flows and the warnings', () => {
    const r = analyze([F.espInVxlanHttp, F.espInVxlan, F.clearPing], { nonce: F.NONCE, expect: 'encrypted' });
    const s = formatReport(r);
    assert.match(s, /^verdict: PARTIAL/);
    assert.match(s, /expectation: NOT met \(expected encrypted\)/);
    assert.match(s, /10\.0\.1\.124 -> 10\.0\.2\.104 SPI 3 \(0x00000003\): 2 packets, seq 16\.\.15 NOT increasing/);
    assert.match(s, /via eth\/ipv4\/udp\/vxlan\/eth\/ipv4\/esp/);
    assert.match(s, /10\.0\.1\.50 -> 10\.0\.2\.60 icmp: 1 packets/);
    assert.match(s, /nonce "cilab-nonce-5e1f0a9c": 1 frames in cleartext/);
    assert.match(s, /warnings:\n {2}- ESP 10\.0\.1\.124/);
    assert.match(formatReport(analyze([])), /^verdict: INCONCLUSIVE/);
  });
});
