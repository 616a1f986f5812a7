/**
 * What stands on the lab's machines, under mocks (the whole program, as a preview):
 * - editing a script under scripts/vm/ never changes a VM's definition (seed, disk, domain): only the
 *   commands that run that script see the edit;
 * - rebuilding a VM (a new disk) changes the machines' generation, the Kubernetes Provider's
 *   clusterIdentifier and the machines' token; a reboot (new boot ids) changes the token, and with it the
 *   nonce (so every capture step), Cilium's readiness waits and the pods, nothing else;
 * - a disk replaced for any reason replaces its domain (replaceWith), and what runs on the machines is
 *   deleted with them (deletedWith), so `down` reaches for no machine;
 * - the host preflight answers before the pool and the networks are registered.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- mock resource inputs are untyped JSON */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { BOOT_IDS, runProgram, unwrap, type Rec, type RunOptions } from './program-mocks';
import { stackConfig, repoRoot } from './helpers';
import { machinesToken, parseBootIds } from '../../components/machines';
import { scriptOf } from '../helpers/script-command';

const VM_DIR = path.join(repoRoot, 'scripts/vm');

/** Runs the program with every read of a scripts/vm file returning its text plus `extra` (when the path matches). */
async function withScriptEdit<T>(match: RegExp, extra: string, f: () => Promise<T>): Promise<T> {
  // The module object itself: the components read it through TypeScript's import helpers, which look
  // the function up on it at every call.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeFs = require('fs') as typeof fs;
  const orig = nodeFs.readFileSync;
  (nodeFs as any).readFileSync = function (p: any, ...rest: any[]) {
    const text = (orig as any).call(nodeFs, p, ...rest);
    const file = String(p);
    if (typeof text === 'string' && file.startsWith(VM_DIR + path.sep) && match.test(path.basename(file))) return `${text}\n${extra}\n`;
    return text;
  };
  try {
    return await f();
  } finally {
    (nodeFs as any).readFileSync = orig;
  }
}

async function run(config: Record<string, string> = stackConfig('ipsec'), opts: RunOptions = {}) {
  return runProgram('ipsec', config, new Set(), opts);
}

/** The libvirt objects of the VMs: seeds, disks (overlays and the base volume), domains, networks, pool. */
const vmDefinitions = (recs: Rec[]) =>
  recs
    .filter((r) => r.type === 'command:local:Command' && /scripts\/host\/(seed|volume|domain|network|pool)\.sh/.test(r.inputs.create))
    .map((r) => ({ name: r.name, inputs: r.inputs, replaceWith: r.replaceWith }));
const byName = (recs: Rec[], name: string) => {
  const r = recs.find((x) => x.name === name);
  assert.ok(r, `resource ${name} exists`);
  return r;
};

