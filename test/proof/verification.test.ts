/**
 * The verdict logic: `judge` on real verifier reports of captures built here (test/proof/helpers/pcap.ts:
 * the lab's traffic in cleartext VXLAN, and inside AES-GCM ESP as Cilium 1.18 sends it), and
 * `runVerification`'s handling of the secret xfrm texts.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { verifyCapture } from '../../components/verifier';
import {
  expectationsFor,
  judge,
  runVerification,
  type Expectations,
  type VerifierReport,
  type VerifyFn,
} from '../../components/proof/verification';
import { cleartextCapture, DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from './helpers/pcap';

const verify: VerifyFn = async (p, o) => (await verifyCapture(p, o)) as unknown as VerifierReport;

function expectations(encryption: 'none' | 'ipsec', over: Partial<Parameters<typeof expectationsFor>[0]> = {}): Expectations {
  return expectationsFor({
    encryption,
    spi: T.spi,
    pods: [T.clientPod, T.serverPod],
    nodeIps: ['192.168.211.10', T.node1, T.node2],
    ciliumHosts: [undefined, '10.0.1.124', '10.0.2.104'],
    nonce: T.nonce,
    decrypt: encryption === 'ipsec',
    xfrmErrorsGrown: {},
    tcpdump: { file: '/var/tmp/x.pcap', bytes: 1, captured: 12, received: 12, dropped: 0, stoppedBy: 'signal' },
    ...over,
  });
}

describe('proof verification', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proof-verif-'));
    cleartextCapture(path.join(dir, 'clear.pcap'));
    encryptedCapture(path.join(dir, 'enc.pcap'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (file: string, x: Expectations, xfrm: string[] = [], v: VerifyFn = verify) =>
    runVerification({ capturePath: file, root: dir, podCidr: '10.0.0.0/8', expectations: x, xfrmTexts: xfrm }, v);

  describe('expectationsFor', () => {
    it('ipsec: expects encrypted, carries the SPI from config, endpoints = node IPs + cilium_host, deduplicated', () => {
      const x = expectations('ipsec', { nodeIps: [T.node1, T.node2, T.node1] });
      assert.strictEqual(x.expect, 'encrypted');
      assert.strictEqual(x.spi, T.spi);
      assert.deepStrictEqual(x.endpoints, [T.node1, T.node2, '10.0.1.124', '10.0.2.104']);
    });
    it('none: expects cleartext, no SPI, no decryption', () => {
      const x = expectations('none');
      assert.strictEqual(x.expect, 'cleartext');
      assert.strictEqual(x.spi, undefined);
      assert.strictEqual(x.decrypt, false);
    });
  });

  describe('unencrypted stack (sanity check)', () => {
    it('passes on a cleartext capture with the pod pair and the nonce', async () => {
      const r = await run('clear.pcap', expectations('none'));
      assert.deepStrictEqual(r.failures, []);
      assert.strictEqual(r.pass, true);
      assert.strictEqual(r.verdict, 'cleartext');
      assert.ok((r.nonce?.hits ?? 0) > 0);
      assert.strictEqual(r.capturePath, 'clear.pcap');
    });
    it('fails when the capture shows encrypted traffic instead: the lab cannot see cleartext', async () => {
      const r = await run('enc.pcap', expectations('none'));
      assert.strictEqual(r.pass, false);
      assert.ok(r.failures.some((f) => /verdict is encrypted, expected cleartext/.test(f)), r.failures.join('\n'));
      assert.ok(r.failures.some((f) => /not seen in cleartext/.test(f)), r.failures.join('\n'));
    });
    it('fails when the nonce of this run is not in the capture (a stale or foreign capture)', async () => {
      const r = await run('clear.pcap', expectations('none', { nonce: 'lab-zzzzzzzzzzzz' }));
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ['nonce lab-zzzzzzzzzzzz not seen in cleartext: the capture misses our traffic']);
    });
    it('fails when the pod pair is not the one in the capture', async () => {
      const r = await run('clear.pcap', expectations('none', { pods: ['10.0.9.9', '10.0.8.8'] }));
      assert.strictEqual(r.pass, false);
      assert.ok(r.failures.some((f) => /pod pair 10\.0\.9\.9 <-> 10\.0\.8\.8 not seen/.test(f)), r.failures.join('\n'));
    });
  });

  describe('ipsec stack', () => {
    const xfrm = [xfrmStateText(T, 1), xfrmStateText(T, 2)];
    it('passes: encrypted, SPI seen, ESP between nodes, no cleartext, nonce only inside decrypted ESP', async () => {
      const r = await run('enc.pcap', expectations('ipsec'), xfrm);
      assert.deepStrictEqual(r.failures, []);
      assert.strictEqual(r.pass, true);
      assert.strictEqual(r.verdict, 'encrypted');
      assert.ok((r.decryption?.ok ?? 0) > 0);
    });
    it('fails on a cleartext capture, naming each broken expectation', async () => {
      const r = await run('clear.pcap', expectations('ipsec'), xfrm);
      assert.strictEqual(r.pass, false);
      const text = r.failures.join('\n');
      assert.match(text, /verdict is cleartext, expected encrypted/);
      assert.match(text, /SPI 3 \(lab:ipsecKeyId\) not seen on the wire; SPIs seen: none/);
      assert.match(text, /\d+ cleartext pod packets, expected 0/);
      assert.match(text, /nonce lab-q7x2k9m4p1zt seen in cleartext in \d+ frames, expected 0/);
      assert.match(text, /no ESP packet decrypted/);
    });
    it('fails when the configured SPI is not the one on the wire', async () => {
      const r = await run('enc.pcap', expectations('ipsec', { spi: 4 }), xfrm);
      assert.deepStrictEqual(r.failures.filter((f) => /SPI/.test(f) && !/ESP flow/.test(f)), [
        'SPI 4 (lab:ipsecKeyId) not seen on the wire; SPIs seen: 3',
      ]);
      assert.strictEqual(r.pass, false);
    });
    it('fails when ESP runs between addresses that are not the nodes', async () => {
      const r = await run('enc.pcap', expectations('ipsec', { nodeIps: [T.node1], ciliumHosts: [] }), xfrm);
      assert.strictEqual(r.pass, false);
      assert.ok(r.failures.some((f) => f.startsWith(`ESP flow ${T.node1} -> ${T.node2} (SPI 3, 6 packets) is not between`)), r.failures.join('\n'));
    });
    it('fails without keys: decryption must show the ESP carried our nonce', async () => {
      const r = await run('enc.pcap', { ...expectations('ipsec'), decrypt: false }, []);
      assert.deepStrictEqual(r.failures, ['no xfrm states to decrypt with: cannot show the ESP carried our traffic']);
    });
    it('fails with wrong keys (decryption fails)', async () => {
      const wrong = { ...T, key12: Buffer.alloc(20, 7), key21: Buffer.alloc(20, 9) };
      const r = await run('enc.pcap', expectations('ipsec'), [xfrmStateText(wrong, 1)]);
      assert.strictEqual(r.pass, false);
      assert.ok(r.failures.some((f) => /^no ESP packet decrypted .*failed [1-9]/.test(f)), r.failures.join('\n'));
    });
    it('fails when an XFRM error counter grew on a node, naming node, counter and values', async () => {
      const r = await run('enc.pcap', expectations('ipsec', { xfrmErrorsGrown: { worker2: { XfrmInNoStates: [0, 3] } } }), xfrm);
      assert.deepStrictEqual(r.failures, ['node worker2: XFRM error counter XfrmInNoStates grew from 0 to 3 during the run']);
    });
    it('fails when tcpdump dropped packets (an incomplete capture proves no absence)', async () => {
      const x = expectations('ipsec');
      x.tcpdump = { ...(x.tcpdump as NonNullable<Expectations['tcpdump']>), dropped: 5 };
      const r = await run('enc.pcap', x, xfrm);
      assert.deepStrictEqual(r.failures, ['tcpdump dropped 5 packets (kernel): the capture is incomplete']);
    });
  });

  describe('runVerification', () => {
    it('gives the verifier the xfrm texts as 0600 files in a 0700 dir and deletes them afterwards', async () => {
      const seen: { file: string; mode: number; dirMode: number; text: string }[] = [];
      let opts: Parameters<VerifyFn>[1] | undefined;
      const spy: VerifyFn = async (p, o) => {
        opts = o;
        for (const f of o.xfrmFiles ?? []) {
          seen.push({ file: f, mode: fs.statSync(f).mode & 0o777, dirMode: fs.statSync(path.dirname(f)).mode & 0o777, text: fs.readFileSync(f, 'utf8') });
        }
        return verify(p, o);
      };
      const texts = [xfrmStateText(T, 1), xfrmStateText(T, 2)];
      const r = await run('enc.pcap', expectations('ipsec'), texts, spy);
      assert.strictEqual(r.pass, true, r.failures.join('\n'));
      assert.strictEqual(seen.length, 2);
      for (const s of seen) {
        assert.strictEqual(s.mode, 0o600);
        assert.strictEqual(s.dirMode, 0o700);
        assert.ok(!fs.existsSync(s.file), `${s.file} still exists`);
      }
      assert.deepStrictEqual(seen.map((s) => s.text), texts);
      assert.strictEqual(opts?.nonce, T.nonce);
      assert.strictEqual(opts?.spi, T.spi);
      assert.strictEqual(opts?.expect, 'encrypted');
      assert.deepStrictEqual(opts?.podCidrs, ['10.0.0.0/8']);
    });
    it('deletes the xfrm files when the verifier throws, and reports the problem as a failure', async () => {
      let files: string[] = [];
      const boom: VerifyFn = async (_p, o) => {
        files = o.xfrmFiles ?? [];
        throw new Error('not a capture');
      };
      const r = await run('enc.pcap', expectations('ipsec'), [xfrmStateText(T, 1)], boom);
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ['verifier could not read enc.pcap: not a capture']);
      assert.ok(files.length === 1 && !fs.existsSync(files[0]));
    });
    it('the unencrypted stack asks for exactly the pod pair (--pods)', async () => {
      let opts: Parameters<VerifyFn>[1] | undefined;
      await run('clear.pcap', expectations('none'), [], async (p, o) => ((opts = o), verify(p, o)));
      assert.deepStrictEqual(opts?.pods, [T.clientPod, T.serverPod]);
      assert.strictEqual(opts?.podCidrs, undefined);
      assert.strictEqual(opts?.xfrmFiles, undefined);
    });
    it('writes the Wireshark config next to the pcap; a failure there is a warning, not a verdict', async () => {
      const texts = [xfrmStateText(T, 1)];
      const got: string[] = [];
      const ok = await runVerification(
        { capturePath: 'enc.pcap', root: dir, podCidr: '10.0.0.0/8', expectations: expectations('ipsec'), xfrmTexts: texts, writeWireshark: (d) => void got.push(d) },
        verify,
      );
      assert.deepStrictEqual(got, [path.join(dir, 'enc.wireshark')]);
      assert.strictEqual(ok.wiresharkConfigDir, 'enc.wireshark');
      const bad = await runVerification(
        {
          capturePath: 'enc.pcap', root: dir, podCidr: '10.0.0.0/8', expectations: expectations('ipsec'), xfrmTexts: texts,
          writeWireshark: async () => {
            throw new Error('EACCES');
          },
        },
        verify,
      );
      assert.strictEqual(bad.wiresharkConfigDir, undefined);
      assert.deepStrictEqual(bad.warnings, ['could not write the Wireshark config enc.wireshark: EACCES']);
      assert.strictEqual(bad.pass, ok.pass);
    });
    it('a missing capture is a failure that says how to capture again, not an exception', async () => {
      const r = await run('gone.pcap', expectations('none'));
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ['capture gone.pcap is missing on this machine: raise lab:captureRun to capture again']);
    });
    it('the result carries no key material', async () => {
      const r = await run('enc.pcap', expectations('ipsec'), [xfrmStateText(T, 1), xfrmStateText(T, 2)]);
      const text = JSON.stringify(r);
      for (const k of [T.key12, T.key21]) assert.ok(!text.includes(k.toString('hex')), 'key hex in the verification result');
    });
  });

  it('judge is pure over a report object (inconclusive never passes)', () => {
    const empty: VerifierReport = { verdict: 'inconclusive', frames: 0, warnings: [], esp: { packets: 0, spis: [], flows: [] }, cleartext: { podPackets: 0 }, nonce: { hits: 0 } };
    assert.strictEqual(judge(empty, expectations('ipsec')).pass, false);
    assert.strictEqual(judge(empty, expectations('none')).pass, false);
  });
});
