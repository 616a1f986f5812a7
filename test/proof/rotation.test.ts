/**
 * judgeRotation on reports shaped like the verifier's `--rotation FROM:TO` output: a correct rotation
 * passes (with its lost pings reported, not hidden), and each way a rotation can go wrong fails with the
 * reason: a cleartext window (with its time range), the nonce in clear, a key generation that does not
 * decrypt, an XFRM drop counter that grew (the two counters Cilium's documentation allows are kept apart),
 * no rotation findings at all, and a window without traffic.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { judgeRotation, mergeRotation, ROTATION_TOLERATED_XFRM_COUNTERS, runRotationVerification, type RotationExpectations } from '../../components/proof/rotation';
import { writeWiresharkForXfrm } from '../../components/proof/wireshark';
import type { Report as VerifierReport } from '../../components/verifier';
import { xfrmStateText } from '../helpers/xfrm';

const A = '192.168.211.128';
const B = '192.168.44.128';

function report(over: { cleartextWindows?: { start: number; end: number; packets: number }[]; podPackets?: number; hits?: number; failedNew?: number; rotation?: boolean } = {}): VerifierReport {
  const flow = (src: string, dst: string, spi: number, failed = 0) => ({ src, dst, spi, packets: 50, decryption: { ok: 50 - failed, failed } });
  const r: Record<string, unknown> = {
    verdict: over.podPackets ? 'partial' : 'encrypted',
    frames: 220,
    warnings: [],
    esp: { packets: 200, spis: [3, 4], flows: [flow(A, B, 3), flow(B, A, 3), flow(A, B, 4, over.failedNew ?? 0), flow(B, A, 4)] },
    cleartext: { podPackets: over.podPackets ?? 0 },
    nonce: { hits: over.hits ?? 0, decryptedHits: 80 },
    decryption: { ok: 200, failed: over.failedNew ?? 0 },
    expectationFailures: [],
  };
  if (over.rotation !== false) {
    r.rotation = {
      from: 3,
      to: 4,
      met: !(over.cleartextWindows?.length || over.podPackets || over.hits),
      directions: [
        { src: A, dst: B, lastOld: 1796113700.25, firstNew: 1796113700.5, oldAfterSwitch: 2 },
        { src: B, dst: A, lastOld: 1796113701.0, firstNew: 1796113701.2, oldAfterSwitch: 0 },
      ],
      cleartextWindows: over.cleartextWindows ?? [],
    };
  }
  return r as unknown as VerifierReport;
}

const x = (over: Partial<RotationExpectations> = {}): RotationExpectations => ({
  from: 3,
  to: 4,
  nonce: 'lab-r0tat10nn0nc',
  endpoints: [A, B, '192.168.211.10'],
  traffic: { pingTransmitted: 200, pingReceived: 199, pingLost: 1, httpTotal: 40, httpAnswered: 40 },
  xfrmErrorsGrown: {},
  tcpdump: { file: 'f', bytes: 1, captured: 220, received: 220, dropped: 0, stoppedBy: 'signal' },
  ...over,
});

describe('judgeRotation', () => {
  it('passes a correct rotation and reports per direction, both generations decrypted, and the lost ping', () => {
    const j = judgeRotation(report(), x(), 'captures/ipsec/1-rotation.pcap');
    assert.deepStrictEqual(j.failures, []);
    assert.strictEqual(j.pass, true);
    assert.deepStrictEqual(j.decryption, { from: { ok: 100, failed: 0 }, to: { ok: 100, failed: 0 } });
    assert.strictEqual(j.directions[0].oldAfterSwitch, 2);
    assert.deepStrictEqual(j.warnings, ['1 of 200 pings were lost during the rotation window']);
    assert.strictEqual(j.capturePath, 'captures/ipsec/1-rotation.pcap');
  });

  it('fails on a cleartext window, naming its time range, and on the nonce in clear', () => {
    const j = judgeRotation(report({ cleartextWindows: [{ start: 1796113700, end: 1796113702, packets: 14 }], podPackets: 14, hits: 6 }), x(), 'c');
    assert.strictEqual(j.pass, false);
    assert.ok(j.failures.includes('14 cleartext pod packets from 2026-12-01T08:28:20.000Z to 2026-12-01T08:28:22.000Z: the rotation let traffic out unencrypted'), j.failures.join('\n'));
    assert.ok(j.failures.includes('nonce lab-r0tat10nn0nc seen in cleartext in 6 frames of the rotation window, expected 0'));
    assert.ok(!j.failures.some((f) => /^14 cleartext pod packets in the rotation window/.test(f)), 'the window already says it');
  });

  it('fails when the new generation does not decrypt with the nodes\' states', () => {
    const j = judgeRotation(report({ failedNew: 5 }), x(), 'c');
    assert.deepStrictEqual(j.failures, ["5 packets of SPI 4 failed to decrypt (ICV) with the nodes' xfrm states"]);
  });

  it('fails on a grown drop counter; XfrmInError and XfrmFwdHdrError (not mistakes per Cilium\'s docs) are reported apart', () => {
    assert.deepStrictEqual([...ROTATION_TOLERATED_XFRM_COUNTERS], ['XfrmInError', 'XfrmFwdHdrError']);
    const j = judgeRotation(report(), x({ xfrmErrorsGrown: { worker1: { XfrmInNoStates: [0, 12], XfrmInError: [0, 1] }, worker2: { XfrmFwdHdrError: [2, 3] } } }), 'c');
    assert.deepStrictEqual(j.failures, ['node worker1: XFRM error counter XfrmInNoStates grew from 0 to 12 during the rotation (packets dropped)']);
    assert.deepStrictEqual(j.xfrmErrorsTolerated, { worker1: { XfrmInError: [0, 1] }, worker2: { XfrmFwdHdrError: [2, 3] } });
  });

  it('fails without rotation findings, and on a window without traffic', () => {
    assert.ok(judgeRotation(report({ rotation: false }), x(), 'c').failures.includes('the verifier reported no rotation findings (run with the rotation expectation FROM:TO)'));
    const idle = judgeRotation(report(), x({ traffic: { pingTransmitted: 0, pingReceived: 0, pingLost: 0, httpTotal: 0, httpAnswered: 0 } }), 'c');
    assert.ok(idle.failures.includes('no traffic was sent during the rotation window: a window without traffic proves nothing'));
  });

  it('mergeRotation: the stack passes only if both verdicts do; without a rotation nothing changes', () => {
    const ok = judgeRotation(report(), x(), 'c');
    const bad = judgeRotation(report({ failedNew: 1 }), x(), 'c');
    const v = { pass: true, failures: [] as string[] };
    assert.strictEqual(mergeRotation(v, undefined), v);
    assert.strictEqual(mergeRotation(v, ok).pass, true);
    const m = mergeRotation(v, bad);
    assert.strictEqual(m.pass, false);
    assert.deepStrictEqual(m.failures, ["rotation 3 -> 4: 1 packets of SPI 4 failed to decrypt (ICV) with the nodes' xfrm states"]);
  });

  it('runRotationVerification: both generations reach the verifier in 0600 files (removed after), a Wireshark dir opens the pcap', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rot-verify-'));
    try {
      fs.mkdirSync(path.join(root, 'captures', 'ipsec'), { recursive: true });
      fs.writeFileSync(path.join(root, 'captures', 'ipsec', '1-rotation.pcap'), 'stand-in');
      const sa = (spi: number, key: string) => xfrmStateText({ src: A, dst: B, spi, key });
      const seen: { files: string[]; modes: number[] } = { files: [], modes: [] };
      const r = await runRotationVerification(
        { capturePath: 'captures/ipsec/1-rotation.pcap', root, podCidr: '10.0.0.0/8', expectations: x(), xfrmTexts: [sa(3, '11'.repeat(20)), sa(4, '22'.repeat(20))], writeWireshark: writeWiresharkForXfrm },
        async (_capture, opts) => {
          seen.files = opts.xfrmFiles ?? [];
          seen.modes = seen.files.map((f) => fs.statSync(f).mode & 0o777);
          return report();
        },
      );
      assert.strictEqual(r.pass, true, r.failures.join('\n'));
      assert.deepStrictEqual(seen.modes, [0o600, 0o600]);
      assert.ok(seen.files.every((f) => !fs.existsSync(f)), 'temp xfrm files removed');
      assert.deepStrictEqual(r.verifierArgs?.slice(-2), ['--rotation', '3:4']);
      assert.strictEqual(r.wiresharkConfigDir, 'captures/ipsec/1-rotation.wireshark');
      const esp = fs.readFileSync(path.join(root, r.wiresharkConfigDir, 'esp_sa'), 'utf8');
      assert.match(esp, /0x00000003/);
      assert.match(esp, /0x00000004/);
      const missing = await runRotationVerification({ capturePath: 'captures/ipsec/9-rotation.pcap', root, podCidr: '10.0.0.0/8', expectations: x(), xfrmTexts: [] }, async () => report());
      assert.deepStrictEqual(missing.failures, ['rotation capture captures/ipsec/9-rotation.pcap is missing on this machine']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
