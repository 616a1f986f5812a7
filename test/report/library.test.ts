/**
 * components/report is a library: no Pulumi import, and of the project only the verifier. A lab verification's
 * page carries the command that repeats the verdict; `lab report` takes stacks or recorded outputs.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { parseLabArgs, UsageError } from '../../components/labcli/args';
import { expectationsFor, runVerification } from '../../components/proof/verification';
import { writeReportPage } from '../../components/report/page';
import { verifyCapture } from '../../components/verifier';
import { DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from '../proof/helpers/pcap';

const DIR = path.resolve(__dirname, '..', '..', 'components', 'report');

describe('report library', () => {
  it('imports no @pulumi package and nothing of the project but the verifier', () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 5, `files: ${files.join(', ')}`);
    for (const f of files) {
      const text = fs.readFileSync(path.join(DIR, f), 'utf8');
      assert.doesNotMatch(text, /@pulumi/, f);
      for (const m of text.matchAll(/from '(\.\.\/[^']+)'/g)) assert.match(m[1], /^\.\.\/verifier\//, `${f} imports ${m[1]}`);
    }
  });

  it('lab report: stacks, --from files, --out; usage errors are one line', () => {
    assert.deepEqual(parseLabArgs(['report']), { verb: 'report', stacks: ['unencrypted', 'ipsec', 'wireguard'], from: [], out: 'captures/report.html' });
    assert.deepEqual(parseLabArgs(['report', 'a', 'b', '--out', 'x.html']), { verb: 'report', stacks: ['a', 'b'], from: [], out: 'x.html' });
    assert.deepEqual(parseLabArgs(['report', '--from', 'a.json', '--from', 'b.json']), { verb: 'report', stacks: ['a.json', 'b.json'], from: ['a.json', 'b.json'], out: 'captures/report.html' });
    assert.throws(() => parseLabArgs(['report', 'a', '--from', 'b.json']), (e: Error) => e instanceof UsageError && /either stacks or --from/.test(e.message));
    assert.throws(() => parseLabArgs(['report', 'a', 'a']), (e: Error) => e instanceof UsageError && /named twice/.test(e.message));
    assert.throws(() => parseLabArgs(['compare', '--out', 'x.html']), (e: Error) => e instanceof UsageError && /--out only applies to report/.test(e.message));
  });

  it('a lab verification writes captures/<stack>/<run>.html next to the pcap; samples stay out of the output', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-lab-'));
    try {
      const rel = path.join('captures', 'ipsec', '1.pcap');
      fs.mkdirSync(path.join(dir, 'captures', 'ipsec'), { recursive: true });
      encryptedCapture(path.join(dir, rel));
      const v = await runVerification({
        capturePath: rel, root: dir, podCidr: '10.0.0.0/8',
        expectations: expectationsFor({ encryption: 'ipsec', spi: 3, pods: [T.clientPod, T.serverPod], nodeIps: [T.node1, T.node2], ciliumHosts: [],
          nonce: T.nonce, decrypt: true, xfrmErrorsGrown: {} }),
        xfrmTexts: [xfrmStateText(T, 1), xfrmStateText(T, 2)],
        writeReport: async (file, report, judgement, command) => { await writeReportPage(file, report as never, { command, judgement }); },
      }, async (p, o) => verifyCapture(p, o));
      assert.equal(v.pass, true, JSON.stringify(v.failures));
      assert.equal(v.reportPage, path.join('captures', 'ipsec', '1.html'));
      assert.equal((v as Record<string, unknown>).samples, undefined, 'samples belong to the page, not the stack output');
      const html = fs.readFileSync(path.join(dir, v.reportPage!), 'utf8');
      assert.match(html, /Lab verification: <span class="met">PASS/);
      assert.match(html, /npm run verify -- captures\/ipsec\/1\.pcap --pod-cidr 10\.0\.0\.0\/8 --nonce lab-\S+ --expect encrypted --spi 3 --endpoints \S+ --xfrm node1\.xfrm --xfrm node2\.xfrm/);
      assert.match(html, /Encapsulating Security Payload/);
      for (const k of [T.key12, T.key21]) assert.ok(!html.includes(k.toString('hex')), 'a key on the page');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
