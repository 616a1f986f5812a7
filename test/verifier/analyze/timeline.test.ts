/**
 * Times, timeline and samples: ESP flows carry their first and last capture time, cleartext pod packets are
 * grouped into windows (a gap of more than a second starts a new one), every frame lands in exactly one timeline
 * class and bucket (checked against bucket arithmetic done here on the raw times), the timeline stays within
 * 240 buckets however long the capture, and samples are one frame per class with its bytes.
 */
import * as assert from 'node:assert/strict';
import { Analyzer, AnalyzerOptions } from '../../../components/verifier/analyze/analyzer';
import { C_HOST, C_POD, MAX_BUCKETS, MAX_POD_ENTRIES, PodFlowTimes, TimelineCollector } from '../../../components/verifier/analyze/timeline';
import type { Frame } from '../../../components/verifier/capture/types';
import { parseXfrmState } from '../../../components/verifier/crypto/xfrm';
import { FRAME_CLASSES, Report } from '../../../components/verifier/report';
import * as F from '../decode/frames';
import { xfrmStatesText } from '../../helpers/xfrm';

const T0 = 1764115200;

/** Feeds frames with the given capture times (seconds since the epoch, fractional). */
function analyzeAt(frames: F.TestFrame[], times: number[], opts: Partial<AnalyzerOptions> = {}): Report {
  assert.equal(frames.length, times.length);
  const a = new Analyzer(opts);
  frames.forEach((tf, i) => {
    const b = F.bytes(tf);
    const sec = Math.floor(times[i]);
    const f: Frame = { index: i + 1, linkType: tf.linkType, buf: b, offset: 0, caplen: b.length, origLen: b.length,
      tsSec: sec, tsNsec: Math.round((times[i] - sec) * 1e9), interfaceId: 0 };
    a.addFrame(f);
  });
  return a.report({ format: 'pcap', gzip: false, frames: frames.length, bytes: 0, truncated: false, linkTypes: [1] }, []);
}

const xfrm = () =>
  parseXfrmState(
    xfrmStatesText([
      { src: '10.0.1.124', dst: '10.0.2.104', spi: 3, key: F.K1 },
      { src: '0.0.0.0', dst: '10.0.1.124', spi: 3, key: F.K2 },
    ]),
  );

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;
function classTotals(r: Report): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(FRAME_CLASSES.map((c) => [c, 0]));
  for (const b of r.timeline.buckets) for (const c of FRAME_CLASSES) out[c] += b.counts[c];
  return out;
}

describe('verifier analyzer: times and cleartext windows', () => {
  it('every ESP flow has the capture times of its first and last packet', () => {
    const r = analyzeAt([F.espInVxlan, F.espInVxlanReply, F.espInVxlanHttp], [T0 + 0.25, T0 + 1.5, T0 + 7.75]);
    const ab = r.esp.flows.find((f) => f.src === '10.0.1.124')!;
    const ba = r.esp.flows.find((f) => f.src === '10.0.2.104')!;
    assert.ok(close(ab.firstTime, T0 + 0.25) && close(ab.lastTime, T0 + 7.75), JSON.stringify(ab));
    assert.ok(close(ba.firstTime, T0 + 1.5) && close(ba.lastTime, T0 + 1.5), JSON.stringify(ba));
  });

  it('an ESP packet time-stamped earlier than the one before it (reordered capture) moves firstTime back', () => {
    const r = analyzeAt([F.espInVxlan, F.espInVxlanHttp], [T0 + 5, T0 + 2]);
    assert.deepEqual([r.esp.flows[0].firstTime, r.esp.flows[0].lastTime], [T0 + 2, T0 + 5]);
  });

  it('cleartext pod packets form windows split by gaps of more than one second (exactly one second is no gap)', () => {
    const frames = [F.clearPing, F.clearGet, F.espInVxlan, F.clearResp, F.clearPing, F.clearGet, F.clearPing];
    const times = [T0, T0 + 0.5, T0 + 1, T0 + 1.5, T0 + 3, T0 + 3.25, T0 + 10];
    const r = analyzeAt(frames, times);
    assert.equal(r.cleartext.podPackets, 6);
    assert.deepEqual(r.cleartext.windows, [
      { start: T0, end: T0 + 1.5, packets: 3 }, { start: T0 + 3, end: T0 + 3.25, packets: 2 }, { start: T0 + 10, end: T0 + 10, packets: 1 },
    ]);
    assert.equal(r.cleartext.windows.reduce((n, w) => n + w.packets, 0), r.cleartext.podPackets);
  });

  it('windows of several pod flows interleaved in time merge into one', () => {
    // clearPing and clearGet are different flows (icmp, http): 0.9 s apart alternately, never more than 1 s
    const r = analyzeAt([F.clearPing, F.clearGet, F.clearPing, F.clearGet], [T0, T0 + 0.9, T0 + 1.8, T0 + 2.7]);
    assert.deepEqual(r.cleartext.windows, [{ start: T0, end: T0 + 2.7, packets: 4 }]);
  });

  it('host-to-pod packets from an ESP endpoint (cilium_host) are not in the windows and count as host', () => {
    const r = analyzeAt([F.clearHostToPod, F.espInVxlan, F.clearPing], [T0, T0 + 0.1, T0 + 5]);
    assert.equal(r.cleartext.podPackets, 1);
    assert.deepEqual(r.cleartext.windows, [{ start: T0 + 5, end: T0 + 5, packets: 1 }]);
    assert.deepEqual(classTotals(r), { esp: 1, wireguard: 0, podCleartext: 1, host: 1, other: 0 });
  });

  it('no cleartext pod packet: no window', () => {
    assert.deepEqual(analyzeAt([F.espInVxlan, F.hostTcp], [T0, T0 + 3]).cleartext.windows, []);
  });
});

