/**
 * The key rotation under pulumi.runtime.setMocks, wired as the program wires it (program.ts
 * ciliumWithRotation: Cilium on the ipsec stack, the rotation beside it handed Cilium's key). The key-id
 * record's answer is the real scripts/host/ipsec-key-record.sh, run with the record's environment and the
 * previous stdout @pulumi/command would hand its update (PULUMI_COMMAND_STDOUT; pulumi-command v1.2.1):
 * a first `up`, a raised key id, an `up` after a rotation window that never finished. Dependencies are
 * recorded from the registrations (mocks do not see dependsOn). Checked: a first up has no rotation step;
 * a rotation runs capture start -> traffic start -> Secret update -> new-key wait -> traffic stop ->
 * capture stop -> fetch, each edge real in the graph; the wait asks for the new SPI only; the ordinary
 * proof waits for the rotation; verification.rotation carries the rotation verdict and fails the stack's
 * verification when the rotation fails; a retried window runs capture and traffic again.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- mock registrations and the verification output are untyped JSON here */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { rotationPendingFile } from '../../components/encryption-records';
import type { VerifyFn } from '../../components/proof/verification';
import { xfrmStateText } from '../helpers/xfrm';
import { REPO_ROOT as REPO } from '../../components/repo';
import { verifyCapture } from '../../components/verifier';
import { envOf, scriptOf as scriptOfText } from '../helpers/script-command';

const SECRET_MARK = '4dabf18193072939515e22adb298388d';
const unwrap = (v: unknown): unknown => (v && typeof v === 'object' && SECRET_MARK in (v as object) ? (v as { value: unknown }).value : v);
const STACK = 'rot-mock';
/** The program's root for captures/ and the pending note (never the repository's). */
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'rot-mock-root-'));
const PENDING = path.join(ROOT, rotationPendingFile(STACK));

interface Rec {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  deps: string[];
  order: number;
}
let recs: Rec[] = [];
const deps = new Map<string, string[]>();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MockMonitor } = require('@pulumi/pulumi/runtime/mocks');
const origRegister = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (req: any, cb: any) {
  deps.set(req.getName(), (req.getDependenciesList() as string[]).map((u) => u.split('::').pop() as string));
  return origRegister.call(this, req, cb);
};

const scriptOf = (create: unknown) => scriptOfText(unwrap(create));

/** What the mocked facts and xfrm commands print: drops on worker2 or not, and which xfrm texts. */
let scene: { grow: boolean; xfrmBefore: string; xfrmAfter: string } = { grow: true, xfrmBefore: '', xfrmAfter: '' };

