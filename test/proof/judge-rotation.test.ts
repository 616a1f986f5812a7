/**
 * The rotation verdict: the verifier's `rotation` expectation first, then the lab's own checks. On reports
 * shaped like the verifier's `--rotation FROM:TO` output: a correct rotation passes (with its lost pings
 * reported, not hidden), the verifier's failures come first and fail it, and each lab check fails on its
 * own: a key generation that does not decrypt, an XFRM drop counter that grew (the two counters Cilium's
 * documentation allows are kept apart), no rotation seen between the client's and the server's node, a
 * window without traffic. On a capture built here with the real verifier: a third node pair the lab's
 * traffic does not drive (a control-plane's health probe on the old SPI only, its answer on the new SPI
 * only) is reported apart and fails nothing, and the command line the result names agrees.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  judgeRotation,
  mergeRotation,
  ROTATION_CHECKS,
  verifyRotation,
  type RotationExpectations,
} from '../../components/proof/judge-rotation';
import { writeWiresharkForXfrm } from '../../components/proof/wireshark';
import { verifyCapture, type Report as VerifierReport } from '../../components/verifier';
import { execute } from '../../components/verifier-cli/cli';
import { DEFAULT_TRAFFIC as T, rotationWithThirdPair, xfrmStateText, type LabTraffic } from './helpers/pcap';

const A = '192.168.211.128';
const B = '192.168.44.128';
const CP = '192.168.211.10';

function report(over: { failedNew?: number; rotation?: boolean; expectationFailures?: string[]; decryptedHits?: number } = {}): VerifierReport {
  const flow = (src: string, dst: string, spi: number, failed = 0) => ({ src, dst, spi, packets: 50, decryption: { ok: 50 - failed, failed } });
  const failures = over.expectationFailures ?? [];
  const r: Record<string, unknown> = {
    verdict: 'encrypted',
    frames: 220,
    warnings: [],
    esp: { packets: 200, spis: [3, 4], flows: [flow(A, B, 3), flow(B, A, 3), flow(A, B, 4, over.failedNew ?? 0), flow(B, A, 4)] },
    cleartext: { podPackets: 0 },
    nonce: { hits: 0, decryptedHits: over.decryptedHits ?? 80 },
    decryption: { ok: 200, failed: over.failedNew ?? 0 },
    meetsExpectation: failures.length === 0,
    expectationFailures: failures,
  };
  if (over.rotation !== false) {
    r.rotation = {
      from: 3,
      to: 4,
      met: failures.length === 0,
      directions: [
        { src: A, dst: B, lastOld: 1796113700.25, firstNew: 1796113700.5, oldAfterSwitch: 2, switched: true },
        { src: B, dst: A, lastOld: 1796113701.0, firstNew: 1796113701.2, oldAfterSwitch: 0, switched: true },
      ],
      cleartextWindows: [],
      failures,
    };
  }
  return r as unknown as VerifierReport;
}

const x = (over: Partial<RotationExpectations> = {}): RotationExpectations => ({
  from: 3,
  to: 4,
  nonce: 'lab-r0tat10nn0nc',
  endpoints: [A, B, CP],
  clientNode: [A],
  serverNode: [B],
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

  it("the verifier's failures (a cleartext window, the nonce in clear) come first and fail it", () => {
    const verifier = ['rotation: 14 cleartext pod packets in 1 window (2026-12-01T08:28:20.000Z .. 2026-12-01T08:28:22.000Z: 14)', 'rotation: nonce seen in cleartext in 6 frames'];
    const j = judgeRotation(report({ expectationFailures: verifier }), x(), 'c');
    assert.strictEqual(j.pass, false);
    assert.deepStrictEqual(j.failures, verifier);
  });

  it("fails when the new generation does not decrypt with the nodes' states, or the nonce is not inside", () => {
    assert.deepStrictEqual(judgeRotation(report({ failedNew: 5 }), x(), 'c').failures, ["5 packets of SPI 4 failed to decrypt (ICV) with the nodes' xfrm states"]);
    assert.deepStrictEqual(judgeRotation(report({ decryptedHits: 0 }), x(), 'c').failures, ["nonce lab-r0tat10nn0nc not found inside the decrypted packets: the ESP did not carry the window's traffic"]);
  });

  it("fails on a grown drop counter; the counters the lab's one rule tolerates (xfrm-counters.ts) are reported apart", () => {
    const j = judgeRotation(report(), x({ xfrmErrorsGrown: {
      worker1: { XfrmInNoStates: [0, 12], XfrmInError: [0, 1] },
      worker2: { XfrmFwdHdrError: [2, 3], XfrmInStateInvalid: [5, 14] },
      cp: { XfrmInError: [0, 10] },
    } }), 'c');
    assert.deepStrictEqual(j.failures, [
      'node worker1: XFRM error counter XfrmInNoStates grew from 0 to 12 during the rotation (packets dropped)',
      'node cp: XFRM error counter XfrmInError grew from 0 to 10 during the rotation (packets dropped)',
    ]);
    assert.deepStrictEqual(j.xfrmErrorsGrown, { worker1: { XfrmInNoStates: [0, 12] }, cp: { XfrmInError: [0, 10] } });
    assert.deepStrictEqual(j.xfrmErrorsTolerated, { worker1: { XfrmInError: [0, 1] }, worker2: { XfrmFwdHdrError: [2, 3], XfrmInStateInvalid: [5, 14] } });
  });

  it("fails without rotation findings between the client's and the server's node, on a window without traffic, on tcpdump drops", () => {
    assert.deepStrictEqual(judgeRotation(report({ rotation: false }), x(), 'c').failures, [
      `no ESP of SPI 3 or 4 from the client's node to the server's (${A} -> ${B}) in the rotation window`,
      `no ESP of SPI 3 or 4 from the server's node to the client's (${B} -> ${A}) in the rotation window`,
    ]);
    const idle = judgeRotation(report(), x({ traffic: { pingTransmitted: 0, pingReceived: 0, pingLost: 0, httpTotal: 0, httpAnswered: 0 } }), 'c');
    assert.deepStrictEqual(idle.failures, ['no traffic was sent during the rotation window: a window without traffic proves nothing']);
    const drops = judgeRotation(report(), x({ tcpdump: { file: 'f', bytes: 1, captured: 9, received: 12, dropped: 3, stoppedBy: 'signal' } }), 'c');
    assert.deepStrictEqual(drops.failures, ['tcpdump dropped 3 packets (kernel): the capture is incomplete']);
    assert.deepStrictEqual(ROTATION_CHECKS.map((c) => c.name), [
      'tcpdump dropped nothing',
      'traffic was sent during the rotation window',
      "the window's traffic crossed both ways between the client's and the server's node",
      "the nodes' xfrm states decrypt both key generations, and the nonce is inside",
      'no XFRM error counter grew beyond those Cilium does not count as mistakes',
    ]);
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
});

describe('verifyRotation', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rot-verify-'));
    fs.mkdirSync(path.join(root, 'captures', 'ipsec'), { recursive: true });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('hands the verifier both generations as parsed states (no file), asks for the rotation between the two nodes, writes a Wireshark dir', async () => {
    fs.writeFileSync(path.join(root, 'captures', 'ipsec', '1-rotation.pcap'), 'stand-in');
    const sa = (spi: number, key: string) =>
      `src ${A} dst ${B}\n\tproto esp spi 0x${spi.toString(16).padStart(8, '0')} reqid 1 mode tunnel\n\treplay-window 0 \n\taead rfc4106(gcm(aes)) 0x${key} 128\n\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n`;
    let seen: Record<string, unknown> = {};
    const r = await verifyRotation(
      { capturePath: 'captures/ipsec/1-rotation.pcap', root, podCidr: '10.0.0.0/8', expectations: x(), xfrmTexts: [sa(3, '11'.repeat(20)), sa(4, '22'.repeat(20))], writeWireshark: writeWiresharkForXfrm },
      async (_capture, opts) => {
        seen = opts as Record<string, unknown>;
        return report();
      },
    );
    assert.strictEqual(r.pass, true, r.failures.join('\n'));
    assert.strictEqual(seen.xfrmFiles, undefined);
    assert.deepStrictEqual((seen.xfrm as { spi: number }[]).map((s) => s.spi), [3, 4]);
    assert.deepStrictEqual(seen.rotation, { from: 3, to: 4, between: [A, B] });
    assert.deepStrictEqual(r.verifierArgs?.slice(-4), ['--rotation', '3:4', '--rotation-between', `${A},${B}`]);
    assert.strictEqual(r.wiresharkConfigDir, 'captures/ipsec/1-rotation.wireshark');
    const esp = fs.readFileSync(path.join(root, r.wiresharkConfigDir, 'esp_sa'), 'utf8');
    assert.match(esp, /0x00000003/);
    assert.match(esp, /0x00000004/);
    const missing = await verifyRotation({ capturePath: 'captures/ipsec/9-rotation.pcap', root, podCidr: '10.0.0.0/8', expectations: x(), xfrmTexts: [] }, async () => report());
    assert.deepStrictEqual(missing.failures, ['rotation capture captures/ipsec/9-rotation.pcap is missing on this machine']);
    assert.strictEqual(missing.pass, false);
  });

  describe('a third node pair the traffic does not drive (control-plane <-> worker2 health probes), with the real verifier', () => {
    const old: LabTraffic = { ...T, spi: 3 };
    const neu: LabTraffic = { ...T, spi: 4, key12: Buffer.from('a1'.repeat(20), 'hex'), key21: Buffer.from('b2'.repeat(20), 'hex') };
    const rel = 'captures/ipsec/2-rotation.pcap';
    const texts = [xfrmStateText(old, 1), xfrmStateText(old, 2), xfrmStateText(neu, 1), xfrmStateText(neu, 2)];
    const expectations = () => x({ nonce: T.nonce, endpoints: [CP, T.node1, T.node2], clientNode: [T.node1], serverNode: [T.node2], traffic: { pingTransmitted: 8, pingReceived: 8, pingLost: 0, httpTotal: 4, httpAnswered: 4 } });
    before(() => rotationWithThirdPair(path.join(root, rel), old, neu, { node: CP, health: '10.0.2.17', hostIp: '10.0.0.77' }));

    it('passes: the lab pair switched; the third pair, old SPI one way and new SPI the other, is reported apart', async () => {
      const r = await verifyRotation({ capturePath: rel, root, podCidr: '10.0.0.0/8', expectations: expectations(), xfrmTexts: texts }, verifyCapture);
      assert.deepStrictEqual(r.failures, []);
      assert.strictEqual(r.pass, true);
      assert.deepStrictEqual(r.directions.map((d) => [d.src, d.dst, d.switched]), [[T.node1, T.node2, true], [T.node2, T.node1, true]]);
      assert.deepStrictEqual(r.otherDirections.map((d) => [d.src, d.dst, d.oldPackets, d.newPackets, d.switched]), [
        [CP, T.node2, 1, 0, false],
        [T.node2, CP, 0, 1, false],
      ]);
      assert.ok(r.decryption.from.ok > 0 && r.decryption.to.ok > 0, JSON.stringify(r.decryption));
      assert.deepStrictEqual([r.decryption.from.failed, r.decryption.to.failed], [0, 0]);
    });

    it('judged on every direction instead, the same capture fails on the third pair: what the lab no longer does', async () => {
      const every = await verifyCapture(path.join(root, rel), { podCidrs: ['10.0.0.0/8'], nonce: T.nonce, rotation: { from: 3, to: 4 } });
      assert.strictEqual(every.rotation?.met, false);
      assert.deepStrictEqual(every.rotation?.failures, [
        `rotation: ${CP} -> ${T.node2} never switched: 1 packet with SPI 3, none with 4`,
        `rotation: ${T.node2} -> ${CP} carried only SPI 4: its switch from 3 is not in the capture`,
      ]);
    });

    it('the command line the result names reaches the same verdict (`npm run verify -- CAPTURE <verifierArgs> --xfrm ...`)', async () => {
      const r = await verifyRotation({ capturePath: rel, root, podCidr: '10.0.0.0/8', expectations: expectations(), xfrmTexts: texts }, verifyCapture);
      const files = texts.map((t, i) => {
        const f = path.join(root, `node${i + 1}.xfrm`);
        fs.writeFileSync(f, t, { mode: 0o600 });
        return f;
      });
      let stdout = '';
      const code = await execute([path.join(root, rel), ...(r.verifierArgs ?? []), ...files.flatMap((f) => ['--xfrm', f]), '--json'], {
        stdout: { write: (s: string) => void (stdout += s) },
        stderr: { write: () => undefined },
      });
      const cli = JSON.parse(stdout) as VerifierReport;
      assert.strictEqual(code, 0);
      assert.deepStrictEqual(cli.expectationFailures, []);
      assert.deepStrictEqual(cli.rotation?.otherDirections?.map((d) => [d.src, d.dst]), r.otherDirections.map((d) => [d.src, d.dst]));
    });
  });
});