describe('verifier analyzer: timeline', () => {
  it('classes: each frame in exactly one, podCleartext equal to cleartext.podPackets', () => {
    const frames = [F.espInVxlan, F.clearPing, F.hostTcp, F.arp, F.espNull, F.rawV6, F.espInVxlanReply];
    const r = analyzeAt(frames, frames.map((_, i) => T0 + i * 0.01));
    const totals = classTotals(r);
    // espNull carries a readable pod packet: counted as a cleartext pod packet, so podCleartext, not esp
    assert.deepEqual(totals, { esp: 2, wireguard: 0, podCleartext: 2, host: 2, other: 1 });
    assert.equal(totals.podCleartext, r.cleartext.podPackets);
    assert.equal(Object.values(totals).reduce((a, b) => a + b, 0), r.frames);
  });

  it('buckets start at the first frame\'s second and hold the frames bucket arithmetic says they should', () => {
    const times = [T0 + 0.3, T0 + 0.31, T0 + 2.0, T0 + 2.2, T0 + 29.9];
    const frames = [F.espInVxlan, F.clearPing, F.espInVxlanReply, F.hostTcp, F.arp];
    const r = analyzeAt(frames, times);
    const w = r.timeline.bucketSeconds;
    assert.equal(w, 0.125); // 30 s fit in 240 buckets of 1/8 s
    assert.equal(r.timeline.buckets[0].start, T0);
    assert.equal(r.timeline.buckets.length, Math.floor(29.9 / w) + 1);
    r.timeline.buckets.forEach((b, i) => assert.equal(b.start, T0 + i * w));
    const classes = ['esp', 'podCleartext', 'esp', 'host', 'other'] as const;
    times.forEach((t, i) => {
      const b = r.timeline.buckets[Math.floor((t - T0) / w)];
      assert.ok(b.counts[classes[i]] >= 1, `frame ${i + 1} at ${t} not in bucket ${JSON.stringify(b)}`);
    });
    assert.equal(r.timeline.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((x, y) => x + y, 0), 0), 5);
  });

  it('a long capture doubles the bucket width until it fits in 240 buckets, without losing a frame', () => {
    // 2 hours: 7200 s / 240 = 30 s: the smallest 1/8 * 2^k >= 30.0x is 32 s
    const times: number[] = [];
    for (let s = 0; s <= 7200; s += 7.3) times.push(T0 + s);
    const frames = times.map((_, i) => (i % 3 === 0 ? F.clearPing : i % 3 === 1 ? F.espInVxlan : F.hostTcp));
    const r = analyzeAt(frames, times);
    assert.equal(r.timeline.bucketSeconds, 32);
    assert.ok(r.timeline.buckets.length <= MAX_BUCKETS);
    const expected = new Map<number, number>();
    for (const t of times) expected.set(Math.floor((t - T0) / 32), (expected.get(Math.floor((t - T0) / 32)) ?? 0) + 1);
    r.timeline.buckets.forEach((b, i) => {
      const n = Object.values(b.counts).reduce((x, y) => x + y, 0);
      assert.equal(n, expected.get(i) ?? 0, `bucket ${i}`);
    });
    assert.equal(classTotals(r).podCleartext, r.cleartext.podPackets);
  });

  it('the collector alone: widths stay powers of two times 1/8 s and every count survives the merges', () => {
    const tl = new TimelineCollector();
    let n = 0;
    for (let t = 0; t < 100000; t += 13.7) { tl.add(n % 5, T0 + t); n++; }
    const r = tl.report();
    assert.ok(r.buckets.length <= MAX_BUCKETS && r.buckets.length > MAX_BUCKETS / 2, String(r.buckets.length));
    assert.equal(Math.log2(r.bucketSeconds * 8) % 1, 0);
    assert.equal(r.buckets.reduce((s, b) => s + Object.values(b.counts).reduce((x, y) => x + y, 0), 0), n);
  });

  it('pod flows keep at most MAX_POD_ENTRIES time entries together, and no packet is lost past that bound', () => {
    const tl = new TimelineCollector();
    const flows = Array.from({ length: 1200 }, () => new PodFlowTimes());
    let n = 0;
    // every flow active in 300 buckets of 1/8 s (~37 s): 360000 entries would be needed
    for (let k = 0; k < 300; k++) for (const f of flows) { f.add(T0 + k * 0.125 + 0.01, tl); n++; }
    assert.ok(tl.podEntries <= MAX_POD_ENTRIES, String(tl.podEntries));
    assert.equal(tl.podOverflow, true);
    flows.forEach((f, i) => f.addTo(tl, i % 2 ? C_HOST : C_POD));
    const r = tl.report();
    assert.equal(r.buckets.reduce((s, b) => s + b.counts.podCleartext + b.counts.host, 0), n);
    // one flow's windows are unaffected: one window of 300 packets
    assert.deepEqual(flows[0].allWindows().map((w) => w.packets), [300]);
  });

  it('time going back and forth (merged or reordered captures) keeps a flow\'s entries bounded and costs little', () => {
    const tl = new TimelineCollector();
    const f = new PodFlowTimes();
    const t0 = Date.now();
    // 25 buckets of a 10 s stretch, replayed 2000 times: each packet lands in another bucket than the one before
    for (let r = 0; r < 2000; r++) for (let k = 0; k < 25; k++) f.add(T0 + k * 0.4, tl);
    assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
    assert.ok(tl.podEntries <= 2 * MAX_BUCKETS, String(tl.podEntries));
    f.addTo(tl, C_POD);
    const r = tl.report();
    assert.equal(r.buckets.reduce((s, b) => s + b.counts.podCleartext, 0), 50000);
    for (let k = 0; k < 25; k++) assert.equal(r.buckets[Math.floor((k * 0.4) / r.bucketSeconds)].counts.podCleartext >= 2000, true);
  });

  it('an empty capture has no buckets', () => {
    assert.deepEqual(analyzeAt([], []).timeline.buckets, []);
  });
});