describe('what stands on the lab machines (program under mocks)', function () {
  this.timeout(180000);
  let base: { recs: Rec[]; mod: any };
  before(async () => {
    base = await run();
  });

  it('a comment in any scripts/vm file changes no seed, disk, domain, network or pool input', async () => {
    const scripts = fs.readdirSync(VM_DIR).filter((f) => f.endsWith('.sh'));
    assert.ok(scripts.includes('lib.sh') && scripts.includes('node-setup.sh') && scripts.includes('router-setup.sh'));
    const edited = await withScriptEdit(/\.sh$/, '# a comment added by the test', () => run());
    const before = vmDefinitions(base.recs);
    assert.strictEqual(before.length, 4 * 3 + 1 + 3 + 1, 'seeds, overlays and domains of four VMs, the base volume, three networks, the pool');
    assert.deepStrictEqual(vmDefinitions(edited.recs), before);
    // The edit does reach the commands that run the scripts (they re-run), and nothing decides a rebuild.
    const stdin = (recs: Rec[], name: string) => byName(recs, name).inputs.stdin;
    assert.notStrictEqual(stdin(edited.recs, 'cluster-worker1-setup'), stdin(base.recs, 'cluster-worker1-setup'));
    assert.notStrictEqual(stdin(edited.recs, 'router-setup'), stdin(base.recs, 'router-setup'));
    const k8s = (recs: Rec[]) => byName(recs, 'cluster-k8s').inputs.clusterIdentifier;
    assert.strictEqual(k8s(edited.recs), k8s(base.recs));
    assert.deepStrictEqual(await unwrap(edited.mod.machines), await unwrap(base.mod.machines));
  });

  it('a comment in node-setup.sh re-runs node-setup only: not the Kubernetes install, kubeadm or the router', async () => {
    const edited = await withScriptEdit(/^node-setup\.sh$/, '# a comment added by the test', () => run());
    const changed = edited.recs
      .filter((r) => r.type === 'command:remote:Command')
      .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(byName(base.recs, r.name).inputs))
      .map((r) => `${r.name}:${scriptOf(r.inputs.create)}`);
    assert.deepStrictEqual(changed.sort(), ['cluster-control-plane-setup:node-setup.sh', 'cluster-worker1-setup:node-setup.sh', 'cluster-worker2-setup:node-setup.sh']);
  });

  it('the seeds carry no script: the node setup runs after boot, before the Kubernetes install', () => {
    for (const r of base.recs.filter((x) => x.type === 'command:local:Command' && /seed\.sh/.test(x.inputs.create))) {
      assert.ok(!r.inputs.environment.USER_DATA.includes('LAB_SSH_OPTIONS'), `${r.name} carries lib.sh`);
      assert.ok(!/runcmd/.test(r.inputs.environment.USER_DATA), `${r.name} runs something at boot`);
    }
    for (const n of ['control-plane', 'worker1', 'worker2']) {
      const setup = byName(base.recs, `cluster-${n}-setup`);
      assert.strictEqual(scriptOf(setup.inputs.create), 'node-setup.sh');
      assert.ok(setup.deps.includes(`cluster-${n}-ready`), `${n}: setup after the node answers`);
      assert.ok(byName(base.recs, `cluster-${n}-kube`).deps.includes(`cluster-${n}-setup`), `${n}: install after the setup`);
    }
    const routerSetup = byName(base.recs, 'router-setup');
    assert.strictEqual(scriptOf(routerSetup.inputs.create), 'router-setup.sh');
    assert.ok(routerSetup.deps.includes('router-cloud-init'));
    assert.ok(byName(base.recs, 'cluster-worker1-ready').deps.includes('router-setup'), 'the nodes need the router set up (NAT) first');
  });

  it('a rebuilt VM changes the generation, the clusterIdentifier and the token; its domain goes with its disk', async () => {
    const cfg = stackConfig('ipsec');
    const bigger = await run({ ...cfg, 'lab:controlPlaneDiskGiB': String(Number(cfg['lab:controlPlaneDiskGiB']) + 4) });
    const disk = (recs: Rec[]) => byName(recs, 'cluster-control-plane-disk').inputs.environment.VOL_XML;
    assert.notStrictEqual(disk(bigger.recs), disk(base.recs), 'the disk definition changed');
    const m0 = await unwrap(base.mod.machines);
    const m1 = await unwrap(bigger.mod.machines);
    assert.match(m0.generation, /^[0-9a-f]{16}$/);
    assert.notStrictEqual(m1.generation, m0.generation);
    assert.deepStrictEqual(m1.bootIds, m0.bootIds);
    assert.notStrictEqual(machinesToken(m1.generation, m1.bootIds), machinesToken(m0.generation, m0.bootIds));
    const id = (recs: Rec[]) => byName(recs, 'cluster-k8s').inputs.clusterIdentifier;
    assert.match(id(base.recs), /^[0-9a-f]{16}$/);
    assert.notStrictEqual(id(bigger.recs), id(base.recs));
    // The node commands that stand on the rebuilt VM carry its generation in their triggers.
    const trig = (recs: Rec[], n: string) => JSON.stringify(byName(recs, n).inputs.triggers);
    for (const n of ['cluster-control-plane-ready', 'cluster-control-plane-setup', 'cluster-control-plane-kube', 'cluster-init']) {
      assert.notStrictEqual(trig(bigger.recs, n), trig(base.recs, n), n);
    }
    for (const n of ['cluster-worker1-join', 'cluster-worker2-kube', 'router-setup']) assert.strictEqual(trig(bigger.recs, n), trig(base.recs, n), `${n}: the other VMs stay`);
    for (const vm of ['router-vm', 'cluster-control-plane', 'cluster-worker1', 'cluster-worker2']) {
      assert.deepStrictEqual(byName(base.recs, `${vm}-domain`).replaceWith.sort(), [`${vm}-disk`, `${vm}-seed`], vm);
    }
  });

  it('a reboot (new boot ids) changes the token, which renews the nonce, the readiness waits and the pods only; the same boots keep it', async () => {
    const rebooted = await run(undefined, { bootIds: { ...BOOT_IDS, worker1: '0b6a2f1e-3333-4c6e-9d1e-5a7f3c2b9999' } });
    const again = await run();
    const token = async (mod: any) => {
      const m = await unwrap(mod.machines);
      return machinesToken(m.generation, m.bootIds);
    };
    assert.notStrictEqual(await token(rebooted.mod), await token(base.mod));
    assert.strictEqual(await token(again.mod), await token(base.mod));
    // What a boot renews, and nothing else: the nonce (every capture step has it in its triggers) and
    // Cilium's readiness waits take the token as an input, the pods as their replacementTrigger.
    const inputs = (r: { recs: Rec[] }) => new Map(r.recs.map((x) => [x.name, JSON.stringify(x.inputs)]));
    const [b, a] = [inputs(base), inputs(rebooted)];
    const changed = [...a.keys()].filter((n) => a.get(n) !== b.get(n)).sort();
    assert.deepStrictEqual(changed, ['cilium-ipsec-ready', 'cilium-ready', 'proof-nonce']);
    for (const pod of ['proof-server', 'proof-client']) {
      const [t0, t1] = [byName(base.recs, pod).options?.replacementTrigger, byName(rebooted.recs, pod).options?.replacementTrigger];
      assert.strictEqual(t0, await token(base.mod), `${pod}: the token is its replacementTrigger`);
      assert.strictEqual(t1, await token(rebooted.mod), `${pod}: a boot replaces it`);
    }
  });

  it('what runs on the machines is deleted with them: Kubernetes objects with the control-plane, remote commands with the router', () => {
    const under = base.recs.filter((r) => /^(cilium|proof)-/.test(r.name));
    const k8s = under.filter((r) => r.type.startsWith('kubernetes:'));
    const remote = under.filter((r) => r.type === 'command:remote:Command');
    assert.ok(k8s.some((r) => r.type === 'kubernetes:helm.sh/v3:Release') && k8s.length >= 4, k8s.map((r) => r.name).join(' '));
    assert.ok(remote.some((r) => r.name === 'proof-capture-start'), remote.map((r) => r.name).join(' '));
    for (const r of k8s) assert.strictEqual(r.deletedWith, 'cluster-control-plane-domain', r.name);
    for (const r of remote) assert.strictEqual(r.deletedWith, 'router-vm-domain', r.name);
    // The machines' own commands are not: deleting a domain must not wait for itself.
    assert.strictEqual(byName(base.recs, 'cluster-init').deletedWith, undefined);
  });

  it('the host preflight answers before the pool and the networks are registered', async () => {
    // A slow answer: without the wait, the pool and the networks would register long before it.
    const events: string[] = [];
    const { recs } = await run(undefined, { events, preflightDelayMs: 1500 });
    const at = (e: string) => {
      const i = events.indexOf(e);
      assert.ok(i >= 0, `${e} in ${events.join(' | ')}`);
      return i;
    };
    const answered = at('answered bash scripts/host/preflight.sh');
    for (const n of ['net-pool', 'net-seg1', 'net-seg2', 'net-uplink']) assert.ok(at(`registered ${n}`) > answered, `${n} registered before the preflight answered`);
    assert.ok(at('registered keys-ssh') < answered, 'what is not on the libvirt host need not wait');
    assert.ok(events.some((e) => /^answered bash scripts\/host\/router-run\.sh$/.test(e)), 'the boot ids are read');
    assert.ok(recs.length > 40);
  });
});

describe('parseBootIds', () => {
  const id = (n: number) => `0b6a2f1e-0000-4c6e-9d1e-5a7f3c2b000${n}`;
  it('reads one id per machine, in the expected order', () => {
    assert.deepStrictEqual(parseBootIds(`boot.worker1=${id(2)}\nnoise\nboot.router=${id(1)}\n`, ['router', 'worker1']), { router: id(1), worker1: id(2) });
  });
  it('refuses a missing machine, naming it, and a machine read twice', () => {
    assert.throws(() => parseBootIds(`boot.router=${id(1)}\n`, ['router', 'worker2']), /no boot id for worker2/);
    assert.throws(() => parseBootIds('', ['router']), /no boot id for router/);
    assert.throws(() => parseBootIds(`boot.router=${id(1)}\nboot.router=${id(2)}\n`, ['router']), /router twice/);
  });
});
