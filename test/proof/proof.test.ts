/**
 * EncryptionProof under pulumi.runtime.setMocks, on both encryption modes. The mocks answer each
 * command with what its script prints on a real lab (stdout keyed by the script name at the end of the
 * command text), the fetch "copies" a capture built in the test (helpers/pcap.ts) into
 * captures/<stack>/<run>-<mode>.pcap, and the REAL verifier library runs on it. Checked: the capture commands
 * run start -> traffic -> stop -> fetch; the nonce in the traffic command is the one the verifier was
 * given; the outputs' shape on both stacks; the SPI from config in the ipsec expectations; key material
 * only in secret places. Mocks are set before the component module is imported (pulumi/examples style).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the verification output's mode fields are read as plain JSON */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parseLabConfig, type Encryption } from '../../components/config';
import { commandPath, REPO_ROOT as REPO } from '../../components/repo';
import type { VerifyFn } from '../../components/proof/verification';
import { verifyCapture, type Report } from '../../components/verifier';
import { envOf, nodeOf, scriptOf } from '../helpers/script-command';
import { REPO_ROOT } from '../../components/repo';
import { cleartextCapture, DEFAULT_TRAFFIC as T, encryptedCapture, xfrmStateText } from './helpers/pcap';

/** The proof's root for captures/ (a temp dir: the test never writes into the repository). */
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'proof-mock-root-'));
const CP_IP = '192.168.211.10';
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nTESTKEYMATERIAL0123456789\n-----END OPENSSH PRIVATE KEY-----';
const SECRET_MARK = '4dabf18193072939515e22adb298388d';

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

function unwrap(v: unknown): unknown {
  return v && typeof v === 'object' && SECRET_MARK in (v as object) ? (v as { value: unknown }).value : v;
}

function factsOut(ip: string | undefined, phase: string, growErrors: boolean): string {
  const host = ip === T.node1 ? 'worker1' : ip === T.node2 ? 'worker2' : 'control-plane';
  const ch = ip === T.node1 ? '10.0.1.124' : ip === T.node2 ? '10.0.2.104' : '10.0.0.77';
  const noStates = growErrors && phase === 'after' && host === 'worker2' ? 2 : 0;
  return [
    `phase=${phase}`,
    `hostname=${host}`,
    `addrs=${ip}/24`,
    `cilium_host=${ch}`,
    'xfrm_states=4',
    'xfrm_policies=6',
    'xfrm_stat=available',
    'xfrm_stat.XfrmInError=0',
    `xfrm_stat.XfrmInNoStates=${noStates}`,
  ].join('\n');
}

function stdoutFor(r: Created, stack: string): string {
  const create = unwrap(r.inputs.create);
  const node = nodeOf(create);
  switch (scriptOf(create)) {
    case 'capture-start.sh':
      return 'interface=seg2\nfile=/var/tmp/cilium-lab/x.pcap\npid=4242\nstarted=2026-01-01T00:00:00Z';
    case 'traffic.sh':
      // The scapy-made WireGuard fixture carries one ping exchange and one HTTP request.
      if (stack.includes('wireguard-fixture')) return 'ping_transmitted=1\nping_received=1\nhttp_total=1\nhttp_answered=1\nhttp_echoed=1\nserver_log_hits=1';
      return 'ping_transmitted=4\nping_received=4\nhttp_total=2\nhttp_answered=2\nhttp_echoed=2\nserver_log_hits=2';
    case 'capture-stop.sh':
      return `file=/var/tmp/cilium-lab/${stack}.pcap\nbytes=3000\ncaptured=12\nreceived=12\ndropped=0\nstopped_by=signal`;
    case 'facts.sh':
      return factsOut(node, envOf(unwrap(r.inputs.stdin)).PHASE, stack.includes('grow'));
    case 'facts-cilium.sh':
      if (stack.includes('wireguard')) return 'agent=cilium-wg\nEncryption: Wireguard\nInterface: cilium_wg0\n\tPublic key: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=\n\tNumber of peers: 2';
      return 'agent=cilium-abcde\nEncryption: IPsec\nDecryption interface(s): eth0\nKeys in use: 4\nMax Seq. Number: 0x6/0xffffffff\nErrors: 0';
    case 'facts-xfrm.sh':
      return xfrmStateText(T, node === T.node1 ? 1 : 2);
    case 'capture-fetch.sh':
      return `local=${ROOT}/captures/${stack}/1-${stack.includes('wireguard') ? 'wireguard' : stack.includes('ipsec') ? 'ipsec' : 'none'}.pcap\nbytes=3000\nsha256=00`;
    default:
      return '';
  }
}