/** The key record as @pulumi/command runs it: the real script, its environment, the previous run's stdout. */
function keyRecord(inputs: Record<string, unknown>, previous: string): string {
  const env = unwrap(inputs.environment) as Record<string, string>;
  const r = spawnSync('bash', [path.join(REPO, 'scripts/host/ipsec-key-record.sh')], {
    cwd: REPO,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env, ...(previous ? { PULUMI_COMMAND_STDOUT: previous } : {}) },
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return r.stdout;
}

function stdoutFor(type: string, name: string, inputs: Record<string, unknown>, previousRecord: string): string {
  const create = String(unwrap(inputs.create));
  if (/ipsec-key-record\.sh/.test(create)) return keyRecord(inputs, previousRecord);
  if (/encryption-mode\.sh/.test(create)) return 'previous=ipsec\nencryption=ipsec\n';
  switch (scriptOf(create)) {
    case 'facts.sh':
      return `hostname=${name}\naddrs=192.168.211.128/24\ncilium_host=10.0.1.124\nxfrm_states=8\nxfrm_policies=6\nxfrm_stat=available\nxfrm_stat.XfrmInNoStates=${scene.grow && /after/.test(name) && /worker2/.test(name) ? 5 : 0}\nxfrm_stat.XfrmInError=${/after/.test(name) ? 1 : 0}`;
    case 'traffic-window.sh':
      return /stop/.test(name) ? 'ping_transmitted=300\nping_received=298\nping_lost=2\nhttp_total=60\nhttp_answered=60\nstopped=1\n' : 'target=10.0.2.187\nstarted=1\n';
    case 'capture-stop.sh':
      return 'file=/var/tmp/cilium-lab/x.pcap\nbytes=9000\ncaptured=600\nreceived=600\ndropped=0\nstopped_by=signal';
    case 'capture-fetch.sh':
      return `local=${ROOT}/captures/${STACK}/1-rotation.pcap\nbytes=9000\nsha256=00`;
    case 'facts-xfrm.sh':
      if (scene.xfrmBefore) return /before/.test(name) ? scene.xfrmBefore : scene.xfrmAfter;
      return xfrmStateText({ src: '192.168.211.128', dst: '192.168.44.128', spi: 4 });
    default:
      return type.startsWith('command:') ? 'ok' : '';
  }
}

/** The verifier's report on a rotation 3 -> 4 between worker1 and worker2 (a stand-in for verifyCapture). */
function switchedReport(): any {
  const flow = (src: string, dst: string, spi: number) => ({ src, dst, spi, packets: 100, decryption: { ok: 100, failed: 0 } });
  const a = '192.168.211.128';
  const b = '192.168.44.128';
  return {
    verdict: 'encrypted',
    frames: 800,
    warnings: [],
    meetsExpectation: true,
    expectationFailures: [],
    esp: { packets: 400, spis: [3, 4], flows: [flow(a, b, 3), flow(b, a, 3), flow(a, b, 4), flow(b, a, 4)] },
    cleartext: { podPackets: 0 },
    nonce: { hits: 0, decryptedHits: 150 },
    decryption: { ok: 400, failed: 0 },
    rotation: {
      from: 3,
      to: 4,
      met: true,
      directions: [
        { src: a, dst: b, lastOld: 1796113700.5, firstNew: 1796113701.1, oldAfterSwitch: 1, switched: true },
        { src: b, dst: a, lastOld: 1796113702.0, firstNew: 1796113702.2, oldAfterSwitch: 0, switched: true },
      ],
      cleartextWindows: [],
      failures: [],
    },
  };
}

/** One `up` of the ipsec stack with the key id at 4; `previousRecord` is the key record's stdout in the state. */
async function build(previousRecord: string, verifyWith?: VerifyFn) {
  recs = [];
  deps.clear();
  let order = 0;
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'random:index/randomString:RandomString') state.result = 'r0tat10nn0nc';
        if (args.type === 'random:index/randomPassword:RandomPassword') state.result = 'ab'.repeat(args.inputs.length / 2);
        if (args.type.startsWith('command:')) {
          state.stdout = stdoutFor(args.type, args.name, args.inputs, previousRecord);
          state.stderr = '';
        }
        recs.push({ type: args.type, name: args.name, inputs: args.inputs, deps: [], order: order++ });
        return { id: `${args.name}-id`, state };
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    'cilium-ipsec-lab',
    STACK,
    false,
  );
  const { ciliumWithRotation } = await import('../../components/program');
  const { withRotation } = await import('../../components/proof/judge-rotation');
  const k8s = await import('@pulumi/kubernetes');
  const config = parseLabConfig({ encryption: 'ipsec', ipsecKeyId: '4' }, STACK);
  const plan = planTopology(config);
  const conn = { host: '192.168.209.2', user: 'lab', privateKey: pulumi.secret('KEY') };
  const nodes = plan.nodes.map((n) => ({ name: n.hostname, role: n.role as 'control-plane' | 'worker', ip: n.ip, target: { router: conn, node: n.ip } }));
  const verifyCalls: { capture: string; opts: any }[] = [];
  const { rotation } = ciliumWithRotation('cilium', {
    config,
    plan,
    provider: new k8s.Provider('k8s', { kubeconfig: 'apiVersion: v1' }),
    controlPlane: nodes[0].target,
    dependsOn: [],
    router: { router: conn },
    nodes,
    root: ROOT,
    rotationVerify: async (capture, opts) => {
      verifyCalls.push({ capture, opts });
      return verifyWith ? verifyWith(capture, opts) : switchedReport();
    },
  });
  const base = pulumi.output({ pass: true, failures: [] as string[] });
  const verification = await new Promise<any>((resolve) => withRotation(base, rotation?.result).apply(resolve));
  // Let every registration (apply-created ones included) land.
  let n = -1;
  while (n !== recs.length) {
    n = recs.length;
    await new Promise((res) => setTimeout(res, 300));
  }
  for (const r of recs) r.deps = deps.get(r.name) ?? [];
  return { recs: [...recs], verification, verifyCalls };
}

const RECORD_AT_3 = 'key_id=3\nkey_bytes=20\nrotation=none\n';
const triggersOf = (r: Rec) => ((unwrap(r.inputs.triggers) as unknown[]) ?? []).map(unwrap);

