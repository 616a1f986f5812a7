/**
 * verifyRun and previewVerification called as plain functions, no Pulumi runtime and no mocks: from what
 * the capture scripts printed and the nodes' facts to the `verification` output, on captures built here
 * with the real verifier.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseLabConfig } from '../../components/config';
import { nodeFacts } from '../../components/proof/facts';
import { modeBeforeSwitch, previewVerification, verifyRun, type RecordedRunInput, type RunInput } from '../../components/proof/verify-run';
import { verifyCapture } from '../../components/verifier';
import { DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from './helpers/pcap';
// Every agent answers `cilium-dbg encrypt status` after the traffic (the ipsec agents check needs it).
import { V115 } from '../verifier/status/forms';

const facts = (phase: string, ciliumHost: string, noStates = 0) =>
  `phase=${phase}\nhostname=x\naddrs=\ncilium_host=${ciliumHost}\nxfrm_states=4\nxfrm_policies=6\nxfrm_stat=available\nxfrm_stat.XfrmInNoStates=${noStates}`;

describe('verifyRun (no Pulumi)', () => {
  let root: string;
  const rel = 'captures/s/1-ipsec.pcap';
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-run-'));
    fs.mkdirSync(path.join(root, 'captures', 's'), { recursive: true });
    encryptedCapture(path.join(root, rel));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const input = (grow = 0): RunInput => ({
    config: parseLabConfig({ encryption: 'ipsec' }, 's'),
    capturePath: rel,
    root,
    nonce: T.nonce,
    pods: { clientIp: T.clientPod, serverIp: T.serverPod, clientNode: 'worker1', serverNode: 'worker2' },
    nodes: [
      nodeFacts({ name: 'control-plane', role: 'control-plane', ip: '192.168.211.10' }, facts('before', '10.0.0.77'), facts('after', '10.0.0.77'), V115),
      nodeFacts({ name: 'worker1', role: 'worker', ip: T.node1 }, facts('before', '10.0.1.124'), facts('after', '10.0.1.124'), V115),
      nodeFacts({ name: 'worker2', role: 'worker', ip: T.node2 }, facts('before', '10.0.2.104'), facts('after', '10.0.2.104', grow), V115),
    ],
    captureStop: 'file=/var/tmp/x.pcap\nbytes=1\ncaptured=12\nreceived=12\ndropped=0\nstopped_by=signal',
    traffic: 'ping_transmitted=4\nping_received=4\nhttp_total=2\nhttp_answered=2',
    xfrmTexts: [xfrmStateText(T, 1), xfrmStateText(T, 2)],
  });

  it('judges the capture with the lab checks of the mode and writes the verification record next to the pcap', async () => {
    const v = await verifyRun(input(), { verify: verifyCapture });
    assert.deepStrictEqual(v.failures, []);
    assert.deepStrictEqual([v.schemaVersion, v.pass, v.verdict, v.expected.spi], [1, true, 'encrypted', 3]);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(root, 'captures/s/1-ipsec.json'), 'utf8')), JSON.parse(JSON.stringify(v)));
    const grown = await verifyRun(input(3), { verify: verifyCapture });
    assert.deepStrictEqual(grown.failures, ['node worker2: XFRM error counter XfrmInNoStates grew from 0 to 3 during the run']);
  });

  it('records its input next to the pcap without the root or a key, and the record with the xfrm texts judges the same again', async () => {
    const v = await verifyRun(input(), { verify: verifyCapture });
    const text = fs.readFileSync(path.join(root, 'captures/s/1-ipsec.input.json'), 'utf8');
    const rec = JSON.parse(text) as RecordedRunInput;
    assert.strictEqual(rec.xfrmTextCount, 2);
    assert.ok(!('root' in rec) && !('xfrmTexts' in rec));
    const keys = input().xfrmTexts.flatMap((t) => t.match(/0x[0-9a-f]{40}/g) ?? []);
    assert.ok(keys.length > 0, 'the texts hold keys');
    for (const key of keys) assert.ok(!text.includes(key.slice(2)), 'no key in the record');
    const { xfrmTextCount: _n, ...recorded } = rec;
    const again = await verifyRun({ ...recorded, config: parseLabConfig({ encryption: recorded.config.encryption }, 's'), root, xfrmTexts: input().xfrmTexts }, { verify: verifyCapture });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(v)));
  });

  it('a preview exports the expectations and no verdict, touching no file', () => {
    const p = previewVerification(input());
    assert.deepStrictEqual([p.schemaVersion, p.pass, p.failures, p.verdict, p.expected.nonce], [1, false, ['not verified yet: the verification runs during pulumi up'], undefined, T.nonce]);
  });

  it('reads the mode before the last switch from the encryption-mode record', () => {
    assert.strictEqual(modeBeforeSwitch('previous=none\nencryption=ipsec\n'), 'none');
    assert.strictEqual(modeBeforeSwitch('previous=\nencryption=ipsec\n'), undefined);
    assert.strictEqual(modeBeforeSwitch(undefined), undefined);
  });
});
