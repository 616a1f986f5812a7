/**
 * WireGuard as evidence in the analyzer: transport data carrying traffic reads as encrypted, beside cleartext pod
 * packets as partial; handshakes and keepalives alone prove nothing; counters are tracked per receiver index and
 * a counter going down is reported; invalid datagrams on the port are counted and warned about, never evidence.
 */
import * as assert from 'node:assert/strict';
import { Analyzer, AnalyzerOptions } from '../../../components/verifier/analyze/analyzer';
import type { Frame } from '../../../components/verifier/capture/types';
import type { Report } from '../../../components/verifier/report';
import * as F from '../decode/frames';
import { INITIATION, KEEPALIVE, RESPONSE, TRANSPORT, WG_AT } from '../decode/wireguard-frames';

function analyze(frames: Buffer[], opts: Partial<AnalyzerOptions> = {}): Report {
  const a = new Analyzer(opts);
  frames.forEach((b, i) => {
    const f: Frame = { index: i + 1, linkType: 1, buf: b, offset: 0, caplen: b.length, origLen: b.length,
      tsSec: 1764115200 + i, tsNsec: 0, interfaceId: 0 };
    a.addFrame(f);
  });
  return a.report({ format: 'pcap', gzip: false, frames: frames.length, bytes: 0, truncated: false, linkTypes: [1] }, []);
}

/** The transport frame with another counter (little-endian 64 bits at message offset 8). */
function withCounter(n: number): Buffer {
  const b = Buffer.from(TRANSPORT);
  b.writeUInt32LE(n, WG_AT + 8);
  return b;
}

describe('verifier analyzer: WireGuard evidence', () => {
  it('transport data carrying traffic, no cleartext pod packet: encrypted, and --expect encrypted is met', () => {
    const r = analyze([INITIATION, RESPONSE, TRANSPORT, KEEPALIVE], { expect: 'encrypted' });
    assert.equal(r.verdict, 'encrypted', r.reasons.join('\n'));
    assert.equal(r.meetsExpectation, true);
    assert.deepEqual([r.wireguard.packets, r.wireguard.dataPackets, r.wireguard.keepalives, r.wireguard.handshakes, r.wireguard.invalid], [4, 2, 1, 2, 0]);
    assert.match(r.reasons.join('\n'), /WireGuard seen: 1 transport data packet carrying traffic in 1 flow/);
    const f = r.wireguard.flows[0];
    assert.deepEqual([f.src, f.dst, f.receiverIndex, f.packets, f.firstCounter, f.lastCounter, f.counterIncreasing],
      ['192.168.44.128', '192.168.211.128', 0xbe3b9af1, 2, 0, 4, true]);
    assert.deepEqual([f.firstTime, f.lastTime, f.firstFrame, f.lastFrame], [1764115202, 1764115203, 3, 4]);
  });

  it('beside cleartext pod packets: partial', () => {
    assert.equal(analyze([TRANSPORT, F.bytes(F.clearPing)]).verdict, 'partial');
  });

  it('handshakes and keepalives alone carry no traffic: not evidence (a capture with only those is inconclusive)', () => {
    const r = analyze([INITIATION, RESPONSE, KEEPALIVE], { expect: 'encrypted' });
    assert.equal(r.verdict, 'inconclusive');
    assert.equal(r.meetsExpectation, false);
    assert.match(r.reasons.join('\n'), /WireGuard seen but no transport data carrying traffic/);
    assert.equal(analyze([KEEPALIVE, F.bytes(F.clearPing)]).verdict, 'cleartext');
  });

  it('counters only grow per receiver index: a decrease is reported, a repeat (the same message twice) counted apart', () => {
    const r = analyze([withCounter(5), withCounter(6), withCounter(6), withCounter(3)]);
    const f = r.wireguard.flows[0];
    assert.deepEqual([f.packets, f.firstCounter, f.lastCounter, f.counterIncreasing, f.counterDecreases, f.counterRepeats], [4, 5, 3, false, 1, 1]);
    assert.match(r.warnings.join('\n'), /counter went down 1 time/);
    // another receiver index is another flow: its own counters do not interfere
    const other = Buffer.from(withCounter(0));
    other.writeUInt32LE(0x12345678, WG_AT + 4);
    const two = analyze([withCounter(7), other, withCounter(8)]);
    assert.equal(two.wireguard.flows.length, 2);
    assert.ok(two.wireguard.flows.every((x) => x.counterIncreasing));
  });

  it('a datagram on the port that is not a message is counted as invalid, warned about, and is no evidence', () => {
    const bad = Buffer.from(TRANSPORT);
    bad[WG_AT] = 9;
    const r = analyze([bad, F.bytes(F.hostTcp)], { expect: 'encrypted' });
    assert.deepEqual([r.verdict, r.wireguard.invalid, r.wireguard.packets, r.wireguard.invalidFrames], ['inconclusive', 1, 0, [1]]);
    assert.match(r.warnings.join('\n'), /1 datagram on WireGuard port 51871 not a valid WireGuard message/);
    // in the timeline it is host traffic, not WireGuard
    const counts = r.timeline.buckets.reduce((n, b) => n + b.counts.wireguard, 0);
    assert.equal(counts, 0);
  });

  it('the timeline counts valid messages as wireguard', () => {
    const r = analyze([INITIATION, TRANSPORT, F.bytes(F.hostTcp)]);
    const sum = (k: 'wireguard' | 'host') => r.timeline.buckets.reduce((n, b) => n + b.counts[k], 0);
    assert.deepEqual([sum('wireguard'), sum('host')], [2, 1]);
  });
});
