/**
 * The verdict logic: `judge` on real verifier reports of captures built here (test/proof/helpers/pcap.ts:
 * the lab's traffic in cleartext VXLAN, and inside AES-GCM ESP as Cilium 1.18 sends it), and the
 * runner's handling of the secret xfrm texts (parsed in memory) and of the side outputs.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { verifyCapture } from '../../components/verifier';
import {
  expectationsFor,
  judge,
  LAB_CHECKS,
  runVerification,
  verifierOptions,
  type LabCheck,
  type Expectations,
  type VerifyFn,
} from '../../components/proof/verification';
import { agentsCheck, parseIpsecReadiness } from '../../components/proof/agents';
import { parseEncryptStatus } from '../../components/proof/parse';
import { cleartextCapture, DEFAULT_TRAFFIC as T, encryptedCapture, writePcap, xfrmStateText } from './helpers/pcap';

const verify: VerifyFn = verifyCapture;

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
      assert.deepStrictEqual(r.failures, [
        'expected verdict "cleartext", got "encrypted"',
        `pod pair ${T.clientPod} <-> ${T.serverPod} not seen in cleartext: the capture misses the pod traffic`,
        `nonce ${T.nonce} not seen in cleartext: the capture misses our traffic`,
      ]);
    });
    it('fails when the nonce of this run is not in the capture (a stale or foreign capture)', async () => {
      const r = await run('clear.pcap', expectations('none', { nonce: 'lab-zzzzzzzzzzzz' }));
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ['nonce lab-zzzzzzzzzzzz not seen in cleartext: the capture misses our traffic']);
    });
    it('fails when the pod pair is not the one in the capture', async () => {
      const r = await run('clear.pcap', expectations('none', { pods: ['10.0.9.9', '10.0.8.8'] }));
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ['pod pair 10.0.9.9 <-> 10.0.8.8 not seen in cleartext: the capture misses the pod traffic']);
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
      assert.deepStrictEqual(r.failures, [
        'expected verdict "encrypted", got "cleartext"',
        'expected ESP with SPI 3, saw no ESP',
        `no ESP between 192.168.211.10 and ${T.node1} and ${T.node2} and 10.0.1.124 and 10.0.2.104`,
        'nonce seen in cleartext in 10 frames',
        "no ESP packet decrypted with the workers' xfrm states (ok 0, failed 0)",
      ]);
    });
    it('fails when the configured SPI is not the one on the wire', async () => {
      const r = await run('enc.pcap', expectations('ipsec', { spi: 4 }), xfrm);
      assert.deepStrictEqual(r.failures, ['expected ESP with SPI 4, saw SPI 3']);
      assert.strictEqual(r.pass, false);
    });
    it('fails when ESP runs between addresses that are not the nodes', async () => {
      const r = await run('enc.pcap', expectations('ipsec', { nodeIps: [T.node1], ciliumHosts: [] }), xfrm);
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, [
        `no ESP between ${T.node1}`,
        `ESP between other endpoints: ${T.node1} -> ${T.node2}; ${T.node2} -> ${T.node1} (expected ${T.node1})`,
      ]);
    });
    it('fails without keys: decryption must show the ESP carried our nonce', async () => {
      const r = await run('enc.pcap', { ...expectations('ipsec'), decrypt: false }, []);
      assert.deepStrictEqual(r.failures, ['no xfrm states to decrypt with: cannot show the ESP carried our traffic']);
    });
    it('fails with wrong keys (decryption fails)', async () => {
      const wrong = { ...T, key12: Buffer.alloc(20, 7), key21: Buffer.alloc(20, 9) };
      const r = await run('enc.pcap', expectations('ipsec'), [xfrmStateText(wrong, 1)]);
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ["no ESP packet decrypted with the workers' xfrm states (ok 0, failed 12)"]);
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
    it('gives the verifier the xfrm texts as parsed states: no file holds a key, not even for a moment', async () => {
      let opts: Parameters<VerifyFn>[1] | undefined;
      const tmpBefore = fs.readdirSync(os.tmpdir());
      let tmpDuring: string[] = [];
      const spy: VerifyFn = async (p, o) => {
        opts = o;
        tmpDuring = fs.readdirSync(os.tmpdir());
        return verify(p, o);
      };
      const texts = [xfrmStateText(T, 1), xfrmStateText(T, 2)];
      const r = await run('enc.pcap', expectations('ipsec'), texts, spy);
      assert.strictEqual(r.pass, true, r.failures.join('\n'));
      assert.strictEqual((opts as Record<string, unknown>).xfrmFiles, undefined);
      assert.deepStrictEqual(opts?.xfrm?.map((st) => [st.src, st.dst, st.spi]), [
        [T.node1, T.node2, T.spi],
        ['0.0.0.0', T.node1, T.spi],
        [T.node2, T.node1, T.spi],
        ['0.0.0.0', T.node2, T.spi],
      ]);
      assert.deepStrictEqual(tmpDuring.filter((n) => !tmpBefore.includes(n) && /xfrm/.test(n)), [], 'no xfrm temp file');
      assert.strictEqual(opts?.nonce, T.nonce);
      assert.strictEqual(opts?.spi, T.spi);
      assert.strictEqual(opts?.expect, 'encrypted');
      assert.deepStrictEqual(opts?.podCidrs, ['10.0.0.0/8']);
    });
    it('an xfrm text that does not parse is a failure naming it, never its key', async () => {
      const bad = xfrmStateText(T, 1).replace(T.key12.toString('hex'), `${T.key12.toString('hex')}f`);
      const r = await run('enc.pcap', expectations('ipsec'), [bad]);
      assert.strictEqual(r.pass, false);
      assert.strictEqual(r.failures.length, 1);
      assert.match(r.failures[0], /^verifier could not read enc\.pcap: node1\.xfrm: /);
      assert.ok(!r.failures[0].includes(T.key12.toString('hex')), 'the key is in the failure');
    });
    it('reports a verifier that throws as a failure', async () => {
      const boom: VerifyFn = async () => {
        throw new Error('not a capture');
      };
      const r = await run('enc.pcap', expectations('ipsec'), [xfrmStateText(T, 1)], boom);
      assert.strictEqual(r.pass, false);
      assert.deepStrictEqual(r.failures, ['verifier could not read enc.pcap: not a capture']);
    });
    it('the unencrypted stack asks for exactly the pod pair (--pods)', async () => {
      let opts: Parameters<VerifyFn>[1] | undefined;
      await run('clear.pcap', expectations('none'), [], async (p, o) => ((opts = o), verify(p, o)));
      assert.deepStrictEqual(opts?.pods, [T.clientPod, T.serverPod]);
      assert.strictEqual(opts?.podCidrs, undefined);
      assert.strictEqual(opts?.xfrm, undefined);
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

  it('judge on an empty capture: inconclusive never passes, on either stack', async () => {
    const empty = path.join(dir, 'empty.pcap');
    writePcap(empty, []);
    for (const [encryption, verifierPart] of [
      ['ipsec', ['expected verdict "encrypted", got "inconclusive"', 'expected ESP with SPI 3, saw no ESP']],
      ['none', ['expected verdict "cleartext", got "inconclusive"']],
    ] as const) {
      const x = expectations(encryption);
      const report = await verifyCapture(empty, verifierOptions(x, '10.0.0.0/8'));
      const j = judge(report, x);
      assert.strictEqual(j.pass, false);
      assert.deepStrictEqual(j.failures.slice(0, verifierPart.length), verifierPart);
      assert.ok(j.failures.length > verifierPart.length, 'the lab checks fail too: no nonce, nothing decrypted');
    }
  });

  it('judge takes the lab checks as a list: a mode adds its own, and one that fails fails the verdict', async () => {
    const x = expectations('ipsec');
    const report = await verifyCapture(path.join(dir, 'enc.pcap'), verifierOptions(x, '10.0.0.0/8'));
    const extra: LabCheck = { name: 'always fails', failures: () => ['extra check failed'] };
    const j = judge(report, x, [...LAB_CHECKS, extra]);
    assert.strictEqual(j.pass, false);
    assert.strictEqual(j.failures[j.failures.length - 1], 'extra check failed');
    assert.deepStrictEqual(LAB_CHECKS.map((c) => c.name), [
      'tcpdump dropped nothing',
      'the nonce of this run is in the capture',
      'no XFRM error counter grew',
    ]);
  });

  it("ipsec fails when a node's Cilium agent does not report IPsec, or an XFRM error counter grew since the readiness wait", async () => {
    const status = (mode: string, errorsByReason: Record<string, number> = {}) => parseEncryptStatus([`Encryption: ${mode}`, ...Object.entries(errorsByReason).map(([k, v]) => `\t${k}: ${v}`)].join('\n'));
    // control-plane's errors are older than the wait (counters never reset): no failure.
    const agents = { worker1: status('Disabled'), worker2: status('IPsec', { XfrmInNoStates: 3 }), 'control-plane': status('IPsec', { XfrmInNoStates: 5 }) };
    const readiness = parseIpsecReadiness(['worker1', 'worker2', 'control-plane'].map((n) => `node=${n} agent=a mode=IPsec xfrm=${n === 'worker1' ? 'none' : 'XfrmInNoStates:5'} spis=3`).join('\n'));
    const r = await runVerification(
      { capturePath: 'enc.pcap', root: dir, podCidr: '10.0.0.0/8', expectations: expectations('ipsec', { agents }), xfrmTexts: [xfrmStateText(T, 1), xfrmStateText(T, 2)], checks: [...LAB_CHECKS, agentsCheck(readiness, true)] },
      verify,
    );
    readiness.worker2.xfrmErrors = { XfrmInNoStates: 1 };
    const grown = await runVerification(
      { capturePath: 'enc.pcap', root: dir, podCidr: '10.0.0.0/8', expectations: expectations('ipsec', { agents }), xfrmTexts: [xfrmStateText(T, 1), xfrmStateText(T, 2)], checks: [...LAB_CHECKS, agentsCheck(readiness, true)] },
      verify,
    );
    assert.deepStrictEqual(r.failures, ['node worker1: the Cilium agent reports encryption Disabled, expected IPsec']);
    assert.deepStrictEqual(grown.failures, [
      'node worker1: the Cilium agent reports encryption Disabled, expected IPsec',
      'node worker2: XFRM error counter XfrmInNoStates grew from 1 to 3 between the IPsec readiness wait and the end of the traffic (packets dropped)',
    ]);
  });
});