describe('key rotation (mocks)', function () {
  this.timeout(60000);
  const byName = (rs: Rec[], n: string) => {
    const r = rs.find((x) => x.name === n);
    assert.ok(r, `resource ${n} exists (have: ${rs.map((x) => x.name).join(' ')})`);
    return r;
  };
  before(() => {
    fs.mkdirSync(path.join(ROOT, 'captures', STACK), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'captures', STACK, '1-rotation.pcap'), 'placeholder: the verifier is replaced in this test');
  });
  beforeEach(() => fs.rmSync(PENDING, { force: true }));
  after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

  it('a first up (no earlier key) takes no rotation step and exports no rotation verdict', async () => {
    const r = await build('');
    assert.ok(!r.recs.some((x) => /^cilium-rotation-(capture|traffic|new-key|xfrm|facts|nonce)/.test(x.name)), r.recs.map((x) => x.name).join(' '));
    assert.strictEqual(r.verification.rotation, undefined);
    assert.strictEqual(r.verifyCalls.length, 0);
    byName(r.recs, 'cilium-ipsec-secret');
    assert.ok(!fs.existsSync(PENDING), 'no window noted');
  });

  describe('a raised key id (rotation 3 -> 4)', () => {
    let r: Awaited<ReturnType<typeof build>>;
    before(async () => {
      fs.rmSync(PENDING, { force: true });
      r = await build(RECORD_AT_3);
    });

    it('orders capture start -> traffic start -> Secret update -> new-key wait -> traffic stop -> capture stop -> fetch', () => {
      const chain = [
        'cilium-rotation-capture-start',
        'cilium-rotation-traffic-start',
        'cilium-ipsec-secret',
        'cilium-rotation-new-key-wait',
        'cilium-rotation-traffic-stop',
        'cilium-rotation-capture-stop',
        'cilium-rotation-capture-fetch',
      ];
      for (let i = 1; i < chain.length; i++) {
        const later = byName(r.recs, chain[i]);
        const earlier = byName(r.recs, chain[i - 1]);
        assert.ok(later.deps.includes(chain[i - 1]), `${chain[i]} depends on ${chain[i - 1]} (deps: ${later.deps.join(', ')})`);
        assert.ok(later.order > earlier.order, `${chain[i]} registered after ${chain[i - 1]}`);
      }
      // The old keys are read before the Secret changes, the new ones after the wait.
      assert.ok(byName(r.recs, 'cilium-ipsec-secret').deps.includes('cilium-rotation-xfrm-before-worker1'));
      assert.ok(byName(r.recs, 'cilium-rotation-xfrm-after-worker2').deps.includes('cilium-rotation-new-key-wait'));
      // The ordinary readiness wait (and so the ordinary capture) comes after the rotation.
      assert.ok(byName(r.recs, 'cilium-ipsec-ready').deps.includes('cilium-rotation-capture-fetch'));
      // The key's bytes and the Secret change only once the record accepted the key id.
      assert.ok(byName(r.recs, 'cilium-ipsec-bytes').deps.includes('cilium-ipsec-key-id'));
      assert.ok(byName(r.recs, 'cilium-ipsec-secret').deps.includes('cilium-ipsec-key-id'));
    });

    it('the wait asks every node for SAs with the new SPI in both directions, SAs only, and for the switch of the traffic; the traffic carries the nonce', () => {
      const wait = byName(r.recs, 'cilium-rotation-new-key-wait');
      assert.strictEqual(scriptOf(wait.inputs.create), 'ipsec-wait.sh');
      const we = envOf(unwrap(wait.inputs.stdin));
      assert.deepStrictEqual([we.KEY_ID, we.SAS_ONLY, we.EXPECTED_NODES], ['4', '1', 'control-plane worker1 worker2']);
      // ... and until the window's traffic (client on worker1, server on worker2) left the old SPI.
      assert.deepStrictEqual([we.PREVIOUS_KEY_ID, we.TRAFFIC_NODES], ['3', 'worker1 worker2']);
      const start = envOf(unwrap(byName(r.recs, 'cilium-rotation-traffic-start').inputs.stdin));
      assert.deepStrictEqual([start.ACTION, start.NONCE], ['start', 'lab-r0tat10nn0nc']);
      const cap = envOf(unwrap(byName(r.recs, 'cilium-rotation-capture-start').inputs.stdin));
      assert.match(cap.CAPTURE_FILE, /\/rot-mock-rotation-3-4-lab-r0tat10nn0nc\.pcap$/);
      const fetchEnv = unwrap(byName(r.recs, 'cilium-rotation-capture-fetch').inputs.environment) as Record<string, string>;
      assert.strictEqual(fetchEnv.LOCAL_FILE, path.join(ROOT, 'captures', STACK, '1-rotation.pcap'));
      for (const x of r.recs.filter((x) => x.name.startsWith('cilium-rotation-') && x.type === 'command:remote:Command')) {
        assert.ok(triggersOf(x).includes('3:4'), `${x.name} is keyed on the rotation`);
      }
    });

    it('verifies with the rotation expectation between the client and server nodes, both key generations and the nonce; verification.rotation carries the verdict', () => {
      assert.strictEqual(r.verifyCalls.length, 1);
      const { capture, opts } = r.verifyCalls[0];
      assert.strictEqual(capture, path.join(ROOT, 'captures', STACK, '1-rotation.pcap'));
      assert.deepStrictEqual(opts.rotation, { from: 3, to: 4, between: ['192.168.211.128', '10.0.1.124', '192.168.44.128'] });
      assert.strictEqual(opts.nonce, 'lab-r0tat10nn0nc');
      assert.strictEqual(opts.xfrmFiles, undefined, 'no key reaches a file');
      assert.strictEqual(opts.xfrm.length, 4, 'xfrm state of both workers, before and after');
      const rot = r.verification.rotation;
      assert.strictEqual(rot.from, 3);
      assert.deepStrictEqual(rot.verifierArgs.slice(-4), ['--rotation', '3:4', '--rotation-between', '192.168.211.128,10.0.1.124,192.168.44.128']);
      assert.strictEqual(rot.to, 4);
      assert.deepStrictEqual(rot.traffic, { pingTransmitted: 300, pingReceived: 298, pingLost: 2, httpTotal: 60, httpAnswered: 60 });
      assert.ok(rot.warnings.some((w: string) => /2 of 300 pings were lost/.test(w)));
      // worker2's XfrmInNoStates grew 0 -> 5: a drop, the rotation fails; XfrmInError is tolerated (Cilium docs).
      assert.deepStrictEqual(rot.xfrmErrorsGrown, { worker2: { XfrmInNoStates: [0, 5] } });
      assert.ok(Object.keys(rot.xfrmErrorsTolerated).length === 3 && rot.xfrmErrorsTolerated.worker1.XfrmInError);
      assert.strictEqual(rot.pass, false);
      assert.deepStrictEqual(rot.failures, ['node worker2: XFRM error counter XfrmInNoStates grew from 0 to 5 during the rotation (packets dropped)']);
      assert.strictEqual(r.verification.pass, false, 'a failed rotation fails the stack verification');
      assert.match(r.verification.failures[0], /^rotation 3 -> 4: node worker2: XFRM error counter XfrmInNoStates/);
      assert.ok(!JSON.stringify(r.verification).includes('0x00000004 reqid'), 'no xfrm text in the output');
    });

    it('the window noted by the record is cleared once its pcap is fetched', () => {
      assert.ok(!fs.existsSync(PENDING), fs.existsSync(PENDING) ? fs.readFileSync(PENDING, 'utf8') : '');
    });
  });

  it('a window that never finished is started again by the next up: capture, traffic and the nonce re-keyed on the next attempt', async () => {
    // The earlier up: the record started window 1 (and noted it), then failed before the fetch.
    const failedUp = 'key_id=4\nkey_bytes=20\nrotation=3:4\nattempt=1\n';
    fs.mkdirSync(path.dirname(PENDING), { recursive: true });
    fs.writeFileSync(PENDING, 'rotation=3:4\nattempt=1\n');
    const r = await build(failedUp);
    const record = byName(r.recs, 'cilium-ipsec-key-id');
    assert.strictEqual((unwrap(record.inputs.environment) as Record<string, string>).RETRY, '1', 'the program hands the record the unfinished attempt');
    const steps = r.recs.filter((x) => x.name.startsWith('cilium-rotation-') && x.type === 'command:remote:Command');
    for (const name of ['cilium-rotation-capture-start', 'cilium-rotation-traffic-start', 'cilium-rotation-capture-stop', 'cilium-rotation-new-key-wait']) byName(steps, name);
    for (const x of steps) assert.ok(triggersOf(x).includes('3:4 attempt 2'), `${x.name} is keyed on the new attempt: ${JSON.stringify(triggersOf(x))}`);
    const nonce = byName(r.recs, 'cilium-rotation-nonce');
    assert.deepStrictEqual(unwrap(nonce.inputs.keepers), { rotation: '3:4 attempt 2' }, 'a new nonce: the window is a new one');
    assert.strictEqual(r.verifyCalls.length, 1);
    assert.ok(!fs.existsSync(PENDING), 'the new window finished: nothing to retry');
    // With no note left, a later up hands no RETRY: the record keeps attempt 2 and no step changes.
    const later = await build('key_id=4\nkey_bytes=20\nrotation=3:4\nattempt=2\n');
    assert.strictEqual((unwrap(byName(later.recs, 'cilium-ipsec-key-id').inputs.environment) as Record<string, string>).RETRY, undefined);
    assert.deepStrictEqual(triggersOf(byName(later.recs, 'cilium-rotation-capture-start')), triggersOf(byName(r.recs, 'cilium-rotation-capture-start')));
  });

  describe('with the real verifier on rotation captures made by scapy (scripts/fixtures/make-fixtures.py)', () => {
    const FIX = path.join(REPO, 'test', 'fixtures', 'captures');
    // The fixtures carry their own nonce; the lab's options go to the verifier as they are, except that one.
    const fixtureNonce = 'cilab-nonce-5e1f0a9c';
    const onFixture = (name: string): VerifyFn => (_capture, opts) => verifyCapture(path.join(FIX, `${name}.pcap`), { ...opts, nonce: fixtureNonce });
    const useFixture = (name: string) => {
      scene = { grow: false, xfrmBefore: fs.readFileSync(path.join(FIX, `${name}.before.xfrm`), 'utf8'), xfrmAfter: fs.readFileSync(path.join(FIX, `${name}.after.xfrm`), 'utf8') };
    };
    afterEach(() => {
      scene = { grow: true, xfrmBefore: '', xfrmAfter: '' };
    });

    it('a rotation done as Cilium does it passes: both SPIs, each direction switched, both generations decrypted with the xfrm states read before and after', async () => {
      useFixture('rotation-good');
      const r = await build(RECORD_AT_3, onFixture('rotation-good'));
      const rot = r.verification.rotation;
      assert.deepStrictEqual(rot.failures, []);
      assert.strictEqual(rot.pass, true);
      assert.deepStrictEqual(rot.spis, [3, 4]);
      assert.strictEqual(rot.directions.length, 2);
      for (const d of rot.directions) assert.ok(d.lastOld !== null && d.firstNew !== null && d.switched, JSON.stringify(d));
      assert.ok(rot.directions.some((d: { oldAfterSwitch: number }) => d.oldAfterSwitch === 1), 'the old-SPI packet in flight after the switch is reported');
      assert.ok(rot.decryption.from.ok > 0 && rot.decryption.to.ok > 0 && rot.decryption.from.failed + rot.decryption.to.failed === 0, JSON.stringify(rot.decryption));
      assert.ok(rot.nonce.decryptedHits > 0);
      assert.deepStrictEqual(rot.xfrmErrorsTolerated.worker1, { XfrmInError: [0, 1] });
      assert.strictEqual(r.verification.pass, true);
    });

    it('a rotation that left a cleartext gap fails, with the window and its time range, and the nonce in clear', async () => {
      useFixture('rotation-cleartext-gap');
      const r = await build(RECORD_AT_3, onFixture('rotation-cleartext-gap'));
      const f: string[] = r.verification.rotation.failures;
      assert.ok(f.includes('rotation: 10 cleartext pod packets in 1 window (2025-11-26T00:00:04.000Z .. 2025-11-26T00:00:05.602Z: 10)'), f.join('\n'));
      assert.ok(f.includes('rotation: nonce seen in cleartext in 10 frames'), f.join('\n'));
      assert.strictEqual(r.verification.pass, false);
    });

    it('a rotation that never happened fails, naming each direction that never switched', async () => {
      useFixture('rotation-none');
      const r = await build(RECORD_AT_3, onFixture('rotation-none'));
      const f: string[] = r.verification.rotation.failures;
      assert.deepStrictEqual(f.slice(0, 3), [
        'rotation 3 -> 4: the new SPI 4 carried no traffic between 192.168.211.128, 10.0.1.124, 192.168.44.128: the rotation did not happen in this capture',
        'rotation: 192.168.211.128 -> 192.168.44.128 never switched: 25 packets with SPI 3, none with 4',
        'rotation: 192.168.44.128 -> 192.168.211.128 never switched: 25 packets with SPI 3, none with 4',
      ]);
      assert.strictEqual(r.verification.pass, false);
    });
  });
});