let created: Created[] = [];
let currentStack = '';

function setMocks(stack: string, preview = false): void {
  created = [];
  currentStack = stack;
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const r: Created = { type: args.type, name: args.name, inputs: args.inputs };
        created.push(r);
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'random:index/randomString:RandomString') state.result = T.nonce.slice(4);
        if (args.type === 'kubernetes:core/v1:Pod') {
          state.status = { phase: 'Running', podIP: args.name.endsWith('-client') ? T.clientPod : T.serverPod };
        }
        if (args.type.startsWith('command:')) {
          const create = String(unwrap(args.inputs.create));
          state.stdout = stdoutFor({ ...r, inputs: { ...args.inputs, create } }, currentStack);
          state.stderr = '';
        }
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    'cilium-ipsec-lab',
    stack,
    preview,
  );
}

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

async function build(stack: string, encryption: Encryption, preview = false, extra: { verify?: VerifyFn; ipsecReadiness?: string; modeRecord?: string } = {}) {
  setMocks(stack, preview);
  const { EncryptionProof } = await import('../../components/proof');
  const k8s = await import('@pulumi/kubernetes');
  const config = parseLabConfig({ encryption }, stack);
  const connection = { host: '192.168.210.2', user: 'lab', privateKey: pulumi.secret(PRIVATE_KEY) };
  const provider = new k8s.Provider('k8s', { kubeconfig: pulumi.secret('apiVersion: v1') });
  const proof = new EncryptionProof('proof', {
    config,
    router: { router: connection },
    nodes: [
      { name: 'control-plane', role: 'control-plane', ip: CP_IP, target: { router: connection, node: CP_IP } },
      { name: 'worker1', role: 'worker', ip: T.node1, target: { router: connection, node: T.node1 } },
      { name: 'worker2', role: 'worker', ip: T.node2, target: { router: connection, node: T.node2 } },
    ],
    provider,
    dependsOn: [],
    root: ROOT,
    ...extra,
  });
  const [verification, pods, nodes, capturePath, nonce] = await Promise.all([
    value(proof.verification),
    value(proof.pods),
    value(proof.nodes),
    value(proof.capturePath),
    value(proof.nonce),
  ]);
  return { proof, config, verification, pods, nodes, capturePath, nonce, created: [...created] };
}

const byScript = (cs: Created[], script: string) => cs.filter((c) => c.type.startsWith('command:') && scriptOf(unwrap(c.inputs.create)) === script);
const indexOf = (cs: Created[], script: string) => cs.findIndex((c) => c.type.startsWith('command:') && scriptOf(unwrap(c.inputs.create)) === script);

