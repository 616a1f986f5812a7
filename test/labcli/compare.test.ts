/**
 * `lab compare` on recorded outputs. The recordings are made here the way a lab makes them: captures built
 * in the test (test/proof/helpers/pcap.ts), the REAL verifier library + runVerification/judge on them,
 * wrapped in the outputs a stack exports, and written as `pulumi stack output --json` would (secrets as
 * "[secret]"). No number below is hand-written into a report.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareOutputs, formatComparison, sizeRange, withBefore } from '../../components/labcli/compare';
import { execute } from '../../components/labcli';
import { DEFAULT_TRAFFIC as T } from '../proof/helpers/pcap';
import { verifiedCapture } from '../proof/helpers/verified';

async function recordStack(dir: string, stack: 'unencrypted' | 'ipsec'): Promise<Record<string, unknown>> {
  const encryption = stack === 'ipsec' ? 'ipsec' : 'none';
  const rel = path.join('captures', stack, '1.pcap');
  const verification = await verifiedCapture(dir, rel, encryption);
  return {
    encryption,
    ciliumVersion: '1.18.6',
    kubeconfig: '[secret]',
    capturePath: rel,
    pods: { namespace: 'lab-proof', client: { name: 'client', node: 'worker1', ip: T.clientPod }, server: { name: 'server', node: 'worker2', ip: T.serverPod, port: 80 } },
    verification: JSON.parse(JSON.stringify(verification)),
  };
}

describe('lab command: compare on recorded outputs', () => {
  let dir: string;
  let files: { unencrypted: string; ipsec: string };
  let rec: { unencrypted: Record<string, unknown>; ipsec: Record<string, unknown> };
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
  };
  const noStacks = {
    openStack: () => Promise.reject(new Error('no Pulumi in this test')),
    readFile: (f: string) => fs.readFileSync(f, 'utf8'),
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-compare-'));
    rec = { unencrypted: await recordStack(dir, 'unencrypted'), ipsec: await recordStack(dir, 'ipsec') };
    files = { unencrypted: path.join(dir, 'unencrypted.json'), ipsec: path.join(dir, 'ipsec.json') };
    for (const s of ['unencrypted', 'ipsec'] as const) fs.writeFileSync(files[s], JSON.stringify(rec[s], null, 2));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the recordings are real passing verifications of both stacks', () => {
    const v = (s: 'unencrypted' | 'ipsec') => rec[s].verification as Record<string, unknown>;
    assert.strictEqual(v('unencrypted').pass, true, JSON.stringify(v('unencrypted').failures));
    assert.strictEqual(v('ipsec').pass, true, JSON.stringify(v('ipsec').failures));
  });

  it('shows both stacks side by side from --from files and exits 0 when both pass', async () => {
    const { out, io: i } = io();
    const code = await execute(['compare', '--from', files.unencrypted, '--from', files.ipsec], i, noStacks);
    assert.strictEqual(code, 0, out.stderr);
    const row = (label: string) => {
      const line = out.stdout.split('\n').find((l) => l.startsWith(label + ' '));
      assert.ok(line, `row ${label} in\n${out.stdout}`);
      return line.slice(label.length).trim().split(/\s{2,}/);
    };
    assert.deepStrictEqual(out.stdout.split('\n')[0].trim().split(/\s+/), ['unencrypted', 'ipsec']);
    assert.deepStrictEqual(row('verdict'), ['cleartext', 'encrypted']);
    assert.deepStrictEqual(row('pass'), ['PASS', 'PASS']);
    assert.deepStrictEqual(row('encryption'), ['none', 'ipsec']);
    const esp = (rec.ipsec.verification as { esp: { packets: number } }).esp;
    assert.deepStrictEqual(row('ESP packets'), ['0', String(esp.packets)]);
    assert.deepStrictEqual(row('SPIs'), ['none', '3']);
    assert.deepStrictEqual(row('ESP endpoints'), ['none', `${T.node1} -> ${T.node2}, ${T.node2} -> ${T.node1}`]);
    const clear = (rec.unencrypted.verification as { cleartext: { podPackets: number } }).cleartext.podPackets;
    assert.ok(clear > 0);
    assert.deepStrictEqual(row('cleartext pod packets'), [String(clear), '0']);
    const hits = (rec.unencrypted.verification as { nonce: { hits: number } }).nonce.hits;
    assert.deepStrictEqual(row('nonce hits (cleartext)'), [String(hits), '0']);
    assert.deepStrictEqual(row('ESP path'), ['-', 'eth/ipv4/esp']);
    assert.match(row('ESP frame sizes')[1], /^\d+\.\.\d+$/);
    assert.deepStrictEqual(row('ESP frame sizes')[0], '-');
    assert.match(row('decrypted ok/failed')[1], /^[1-9]\d*\/0$/);
    assert.deepStrictEqual(row('capture'), ['captures/unencrypted/1.pcap', 'captures/ipsec/1.pcap']);
    assert.match(out.stdout, /both stacks pass\n$/);
  });

  it('--json prints the comparison as one JSON object', async () => {
    const { out, io: i } = io();
    assert.strictEqual(await execute(['compare', '--json', '--from', files.unencrypted, '--from', files.ipsec], i, noStacks), 0);
    const c = JSON.parse(out.stdout);
    assert.deepStrictEqual(c.stacks, ['unencrypted', 'ipsec']);
    assert.strictEqual(c.pass, true);
    assert.deepStrictEqual(c.rows.find((r: { label: string }) => r.label === 'verdict').values, ['cleartext', 'encrypted']);
  });

  it("a stack switched in place shows its verification before the switch beside the one after, in compare and report", async () => {
    // What verify-run.ts exports after none -> ipsec in place: the ipsec verification with the stack's last
    // verification in the mode before it as `before`.
    const switched = { ...rec.ipsec, verification: { ...(rec.ipsec.verification as object), before: rec.unencrypted.verification } };
    const file = path.join(dir, 'switched.json');
    fs.writeFileSync(file, JSON.stringify(switched));
    const { out, io: i } = io();
    assert.strictEqual(await execute(['compare', '--json', '--from', files.unencrypted, '--from', file], i, noStacks), 0, out.stderr);
    const c = JSON.parse(out.stdout);
    assert.deepStrictEqual(c.stacks, ['unencrypted', 'switched before (none)', 'switched']);
    const row = (label: string) => c.rows.find((r: { label: string }) => r.label === label).values;
    assert.deepStrictEqual(row('verdict'), ['cleartext', 'cleartext', 'encrypted']);
    assert.deepStrictEqual(row('encryption'), ['none', 'none', 'ipsec']);
    assert.deepStrictEqual(row('capture'), ['captures/unencrypted/1.pcap', 'captures/unencrypted/1.pcap', 'captures/ipsec/1.pcap']);
    // The before column is history: a failed before does not fail the stack's comparison; a failed after does.
    const oldFailed = { ...switched, verification: { ...switched.verification, before: { ...(rec.unencrypted.verification as object), pass: false, failures: ['x'] } } };
    assert.strictEqual(compareOutputs(...withBefore([{ name: 's', outputs: oldFailed }])).pass, true);
    const nowFailed = { ...switched, verification: { ...switched.verification, pass: false, failures: ['y'] } };
    assert.strictEqual(compareOutputs(...withBefore([{ name: 's', outputs: nowFailed }])).pass, false);
    // A stack that never switched has one column.
    assert.deepStrictEqual(withBefore([{ name: 'ipsec', outputs: rec.ipsec }]).map((x) => x.name), ['ipsec']);
    const page = path.join(dir, 'switched.html');
    const r = io();
    assert.strictEqual(await execute(['report', '--from', files.ipsec, '--from', file, '--out', page], r.io, noStacks), 0, r.out.stderr);
    assert.match(r.out.stdout, /ipsec PASS, switched before \(none\) PASS, switched PASS/);
    const html = fs.readFileSync(page, 'utf8');
    assert.ok(html.includes('switched before (none)'), 'the page names the before column');
  });

  it('compare is a pure function over two outputs objects', () => {
    const c = compareOutputs({ name: 'a', outputs: rec.unencrypted }, { name: 'b', outputs: rec.ipsec });
    assert.deepStrictEqual(c.stacks, ['a', 'b']);
    assert.strictEqual(c.pass, true);
    assert.deepStrictEqual(c.problems, []);
    assert.strictEqual(formatComparison(c), formatComparison(compareOutputs({ name: 'a', outputs: rec.unencrypted }, { name: 'b', outputs: rec.ipsec })));
  });

  it('exits 1 and says why when a stack fails or has no verification yet', async () => {
    const failing = JSON.parse(JSON.stringify(rec.ipsec));
    failing.verification.pass = false;
    failing.verification.failures = ['3 cleartext pod packets, expected 0'];
    const c = compareOutputs({ name: 'unencrypted', outputs: rec.unencrypted }, { name: 'ipsec', outputs: failing });
    assert.strictEqual(c.pass, false);
    assert.deepStrictEqual(c.rows.find((r) => r.label === 'failures')?.values, ['none', '3 cleartext pod packets, expected 0']);
    const empty = compareOutputs({ name: 'unencrypted', outputs: rec.unencrypted }, { name: 'ipsec', outputs: {} });
    assert.deepStrictEqual(empty.problems, ['ipsec: no verification output (run `npm run lab -- up --stack ipsec` first)']);
    assert.match(formatComparison(empty), /note: ipsec: no verification output/);
    const f = path.join(dir, 'empty.json');
    fs.writeFileSync(f, '{}');
    const { out, io: i } = io();
    assert.strictEqual(await execute(['compare', '--from', files.unencrypted, '--from', f], i, noStacks), 1);
    assert.match(out.stdout, /not both stacks pass/);
  });

  it('bad recorded files are usage errors: one line, exit 2', async () => {
    const notJson = path.join(dir, 'bad.json');
    fs.writeFileSync(notJson, 'not json');
    const arr = path.join(dir, 'arr.json');
    fs.writeFileSync(arr, '[]');
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing.json'), /^lab: .*missing\.json: cannot read: ENOENT\n$/],
      [notJson, /^lab: .*bad\.json: not JSON \(expected the output of `pulumi stack output --json` or `lab outputs --json`\)\n$/],
      [arr, /^lab: .*arr\.json: expected a JSON object of stack outputs\n$/],
    ];
    for (const [file, msg] of cases) {
      const { out, io: i } = io();
      assert.strictEqual(await execute(['compare', '--from', files.ipsec, '--from', file], i, noStacks), 2);
      assert.match(out.stderr, msg);
    }
  });

  it('reads frame sizes as the verifier reports them per flow ({ min, max, mean })', () => {
    assert.deepStrictEqual(sizeRange([{ sizes: { min: 100, max: 200, mean: 150 } }, { sizes: { min: 90, max: 120, mean: 100 } }]), { min: 90, max: 200 });
    assert.strictEqual(sizeRange([]), undefined);
  });

  it('takes any number of stacks: unencrypted, ipsec after a rotation, wireguard, with the WireGuard and rotation rows', async () => {
    const ipsec = JSON.parse(JSON.stringify(rec.ipsec));
    ipsec.verification.rotation = {
      pass: true, failures: [], from: 3, to: 4, capturePath: 'captures/ipsec/1-rotation.pcap', spis: [3, 4],
      directions: [{ src: T.node1, dst: T.node2, lastOld: 1796113700.25, firstNew: 1796113700.5, oldAfterSwitch: 2 }],
      cleartextWindows: [], decryption: { from: { ok: 40, failed: 0 }, to: { ok: 60, failed: 0 } },
      nonce: { cleartextHits: 0, decryptedHits: 30 }, traffic: { pingTransmitted: 300, pingReceived: 299, pingLost: 1, httpTotal: 60, httpAnswered: 60 },
      xfrmErrorsGrown: {}, xfrmErrorsTolerated: {}, warnings: [],
    };
    const wg = JSON.parse(JSON.stringify(rec.ipsec));
    wg.encryption = 'wireguard';
    wg.verification.expected = { ...wg.verification.expected, encryption: 'wireguard' };
    Object.assign(wg.verification, {
      esp: { packets: 0, spis: [], flows: [], nullPackets: 0, inUdp: 0 },
      decryption: undefined,
      capturePath: 'captures/wireguard/1.pcap',
      wireguard: { packets: 64, dataPackets: 60, handshakes: 4, invalid: 0, flows: [{ src: T.node1, dst: T.node2, receiverIndex: 1, packets: 30 }, { src: T.node2, dst: T.node1, receiverIndex: 2, packets: 30 }] },
      wireguardCorrelation: { note: 'n', clientToServer: { src: T.node1, dst: T.node2, dataPackets: 30, podPacketsSent: 25 }, serverToClient: { src: T.node2, dst: T.node1, dataPackets: 30, podPacketsSent: 20 }, holds: true },
      agents: [{ node: 'worker1', mode: 'Wireguard', errors: 0, wireguardPeers: 2 }],
    });
    const c = compareOutputs({ name: 'unencrypted', outputs: rec.unencrypted }, { name: 'ipsec', outputs: ipsec }, { name: 'wireguard', outputs: wg });
    assert.deepStrictEqual(c.stacks, ['unencrypted', 'ipsec', 'wireguard']);
    assert.strictEqual(c.pass, true);
    const vals = (label: string) => c.rows.find((r) => r.label === label)?.values;
    assert.deepStrictEqual(vals('encryption'), ['none', 'ipsec', 'wireguard']);
    assert.deepStrictEqual(vals('WireGuard data packets'), ['-', '-', '60']);
    assert.deepStrictEqual(vals('WireGuard data vs pod packets'), ['-', '-', '30 >= 25, 30 >= 20 (holds)']);
    assert.deepStrictEqual(vals('agents (encrypt status)')?.[2], 'worker1 Wireguard 2 peers errors 0');
    assert.deepStrictEqual(vals('rotation'), ['-', '3 -> 4 PASS', '-']);
    assert.deepStrictEqual(vals('rotation switch per direction')?.[1], `${T.node1} -> ${T.node2} last old 08:28:20.250 first new 08:28:20.500, 2 old after`);
    assert.deepStrictEqual(vals('rotation pings lost'), ['-', '1 of 300', '-']);
    const text = formatComparison(c);
    assert.deepStrictEqual(text.split('\n')[0].trim().split(/\s+/), ['unencrypted', 'ipsec', 'wireguard']);
    assert.match(text, /all 3 stacks pass\n$/);
    // Without any wireguard stack or rotation the extra rows stay out of the table.
    assert.ok(!compareOutputs({ name: 'a', outputs: rec.unencrypted }, { name: 'b', outputs: rec.ipsec }).rows.some((r) => /WireGuard|rotation/.test(r.label)));
    const files3 = ['u', 'i', 'w'].map((n, k) => {
      const f = path.join(dir, `${n}3.json`);
      fs.writeFileSync(f, JSON.stringify([rec.unencrypted, ipsec, wg][k]));
      return f;
    });
    const { out, io: i } = io();
    assert.strictEqual(await execute(['compare', ...files3.flatMap((f) => ['--from', f])], i, noStacks), 0, out.stderr);
    assert.match(out.stdout, /^rotation +- +3 -> 4 PASS +-$/m);
  });
});