describe('verifier analyzer: samples', () => {
  it('off by default', () => {
    assert.equal(analyzeAt([F.espInVxlan], [T0]).samples, undefined);
  });

  it('one frame per class: the first, ESP preferring a decrypted one with its plaintext, pod traffic one with the nonce', () => {
    const frames = [F.arp, F.espInVxlanReply, F.clearResp, F.hostTcp, F.espInVxlan, F.clearPing, F.hostTcp];
    const times = frames.map((_, i) => T0 + i);
    // the reply needs K2 with source 10.0.2.104: drop that state so only frame 5 decrypts
    const states = xfrm().slice(0, 1);
    const r = analyzeAt(frames, times, { samples: true, nonce: F.NONCE, xfrm: states });
    const by = Object.fromEntries((r.samples ?? []).map((s) => [s.class, s]));
    assert.deepEqual(r.samples!.map((s) => s.class), ['esp', 'podCleartext', 'host', 'other']);
    assert.deepEqual([by.esp.frame, by.podCleartext.frame, by.host.frame, by.other.frame], [5, 6, 4, 1]);
    assert.equal(by.esp.dataHex, F.bytes(F.espInVxlan).toString('hex'));
    assert.equal(by.esp.time, T0 + 4);
    assert.deepEqual([by.esp.linkType, by.esp.origLen], [1, F.bytes(F.espInVxlan).length]);
    // the plaintext is the inner pod packet: an IPv4 header 10.0.1.50 -> 10.0.2.60 whose total length is all of it
    const p = Buffer.from(by.esp.plaintextHex!, 'hex');
    assert.equal(by.esp.innerProto, 4);
    assert.equal(p[0], 0x45);
    assert.equal(p.readUInt16BE(2), p.length);
    assert.deepEqual([...p.subarray(12, 20)], [10, 0, 1, 50, 10, 0, 2, 60]);
    assert.ok(p.includes(Buffer.from(F.NONCE)));
    assert.equal(by.esp.nonceFound, true);
    assert.equal(by.podCleartext.nonceFound, true);
    assert.ok(Buffer.from(by.podCleartext.dataHex, 'hex').includes(Buffer.from(F.NONCE)));
  });

  it('without a key the first ESP frame is the sample (no plaintext); without a nonce option no nonceFound', () => {
    const r = analyzeAt([F.clearResp, F.espInVxlanReply, F.espInVxlan], [T0, T0 + 1, T0 + 2], { samples: true });
    const esp = r.samples!.find((s) => s.class === 'esp')!;
    assert.equal(esp.frame, 2);
    assert.equal(esp.plaintextHex, undefined);
    assert.equal(esp.nonceFound, undefined);
    // without the nonce, the first pod frame (the HTTP response) is the pod sample
    assert.equal(r.samples!.find((s) => s.class === 'podCleartext')!.frame, 1);
  });

  it('a host-to-pod frame from an ESP endpoint is the host sample, not the pod one', () => {
    const r = analyzeAt([F.clearHostToPod, F.espInVxlan], [T0, T0 + 1], { samples: true });
    assert.deepEqual(r.samples!.map((s) => [s.class, s.frame]), [['esp', 2], ['host', 1]]);
  });

  it('a sample holds at most 4096 captured bytes, and origLen says how long the frame was', () => {
    const big = { ...F.clearPing, hex: F.clearPing.hex + '00'.repeat(5000) };
    const r = analyzeAt([big], [T0], { samples: true });
    const s = r.samples![0];
    assert.equal(s.dataHex.length, 4096 * 2);
    assert.equal(s.origLen, F.bytes(big).length);
  });
});
