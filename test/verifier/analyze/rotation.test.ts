/**
 * The rotation expectation in the analyzer, on the scapy-made ESP frames: the same SPI in both directions never
 * fakes a switch, a direction that went back to the old SPI is not switched, an empty capture never proves a
 * rotation, equal SPIs are refused, and with `between` only the directions between those addresses are judged.
 */
import * as assert from 'node:assert/strict';
import { Analyzer, AnalyzerOptions } from '../../../components/verifier/analyze/analyzer';
import type { Frame } from '../../../components/verifier/capture/types';
import type { Report } from '../../../components/verifier/report';
import * as F from '../decode/frames';

function analyzeAt(frames: F.TestFrame[], times: number[], opts: Partial<AnalyzerOptions>): Report {
  const a = new Analyzer(opts);
  frames.forEach((tf, i) => {
    const b = F.bytes(tf);
    a.addFrame({ index: i + 1, linkType: tf.linkType, buf: b, offset: 0, caplen: b.length, origLen: b.length,
      tsSec: 1764115200 + times[i], tsNsec: 0, interfaceId: 0 } as Frame);
  });
  return a.report({ format: 'pcap', gzip: false, frames: frames.length, bytes: 0, truncated: false, linkTypes: [1] }, []);
}

describe('verifier analyzer: rotation expectation', () => {
  it('equal SPIs are refused', () => {
    assert.throws(() => new Analyzer({ rotation: { from: 3, to: 3 } }), /must differ/);
  });

  it('an empty capture never proves a rotation', () => {
    const r = analyzeAt([], [], { rotation: { from: 3, to: 4 } });
    assert.deepEqual([r.rotation!.met, r.meetsExpectation, r.rotation!.directions], [false, false, []]);
    assert.match(r.expectationFailures.join('\n'), /old SPI 3 carried no traffic[^]*new SPI 4 carried no traffic/);
  });

  it('SPI 3 in both directions against --rotation 3:5: never switched in either, and times per direction', () => {
    const r = analyzeAt([F.espInVxlan, F.espInVxlanReply, F.espInVxlanHttp], [0, 1, 2], { rotation: { from: 3, to: 5 } });
    const d = r.rotation!.directions;
    assert.deepEqual(d.map((x) => [x.src, x.dst, x.oldPackets, x.newPackets, x.lastOld, x.firstNew, x.switched]), [
      ['10.0.1.124', '10.0.2.104', 2, 0, 1764115202, null, false],
      ['10.0.2.104', '10.0.1.124', 1, 0, 1764115201, null, false],
    ]);
    assert.equal(r.rotation!.met, false);
  });

  it('a direction that went back to the old SPI is not switched; old packets after the first new are counted', () => {
    // espInVxlan with its SPI (ESP header at frame offset 0x54) patched to 4: the same direction, the new SPI
    const spi4: F.TestFrame = { ...F.espInVxlan, hex: F.espInVxlan.hex.slice(0, 0x57 * 2) + '04' + F.espInVxlan.hex.slice(0x58 * 2) };
    const back = analyzeAt([F.espInVxlan, spi4, F.espInVxlanHttp], [0, 1, 2], { rotation: { from: 3, to: 4 } });
    const d = back.rotation!.directions[0];
    assert.deepEqual([d.oldPackets, d.newPackets, d.firstNew, d.lastOld, d.oldAfterSwitch, d.switched], [2, 1, 1764115201, 1764115202, 1, false]);
    assert.match(back.expectationFailures.join('\n'), /10\.0\.1\.124 -> 10\.0\.2\.104 went back to SPI 3/);
    // the same with one more new-SPI packet at the end: switched, one old packet in flight after the switch
    const ok = analyzeAt([F.espInVxlan, spi4, F.espInVxlanHttp, spi4], [0, 1, 2, 3], { rotation: { from: 3, to: 4 } });
    const e = ok.rotation!.directions[0];
    assert.deepEqual([e.oldAfterSwitch, e.switched, ok.rotation!.met], [1, true, true]);
    // a cleartext pod packet beside a good rotation fails it
    const leak = analyzeAt([F.espInVxlan, spi4, F.clearPing], [0, 1, 5], { rotation: { from: 3, to: 4 } });
    assert.equal(leak.rotation!.met, false);
    assert.deepEqual(leak.rotation!.cleartextWindows, [{ start: 1764115205, end: 1764115205, packets: 1 }]);
    assert.ok(leak.rotation!.failures.includes('rotation: 1 cleartext pod packet in 1 window (2025-11-26T00:00:05.000Z .. 2025-11-26T00:00:05.000Z: 1)'), leak.rotation!.failures.join('\n'));
  });

  it('with `between`, only the directions between those addresses are judged; the others are reported apart, switched or not', () => {
    const spi4: F.TestFrame = { ...F.espInVxlan, hex: F.espInVxlan.hex.slice(0, 0x57 * 2) + '04' + F.espInVxlan.hex.slice(0x58 * 2) };
    const frames = [F.espInVxlan, F.espInVxlanReply, spi4];
    // Judged: 10.0.1.124 -> 10.0.2.104 switched; 10.0.2.104 -> 10.0.1.124 carried the old SPI only.
    const both = analyzeAt(frames, [0, 1, 2], { rotation: { from: 3, to: 4, between: ['10.0.1.124', '10.0.2.104'] } });
    assert.deepEqual(both.rotation!.directions.map((d) => [d.src, d.dst, d.switched]), [['10.0.1.124', '10.0.2.104', true], ['10.0.2.104', '10.0.1.124', false]]);
    assert.deepEqual([both.rotation!.between, both.rotation!.otherDirections, both.rotation!.met], [['10.0.1.124', '10.0.2.104'], [], false]);
    // Between addresses neither direction has both ends in: nothing judged, everything reported apart, and a
    // rotation nobody drove between them is not proven.
    const apart = analyzeAt(frames, [0, 1, 2], { rotation: { from: 3, to: 4, between: ['10.0.1.124', '10.0.9.9'] } });
    assert.deepEqual(apart.rotation!.directions, []);
    assert.deepEqual(apart.rotation!.otherDirections!.map((d) => [d.src, d.dst, d.switched]), [['10.0.1.124', '10.0.2.104', true], ['10.0.2.104', '10.0.1.124', false]]);
    assert.deepEqual(apart.rotation!.failures, [
      'rotation 3 -> 4: the old SPI 3 carried no traffic between 10.0.1.124, 10.0.9.9 (the capture must start before the rotation)',
      'rotation 3 -> 4: the new SPI 4 carried no traffic between 10.0.1.124, 10.0.9.9: the rotation did not happen in this capture',
    ]);
    assert.throws(() => new Analyzer({ rotation: { from: 3, to: 4, between: ['node1'] } }), /"node1" is not an IP address/);
  });
});
