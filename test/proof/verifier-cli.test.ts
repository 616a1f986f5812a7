/**
 * One set of rules: `npm run verify` with exactly the options the lab used (result.verifierArgs, plus
 * the same xfrm states as files) on the same capture reaches the same verdict, the same reasons and the
 * same expectation failures as the lab's verification, and exits 1 exactly when the verifier part of
 * the lab's failures is not empty. The lab's failures are the verifier's, then the lab checks' own.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execute } from '../../components/verifier-cli/cli';
import { verifyCapture } from '../../components/verifier';
import { expectationsFor, runVerification, type VerificationResult } from '../../components/proof/verification';
import { cleartextCapture, DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from './helpers/pcap';

async function cli(args: string[]): Promise<{ code: number; report: Record<string, unknown>; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await execute(args, { stdout: { write: (s: string) => void (stdout += s) }, stderr: { write: (s: string) => void (stderr += s) } });
  return { code, report: JSON.parse(stdout) as Record<string, unknown>, stderr };
}

describe('the lab verdict and the verifier CLI agree', () => {
  let dir: string;
  const xfrm = [xfrmStateText(T, 1), xfrmStateText(T, 2)];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-cli-'));
    cleartextCapture(path.join(dir, 'clear.pcap'));
    encryptedCapture(path.join(dir, 'enc.pcap'));
    xfrm.forEach((t, i) => fs.writeFileSync(path.join(dir, `node${i}.xfrm`), t, { mode: 0o600 }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; encryption: 'none' | 'ipsec'; capture: string; spi?: number; labPasses: boolean }[] = [
    { name: 'unencrypted stack, cleartext capture', encryption: 'none', capture: 'clear.pcap', labPasses: true },
    { name: 'ipsec stack, encrypted capture', encryption: 'ipsec', capture: 'enc.pcap', labPasses: true },
    { name: 'ipsec stack, cleartext capture', encryption: 'ipsec', capture: 'clear.pcap', labPasses: false },
    { name: 'ipsec stack, another SPI on the wire', encryption: 'ipsec', capture: 'enc.pcap', spi: 4, labPasses: false },
    { name: 'unencrypted stack, encrypted capture', encryption: 'none', capture: 'enc.pcap', labPasses: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ipsec = c.encryption === 'ipsec';
      const r: VerificationResult = await runVerification(
        {
          capturePath: c.capture,
          root: dir,
          podCidr: '10.0.0.0/8',
          expectations: expectationsFor({
            encryption: c.encryption,
            spi: c.spi ?? T.spi,
            pods: [T.clientPod, T.serverPod],
            nodeIps: ['192.168.211.10', T.node1, T.node2],
            ciliumHosts: ['10.0.0.77', '10.0.1.124', '10.0.2.104'],
            nonce: T.nonce,
            decrypt: ipsec,
            xfrmErrorsGrown: {},
          }),
          xfrmTexts: ipsec ? xfrm : [],
        },
        verifyCapture,
      );
      assert.strictEqual(r.pass, c.labPasses, r.failures.join('\n'));
      assert.ok(r.verifierArgs && r.verifierArgs.length > 0);
      if (ipsec) assert.deepStrictEqual(r.verifierArgs.slice(r.verifierArgs.indexOf('--endpoints'), r.verifierArgs.indexOf('--endpoints') + 2), ['--endpoints', `192.168.211.10,${T.node1},${T.node2},10.0.0.77,10.0.1.124,10.0.2.104`]);
      const xfrmArgs = ipsec ? xfrm.flatMap((_t, i) => ['--xfrm', path.join(dir, `node${i}.xfrm`)]) : [];
      const out = await cli([path.join(dir, c.capture), ...r.verifierArgs, ...xfrmArgs, '--json']);
      assert.strictEqual(out.stderr, '');
      assert.strictEqual(out.report.verdict, r.verdict);
      assert.deepStrictEqual(out.report.reasons, r.reasons);
      assert.deepStrictEqual(out.report.expectationFailures, r.expectationFailures);
      assert.deepStrictEqual(r.failures.slice(0, r.expectationFailures?.length), r.expectationFailures);
      assert.strictEqual(out.code, r.expectationFailures?.length ? 1 : 0);
      // Where the lab's own checks pass, the CLI's exit code is the lab's verdict.
      if (r.failures.length === r.expectationFailures?.length) assert.strictEqual(out.code === 0, r.pass);
    });
  }
});