describe('EncryptionProof (mocks)', function () {
  this.timeout(60000);
  const stacks = { none: 'proof-mock-unencrypted', ipsec: 'proof-mock-ipsec', grow: 'proof-mock-ipsec-grow' };
  before(() => {
    for (const [mode, stack] of Object.entries(stacks)) {
      fs.mkdirSync(path.join(ROOT, 'captures', stack), { recursive: true });
      (mode === 'none' ? cleartextCapture : encryptedCapture)(path.join(ROOT, 'captures', stack, `1-${mode === 'none' ? 'none' : 'ipsec'}.pcap`));
    }
  });
  after(() => {
    fs.rmSync(ROOT, { recursive: true, force: true });
  });

  for (const encryption of ['none', 'ipsec'] as const) {
    describe(`lab:encryption ${encryption}`, () => {
      let r: Awaited<ReturnType<typeof build>>;
      before(async () => {
        r = await build(stacks[encryption], encryption);
      });

      it('runs the capture commands in the order start -> traffic -> stop -> fetch, each triggered by the previous one', () => {
        const order = ['capture-start.sh', 'traffic.sh', 'capture-stop.sh', 'capture-fetch.sh'].map((s) => indexOf(r.created, s));
        assert.ok(order.every((i) => i >= 0), `missing step: ${order}`);
        assert.deepStrictEqual([...order].sort((a, b) => a - b), order, `creation order ${order}`);
        const [start, traffic, stop, fetch] = ['capture-start.sh', 'traffic.sh', 'capture-stop.sh', 'capture-fetch.sh'].map((s) => byScript(r.created, s)[0]);
        const trig = (c: Created) => (unwrap(c.inputs.triggers) as unknown[]).map(unwrap);
        assert.ok(trig(traffic).includes(stdoutFor(start, stacks[encryption])), 'traffic triggers carry the start output');
        assert.ok(trig(stop).includes(stdoutFor(traffic, stacks[encryption])), 'stop triggers carry the traffic output');
        assert.ok(trig(fetch).includes(stdoutFor(stop, stacks[encryption])), 'fetch triggers carry the stop output');
        for (const c of [start, traffic, stop, fetch]) assert.ok(trig(c).includes(r.nonce), `${c.name}: nonce in triggers`);
      });

      it('takes the "before" facts of every node before tcpdump starts, the "after" facts after the traffic', () => {
        const start = indexOf(r.created, 'capture-start.sh');
        const traffic = indexOf(r.created, 'traffic.sh');
        const facts = r.created.filter((c) => c.name.includes('-facts-'));
        assert.strictEqual(facts.length, 6);
        for (const f of facts) {
          const i = r.created.indexOf(f);
          if (f.name.includes('facts-before')) assert.ok(i < start, `${f.name} before start`);
          else assert.ok(i > traffic, `${f.name} after traffic`);
        }
      });

      it('runs tcpdump on the router (no node hop) on lab:captureInterface, and the traffic on the control-plane', () => {
        const start = byScript(r.created, 'capture-start.sh')[0];
        assert.strictEqual(nodeOf(unwrap(start.inputs.create)), undefined);
        const env = envOf(unwrap(start.inputs.stdin));
        assert.strictEqual(env.CAPTURE_INTERFACE, 'seg2');
        assert.strictEqual(env.CAPTURE_FILE, `/var/tmp/cilium-lab/${stacks[encryption]}-run1-${r.nonce}.pcap`);
        const traffic = String(unwrap(byScript(r.created, 'traffic.sh')[0].inputs.create));
        assert.strictEqual(nodeOf(traffic), CP_IP);
      });

      it('uses the same nonce in the traffic command and in the verifier expectations', () => {
        const traffic = envOf(unwrap(byScript(r.created, 'traffic.sh')[0].inputs.stdin));
        assert.match(r.nonce, /^lab-[a-z0-9]{12}$/);
        assert.strictEqual(traffic.NONCE, r.nonce);
        assert.strictEqual(traffic.TARGET_IP, T.serverPod);
        assert.strictEqual(r.verification.expected.nonce, r.nonce);
        assert.strictEqual(r.verification.nonce?.text, r.nonce);
      });

      it('keys the nonce on lab:captureRun, lab:encryption and on ipsec lab:ipsecKeyId (a rotation re-captures with the new key)', () => {
        const rs = r.created.find((c) => c.type === 'random:index/randomString:RandomString');
        const keyed = encryption === 'ipsec' ? { captureRun: '1', encryption, ipsecKeyId: '3' } : { captureRun: '1', encryption };
        assert.deepStrictEqual(unwrap(rs?.inputs.keepers), keyed);
      });

      it('pins the client pod to worker1 and the server pod to worker2 with pinned images', () => {
        const pods = r.created.filter((c) => c.type === 'kubernetes:core/v1:Pod');
        const spec = (n: string) => (pods.find((p) => p.name.endsWith(n))?.inputs.spec ?? {}) as { nodeSelector: Record<string, string>; containers: { image: string }[] };
        assert.deepStrictEqual(spec('-client').nodeSelector, { 'kubernetes.io/hostname': 'worker1' });
        assert.deepStrictEqual(spec('-server').nodeSelector, { 'kubernetes.io/hostname': 'worker2' });
        assert.strictEqual(spec('-client').containers[0].image, r.config.clientImage);
        assert.strictEqual(spec('-server').containers[0].image, r.config.serverImage);
      });

      it('passes the verification and exports the promised shape', () => {
        const v = r.verification;
        assert.deepStrictEqual(v.failures, []);
        assert.strictEqual(v.pass, true);
        assert.strictEqual(v.verdict, encryption === 'ipsec' ? 'encrypted' : 'cleartext');
        assert.strictEqual(v.schemaVersion, 1);
        for (const k of ['verdict', 'frames', 'warnings', 'esp', 'cleartext', 'nonce', 'pass', 'failures', 'capturePath', 'tcpdump', 'traffic', 'expected']) {
          assert.ok(k in v, `verification.${k}`);
        }
        assert.strictEqual(typeof v.esp?.packets, 'number');
        assert.ok(Array.isArray(v.esp?.spis) && Array.isArray(v.esp?.flows));
        assert.strictEqual(typeof v.cleartext?.podPackets, 'number');
        assert.deepStrictEqual(v.tcpdump, { file: `/var/tmp/cilium-lab/${stacks[encryption]}.pcap`, bytes: 3000, captured: 12, received: 12, dropped: 0, stoppedBy: 'signal' });
        assert.deepStrictEqual(v.traffic, { pingTransmitted: 4, pingReceived: 4, httpTotal: 2, httpAnswered: 2, httpEchoed: 2, serverLogHits: 2 });
        assert.strictEqual(r.capturePath, `captures/${stacks[encryption]}/1-${encryption}.pcap`);
        assert.strictEqual(v.capturePath, r.capturePath);
        assert.deepStrictEqual(r.pods, {
          namespace: 'lab-proof',
          client: { name: 'client', node: 'worker1', ip: T.clientPod, image: r.config.clientImage },
          server: { name: 'server', node: 'worker2', ip: T.serverPod, image: r.config.serverImage, port: 80 },
        });
        assert.deepStrictEqual(r.nodes.map((n) => [n.name, n.role, n.ip, n.ciliumHost]), [
          ['control-plane', 'control-plane', CP_IP, '10.0.0.77'],
          ['worker1', 'worker', T.node1, '10.0.1.124'],
          ['worker2', 'worker', T.node2, '10.0.2.104'],
        ]);
        for (const n of r.nodes) {
          assert.deepStrictEqual(n.xfrmErrorsGrown, {});
          assert.strictEqual(n.xfrmStates, 4);
          assert.strictEqual(n.encryptStatus?.mode, encryption === 'ipsec' ? 'IPsec' : undefined);
        }
      });

      it(encryption === 'ipsec' ? 'expects encrypted with the SPI from config, endpoints = node + cilium_host addresses' : 'expects cleartext (the sanity check), no SPI', () => {
        const x = r.verification.expected;
        if (encryption === 'ipsec') {
          assert.strictEqual(x.expect, 'encrypted');
          assert.strictEqual(x.spi, r.config.ipsecKeyId);
          assert.deepStrictEqual(x.endpoints, [CP_IP, T.node1, T.node2, '10.0.0.77', '10.0.1.124', '10.0.2.104']);
          assert.strictEqual(x.decrypt, true);
          assert.ok((r.verification.decryption?.ok ?? 0) > 0);
          assert.strictEqual(r.verification.wiresharkConfigDir, `captures/${stacks.ipsec}/1-ipsec.wireshark`);
          const espSa = fs.readFileSync(path.join(ROOT, r.verification.wiresharkConfigDir as string, 'esp_sa'), 'utf8');
          assert.ok(espSa.includes(T.key12.toString('hex')));
          assert.strictEqual(fs.statSync(path.join(ROOT, r.verification.wiresharkConfigDir as string, 'esp_sa')).mode & 0o777, 0o600);
        } else {
          assert.strictEqual(x.expect, 'cleartext');
          assert.strictEqual(x.spi, undefined);
          assert.strictEqual(x.decrypt, false);
          assert.strictEqual(r.verification.wiresharkConfigDir, undefined);
        }
      });

      it('reads xfrm state (key material) only on ipsec, with stdout kept out of logs, and never in a plain output', async () => {
        const xfrm = byScript(r.created, 'facts-xfrm.sh');
        const status = byScript(r.created, 'facts-cilium.sh');
        if (encryption === 'none') {
          assert.strictEqual(xfrm.length, 0);
          assert.strictEqual(status.length, 0);
        } else {
          assert.deepStrictEqual(xfrm.map((c) => nodeOf(unwrap(c.inputs.create))), [T.node1, T.node2]);
          for (const c of xfrm) assert.strictEqual(unwrap(c.inputs.logging), 'stderr');
          assert.strictEqual(status.length, 3);
        }
        assert.strictEqual(await pulumi.isSecret(r.proof.verification), false, 'verification is a plain output');
        const plain = JSON.stringify([r.verification, r.nodes, r.pods, r.capturePath]);
        for (const secret of [T.key12.toString('hex'), T.key21.toString('hex'), 'TESTKEYMATERIAL']) {
          assert.ok(!plain.includes(secret), `plain outputs contain ${secret}`);
        }
      });

      it("fetches with the router's private key only as a secret input", () => {
        const fetch = byScript(r.created, 'capture-fetch.sh')[0];
        assert.strictEqual(fetch.type, 'command:local:Command');
        const env = fetch.inputs.environment as Record<string, unknown>;
        const wrapped = SECRET_MARK in (env as object) ? env : undefined;
        assert.ok(wrapped, 'environment is secret');
        const e = unwrap(env) as Record<string, string>;
        assert.strictEqual(e.FETCH_PRIVATE_KEY, PRIVATE_KEY);
        assert.strictEqual(e.LOCAL_FILE, path.join(ROOT, 'captures', stacks[encryption], `1-${encryption}.pcap`));
        assert.strictEqual(e.REMOTE_FILE, `/var/tmp/cilium-lab/${stacks[encryption]}-run1-${r.nonce}.pcap`);
      });

      it('fetches with paths relative to the project: no input holds the absolute checkout path', () => {
        const fetch = byScript(r.created, 'capture-fetch.sh')[0];
        const inputs = JSON.stringify(fetch.inputs, (_k, v) => unwrap(v));
        assert.ok(!inputs.includes(REPO), `capture-fetch inputs contain ${REPO}: ${inputs.replace(PRIVATE_KEY, '<key>')}`);
        assert.strictEqual(unwrap(fetch.inputs.create), 'bash scripts/vm/capture-fetch.sh');
        // Under the project root (the program's default) the pcap path is relative too.
        assert.strictEqual(commandPath(REPO, 'captures/s/1-none.pcap'), 'captures/s/1-none.pcap');
        assert.strictEqual(commandPath(ROOT, 'captures/s/1-none.pcap'), path.join(ROOT, 'captures/s/1-none.pcap'));
        assert.strictEqual(fetch.inputs.dir, undefined, 'runs in the program\'s working directory, the project root');
        assert.ok(fs.existsSync(path.join(REPO, 'scripts/vm/capture-fetch.sh')));
      });

      it('serves the nonce back from a ConfigMap and counts only prefixed access-log lines', () => {
        const cm = r.created.find((c) => c.type === 'kubernetes:core/v1:ConfigMap');
        assert.ok(cm, 'no ConfigMap for the server');
        const data = cm.inputs.data as Record<string, string>;
        assert.match(data['default.conf'], /location = \/echo \{[\s\S]*return 200 "\$arg_msg\\n";/);
        const traffic = byScript(r.created, 'traffic.sh')[0];
        const env = envOf(unwrap(traffic.inputs.stdin));
        assert.strictEqual(env.SERVER_LOG_PREFIX, 'lab-access');
        assert.match(data['default.conf'], /log_format lab_access 'lab-access /);
      });
    });
  }

  it('ipsec fails when an XFRM error counter grows during the run, naming the node', async () => {
    const r = await build(stacks.grow, 'ipsec');
    assert.strictEqual(r.verification.pass, false);
    assert.deepStrictEqual(r.verification.failures, ['node worker2: XFRM error counter XfrmInNoStates grew from 0 to 2 during the run']);
    assert.deepStrictEqual(r.nodes.find((n) => n.name === 'worker2')?.xfrmErrorsGrown, { XfrmInNoStates: [0, 2] });
  });

  it('an in-place switch keeps the capture before it and shows its verification as `before`', async () => {
    const stack = 'proof-mock-switch';
    const dir = path.join(ROOT, 'captures', stack);
    fs.mkdirSync(dir, { recursive: true });
    cleartextCapture(path.join(dir, '1-none.pcap'));
    encryptedCapture(path.join(dir, '1-ipsec.pcap'));
    try {
      // The stack runs unencrypted (the mode record was created with no earlier mode) ...
      const none = await build(stack, 'none', false, { modeRecord: 'previous=\nencryption=none\n' });
      assert.strictEqual(none.verification.pass, true, none.verification.failures.join('\n'));
      assert.strictEqual(none.verification.before, undefined);
      const record = JSON.parse(fs.readFileSync(path.join(dir, '1-none.json'), 'utf8'));
      assert.deepStrictEqual([record.schemaVersion, record.capturePath, record.verdict], [1, `captures/${stack}/1-none.pcap`, 'cleartext']);
      // ... then switches to ipsec in place with the same lab:captureRun: the capture before stays.
      const ipsec = await build(stack, 'ipsec', false, { modeRecord: 'previous=none\nencryption=ipsec\n' });
      const v = ipsec.verification;
      assert.strictEqual(v.pass, true, v.failures.join('\n'));
      assert.strictEqual(v.capturePath, `captures/${stack}/1-ipsec.pcap`);
      assert.ok(fs.existsSync(path.join(dir, '1-none.pcap')) && fs.existsSync(path.join(dir, '1-ipsec.pcap')), 'both captures kept');
      assert.ok(v.before, 'the verification before the switch is in the output');
      assert.deepStrictEqual([v.before.capturePath, v.before.expected.encryption, v.before.verdict, v.before.pass, v.before.nonce?.hits], [`captures/${stack}/1-none.pcap`, 'none', 'cleartext', true, 10]);
      assert.strictEqual(v.before.before, undefined, 'no history inside the history');
      // Without a switch on record (a stack made ipsec from the start) nothing else is shown.
      const fresh = await build(stack, 'ipsec', false, { modeRecord: 'previous=\nencryption=ipsec\n' });
      assert.strictEqual(fresh.verification.before, undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not run the verifier during preview', async () => {
    const r = await build(stacks.none, 'none', true);
    assert.strictEqual(r.verification.pass, false);
    assert.deepStrictEqual(r.verification.failures, ['not verified yet: the verification runs during pulumi up']);
    assert.strictEqual(r.verification.verdict, undefined);
  });

  it('refuses a node list without one control-plane and two workers, before creating anything', async () => {
    const { pickNodes } = await import('../../components/proof');
    const t = { router: { host: 'x' } };
    assert.throws(() => pickNodes([{ name: 'w1', role: 'worker', ip: '1', target: t }, { name: 'w2', role: 'worker', ip: '2', target: t }]), /exactly one control-plane node in args\.nodes, got 0/);
    assert.throws(() => pickNodes([{ name: 'cp', role: 'control-plane', ip: '1', target: t }, { name: 'w1', role: 'worker', ip: '2', target: t }]), /at least two worker nodes .* got 1/);
  });

  describe('lab:encryption wireguard (the verifier answered by a stand-in with WireGuard findings)', () => {
    const stack = 'proof-mock-wireguard';
    const calls: { capture: string; opts: Parameters<VerifyFn>[1] }[] = [];
    const A = T.node1;
    const B = T.node2;
    const wgReport = (dataEach: number) =>
      ({
        verdict: 'encrypted',
        reasons: ['WireGuard transport data carries the traffic'],
        meetsExpectation: true,
        expectationFailures: [],
        frames: 60,
        warnings: [],
        esp: { packets: 0, spis: [], flows: [], nullPackets: 0, inUdp: 0 },
        cleartext: { podPackets: 0, byProtocol: {}, flows: [], podCidrs: ['10.0.0.0/8'] },
        nonce: { text: 'x', hits: 0, decryptedHits: 0, frames: [] },
        wireguard: {
          packets: 2 * dataEach + 2,
          dataPackets: 2 * dataEach,
          handshakes: 2,
          invalid: 0,
          flows: [
            { src: A, dst: B, receiverIndex: 7, packets: dataEach, firstCounter: 0, lastCounter: dataEach - 1, counterIncreasing: true, firstTime: 1, lastTime: 2 },
            { src: B, dst: A, receiverIndex: 9, packets: dataEach, firstCounter: 0, lastCounter: dataEach - 1, counterIncreasing: true, firstTime: 1, lastTime: 2 },
          ],
        },
      }) as unknown as Report;
    let r: Awaited<ReturnType<typeof build>>;
    before(async () => {
      fs.mkdirSync(path.join(ROOT, 'captures', stack), { recursive: true });
      cleartextCapture(path.join(ROOT, 'captures', stack, '1-wireguard.pcap'));
      r = await build(stack, 'wireguard', false, {
        verify: async (capture, opts) => {
          calls.push({ capture, opts });
          return wgReport(30);
        },
      });
    });
    after(() => fs.rmSync(path.join(ROOT, 'captures', stack), { recursive: true, force: true }));

    it('asks every agent for its encrypt status and reads no xfrm state', () => {
      assert.strictEqual(byScript(r.created, 'facts-cilium.sh').length, 3);
      assert.strictEqual(byScript(r.created, 'facts-xfrm.sh').length, 0);
    });

    it('runs the verifier for encrypted with no cleartext in the pod CIDR and the nonce; no SPI, no ESP endpoints, no keys', () => {
      assert.strictEqual(calls.length, 1);
      const o = calls[0].opts;
      assert.deepStrictEqual(o.podCidrs, ['10.0.0.0/8']);
      assert.strictEqual(o.expect, 'encrypted');
      assert.strictEqual(o.nonce, r.nonce);
      assert.strictEqual(o.endpoints, undefined, '--endpoints is an ESP expectation');
      assert.strictEqual(o.spi, undefined);
      assert.strictEqual(o.xfrm, undefined);
    });

    it('passes with the agents in WireGuard mode with 2 peers, and reports the correlation that stands in for decryption', () => {
      const v = r.verification as any;
      assert.deepStrictEqual(v.failures, []);
      assert.strictEqual(v.pass, true);
      assert.deepStrictEqual(v.agents.map((a: any) => [a.node, a.mode, a.wireguardPeers]), [['control-plane', 'Wireguard', 2], ['worker1', 'Wireguard', 2], ['worker2', 'Wireguard', 2]]);
      const c = v.wireguardCorrelation;
      // traffic.sh (mocked): 4 pings sent, 4 answered, 2 HTTP requests answered.
      assert.deepStrictEqual(c.clientToServer, { src: A, dst: B, dataPackets: 30, podPacketsSent: 4 + 3 * 2 });
      assert.deepStrictEqual(c.serverToClient, { src: B, dst: A, dataPackets: 30, podPacketsSent: 4 + 2 * 2 });
      assert.strictEqual(c.holds, true);
      assert.match(c.note, /session keys are ephemeral and cannot be read from the nodes/);
    });

    it('fails when WireGuard carried fewer data packets than the traffic generator sent', async () => {
      const short = await build(stack, 'wireguard', false, { verify: async () => wgReport(5) });
      const f = (short.verification as any).failures as string[];
      assert.ok(f.includes(`${A} -> ${B}: 5 WireGuard data packets, fewer than the 10 pod packets the traffic generator sent that way: the traffic did not go through WireGuard`), f.join('\n'));
      assert.strictEqual(short.verification.pass, false);
    });
  });

  describe('lab:encryption ipsec with the readiness report (ipsec-wait.sh) as evidence', () => {
    const stack = 'proof-mock-ipsec-ready';
    const line = (n: string, spis: string) => `node=${n} agent=cilium-${n} mode=IPsec keys_in_use=4 errors=0 xfrm=none spis=${spis} peers_ok=2/2`;
    before(() => {
      fs.mkdirSync(path.join(ROOT, 'captures', stack), { recursive: true });
      encryptedCapture(path.join(ROOT, 'captures', stack, '1-ipsec.pcap'));
    });
    after(() => fs.rmSync(path.join(ROOT, 'captures', stack), { recursive: true, force: true }));

    it('reports each agent with the key ids it carried, and fails a node without the configured one', async () => {
      const good = await build(stack, 'ipsec', false, { ipsecReadiness: ['control-plane', 'worker1', 'worker2'].map((n) => line(n, '3')).join('\n') });
      const v = good.verification as any;
      assert.deepStrictEqual(v.failures, []);
      assert.deepStrictEqual(v.agents.map((a: any) => [a.node, a.mode, a.keyIds, a.errors]), [['control-plane', 'IPsec', [3], 0], ['worker1', 'IPsec', [3], 0], ['worker2', 'IPsec', [3], 0]]);
      const bad = await build(stack, 'ipsec', false, { ipsecReadiness: [line('control-plane', '3'), line('worker1', '3'), line('worker2', '2')].join('\n') });
      assert.strictEqual(bad.verification.pass, false);
      assert.deepStrictEqual(bad.verification.failures, ['node worker2: the Cilium agent cilium-worker2 had SPIs 2 installed, not the configured key id 3 (lab:ipsecKeyId)']);
    });
  });

  describe('lab:encryption wireguard with the real verifier on WireGuard captures made by scapy (make-fixtures.py)', () => {
    const stack = 'proof-mock-wireguard-fixture';
    const FIX = path.join(REPO_ROOT, 'test', 'fixtures', 'captures');
    // The fixtures carry their own nonce; the lab's options go to the verifier as they are, except that one.
    const onFixture = (name: string): VerifyFn => (_c, opts) => verifyCapture(path.join(FIX, `${name}.pcap`), { ...opts, nonce: 'cilab-nonce-5e1f0a9c' });
    before(() => {
      fs.mkdirSync(path.join(ROOT, 'captures', stack), { recursive: true });
      fs.copyFileSync(path.join(FIX, 'wireguard-encrypted.pcap'), path.join(ROOT, 'captures', stack, '1-wireguard.pcap'));
    });
    after(() => fs.rmSync(path.join(ROOT, 'captures', stack), { recursive: true, force: true }));

    it('WireGuard between the node IPs carrying at least the generated traffic passes, with the correlation reported', async () => {
      const r = await build(stack, 'wireguard', false, { verify: onFixture('wireguard-encrypted') });
      const v = r.verification as any;
      assert.deepStrictEqual(v.failures, []);
      assert.strictEqual(v.verdict, 'encrypted');
      assert.deepStrictEqual(v.wireguardCorrelation.clientToServer, { src: T.node1, dst: T.node2, dataPackets: 4, podPacketsSent: 4 });
      assert.deepStrictEqual(v.wireguardCorrelation.serverToClient, { src: T.node2, dst: T.node1, dataPackets: 5, podPacketsSent: 3 });
    });

    it('cleartext pod packets beside WireGuard (partial) and invalid messages on its port fail', async () => {
      const partial = await build(stack, 'wireguard', false, { verify: onFixture('wireguard-partial') });
      assert.strictEqual(partial.verification.pass, false);
      assert.ok(partial.verification.failures.some((f) => /partial/.test(f)), partial.verification.failures.join('\n'));
      const invalid = await build(stack, 'wireguard', false, { verify: onFixture('wireguard-invalid') });
      assert.ok(invalid.verification.failures.some((f) => /packets on the WireGuard port are not valid WireGuard messages/.test(f)), invalid.verification.failures.join('\n'));
    });
  });
});
