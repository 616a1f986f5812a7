/**
 * The whole program under pulumi.runtime.setMocks, for the dev, unencrypted, ipsec and wireguard stacks.
 * Mocks are set first, then index.ts is imported (pulumi/examples testing-unit-ts: the program must
 * see the mocks when it runs). Dependencies are recorded with a stack transformation (mocks do not see
 * dependsOn).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- mock resource inputs and outputs are untyped JSON; the checks read them loosely */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { stackConfig } from './helpers';
import { envOf } from '../helpers/script-command';
import { PRIV_PEM, runProgram, unwrap, type Rec } from './program-mocks';
import { xfrmToleranceEnv } from '../../components/proof/xfrm-counters';

const secretValues = new Set<any>();

/** The names of everything a resource depends on, directly or through what it depends on. */
function dependencyClosure(r: { recs: Rec[] }, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const d of r.recs.find((x) => x.name === n)?.deps ?? []) {
      if (!seen.has(d)) {
        seen.add(d);
        visit(d);
      }
    }
  };
  visit(name);
  return seen;
}

/** Resources registered in both runs whose inputs differ (the same name, as the engine would diff them). */
function changedBetween(a: { recs: Rec[] }, b: { recs: Rec[] }): string[] {
  const inputs = (r: { recs: Rec[] }, n: string) => JSON.stringify(r.recs.find((x) => x.name === n)?.inputs);
  return b.recs.filter((x) => a.recs.some((y) => y.name === x.name) && inputs(a, x.name) !== inputs(b, x.name)).map((x) => x.name);
}

describe('the Pulumi program under mocks', function () {
  this.timeout(120000);
  const results: Record<string, { recs: Rec[]; mod: any }> = {};
  before(async () => {
    for (const s of ['dev', 'unencrypted', 'ipsec', 'wireguard']) {
      results[s] = await runProgram(s, stackConfig(s), secretValues);
    }
  });

  const cmds = (s: string, re: RegExp) => results[s].recs.filter((r) => r.type === 'command:local:Command' && re.test(r.inputs.create));

  for (const stack of ['dev', 'unencrypted', 'ipsec', 'wireguard']) {
    it(`${stack}: networks, pool, base volume, seeds, overlays and four domains with stack-prefixed names`, () => {
      const nets = cmds(stack, /network\.sh create/).map((r) => r.inputs.environment.NET_NAME).sort();
      assert.deepStrictEqual(nets, [`cil-${stack}-seg1`, `cil-${stack}-seg2`, `cil-${stack}-uplink`]);
      assert.deepStrictEqual(cmds(stack, /pool\.sh create/).map((r) => r.inputs.environment.POOL_NAME), [`cil-${stack}-pool`]);
      const vols = cmds(stack, /volume\.sh (upload|create)/).map((r) => r.inputs.environment.VOL_NAME).sort();
      assert.deepStrictEqual(vols, [`cil-${stack}-base.qcow2`, ...['control-plane', 'router', 'worker1', 'worker2'].map((v) => `cil-${stack}-${v}.qcow2`)].sort());
      const seeds = cmds(stack, /seed\.sh create/).map((r) => r.inputs.environment.VOL_NAME).sort();
      assert.deepStrictEqual(seeds, ['control-plane', 'router', 'worker1', 'worker2'].map((v) => `cil-${stack}-${v}-seed.iso`));
      const doms = cmds(stack, /domain\.sh create/).map((r) => r.inputs.environment.DOMAIN_NAME).sort();
      assert.deepStrictEqual(doms, ['control-plane', 'router', 'worker1', 'worker2'].map((v) => `cil-${stack}-${v}`));
      for (const r of cmds(stack, /./).filter((x) => !x.name.startsWith('proof-'))) {
        assert.ok(r.inputs.create.startsWith('bash scripts/host/'), `${r.name}: ${r.inputs.create}`);
        for (const [k, v] of Object.entries(r.inputs.environment ?? {})) {
          if (/_NAME$/.test(k)) assert.ok(String(v).startsWith(`cil-${stack}-`), `${r.name} ${k}=${v}`);
        }
      }
    });

    it(`${stack}: cloud-init per role in the seeds (router gets the private key, nodes do not; no script in any)`, () => {
      for (const r of cmds(stack, /seed\.sh create/)) {
        const ud: string = r.inputs.environment.USER_DATA;
        assert.ok(ud.startsWith('#cloud-config'), r.name);
        assert.strictEqual(ud.includes('OPENSSH-PRIVATE'), /router/.test(r.inputs.environment.VOL_NAME), r.name);
        assert.ok(!ud.includes('LAB_SSH_OPTIONS') && !ud.includes('runcmd'), `${r.name}: the setup scripts run as commands after boot`);
        assert.match(r.inputs.environment.NETWORK_CONFIG, /^version: 2/);
      }
    });

    it(`${stack}: kubeadm init/join on the nodes through the router, Cilium Release pinned from helm.cilium.io`, () => {
      const remote = results[stack].recs.filter((r) => r.type === 'command:remote:Command');
      const init = remote.find((r) => r.name === 'cluster-init');
      assert.ok(init, 'cluster-init exists');
      assert.match(init.inputs.create, /^ssh .* lab@192\.168\.\d+\.10 'sudo -n bash -s -- create kubeadm-init\.sh'$/);
      assert.ok(envOf(init.inputs.stdin).KUBEADM_CONFIG.includes('addon/kube-proxy'));
      assert.ok(remote.find((r) => r.name === 'cluster-worker1-join') && remote.find((r) => r.name === 'cluster-worker2-join'));
      assert.strictEqual(init.inputs.connection.user, 'lab');
      const rel = results[stack].recs.find((r) => r.type === 'kubernetes:helm.sh/v3:Release');
      assert.ok(rel);
      assert.strictEqual(rel.inputs.chart, 'cilium');
      assert.strictEqual(rel.inputs.version, '1.18.12');
      assert.strictEqual(rel.inputs.repositoryOpts.repo, 'https://helm.cilium.io');
      assert.strictEqual(rel.inputs.namespace, 'kube-system');
    });

    it(`${stack}: no secret value (CA key, bootstrap token, IPsec key, kubeconfig, any secret input) in any command text`, async () => {
      const recs = results[stack].recs;
      const commands = recs.filter((r) => r.type.startsWith('command:'));
      const texts = commands.flatMap((r) => ['create', 'delete', 'update'].map((k) => [`${r.name}.${k}`, r.inputs[k]] as const)).filter(([, t]) => typeof t === 'string');
      const init = envOf(recs.find((r) => r.name === 'cluster-init')?.inputs.stdin);
      const join = envOf(recs.find((r) => r.name === 'cluster-worker1-join')?.inputs.stdin);
      const named: Record<string, string> = {
        'CA key': init.CA_KEY,
        'bootstrap token': 'abcdef.abcdefghijklmnop',
        kubeconfig: await unwrap(results[stack].mod.kubeconfig),
      };
      const ipsec = recs.find((r) => r.type === 'kubernetes:core/v1:Secret' && r.inputs.metadata?.name === 'cilium-ipsec-keys');
      if (ipsec) named['IPsec key'] = ipsec.inputs.stringData.keys;
      // The values really reach the scripts (through stdin): the check below has something to find.
      assert.strictEqual(named['CA key'], PRIV_PEM);
      assert.ok(init.KUBEADM_CONFIG.includes(named['bootstrap token']) && join.KUBEADM_CONFIG.includes(named['bootstrap token']));
      const secrets = Object.entries(named).concat(
        [...secretValues].filter((v): v is string => typeof v === 'string' && v.length >= 16).map((v) => ['a secret input', v]),
      );
      assert.ok(texts.length > 20, `${texts.length} command texts`);
      for (const [where, text] of texts) {
        for (const [what, v] of secrets) {
          assert.ok(!text.includes(v) && !text.includes(v.split('\n').find((l) => l.length >= 16) ?? v), `${what} in ${where}`);
        }
      }
    });

    it(`${stack}: outputs encryption, ciliumVersion, kubeconfig (secret), router, nodes`, async () => {
      const m = results[stack].mod;
      assert.strictEqual(m.encryption, stack === 'ipsec' || stack === 'wireguard' ? stack : 'none');
      assert.strictEqual(m.ciliumVersion, '1.18.12');
      assert.ok(await pulumi.isSecret(m.kubeconfig), 'kubeconfig is secret');
      const kc = await unwrap(m.kubeconfig);
      assert.match(kc, /server: https:\/\/192\.168\.\d+\.2:6443/);
      const router = await unwrap(m.router);
      assert.deepStrictEqual(router.interfaces.map((i: any) => i.name), ['uplink', 'seg1', 'seg2']);
      assert.ok(m.nodes);
    });
  }

  it('the Release values differ between the stacks only where encryption does', () => {
    const v = (s: string) => results[s].recs.find((r) => r.type === 'kubernetes:helm.sh/v3:Release')!.inputs.values;
    const strip = (x: any) => ({ ...x, encryption: null, k8sServiceHost: null });
    assert.deepStrictEqual(strip(v('unencrypted')), strip(v('ipsec')));
    assert.deepStrictEqual(v('unencrypted').encryption, { enabled: false });
    assert.strictEqual(v('ipsec').encryption.enabled, true);
    assert.strictEqual(v('ipsec').encryption.type, 'ipsec');
    assert.deepStrictEqual(strip(v('unencrypted')), strip(v('wireguard')));
    assert.deepStrictEqual(v('wireguard').encryption, { enabled: true, type: 'wireguard', nodeEncryption: false });
  });

  it('every stack records its encryption mode before the Release, which depends on the record', () => {
    for (const s of ['dev', 'unencrypted', 'ipsec', 'wireguard']) {
      const rec = results[s].recs.find((r) => r.name === 'cilium-mode');
      assert.ok(rec, s);
      assert.strictEqual(rec.inputs.create, 'bash scripts/host/encryption-mode.sh');
      assert.strictEqual(rec.inputs.update, rec.inputs.create, 'the update sees the previous mode in PULUMI_COMMAND_STDOUT');
      assert.deepStrictEqual(rec.inputs.environment, { LAB_ENCRYPTION: s === 'dev' || s === 'unencrypted' ? 'none' : s });
      assert.ok(!('triggers' in rec.inputs) || rec.inputs.triggers === undefined, 'a trigger would replace the record and lose the previous mode');
    }
    assert.ok(pendingDepsOf(results.wireguard, 'cilium-release').includes('cilium-mode'));
    assert.ok(pendingDepsOf(results.ipsec, 'cilium-ipsec-secret').includes('cilium-ipsec-key-id'));
    assert.ok(pendingDepsOf(results.ipsec, 'cilium-ipsec-key-id').includes('cilium-mode'));
  });

  it('ipsec: a first up (the key record says rotation=none) has no rotation steps; IPsec (and WireGuard) readiness waits before the proof', () => {
    assert.ok(!results.ipsec.recs.some((r) => /^cilium-rotation-(capture|traffic|new-key|xfrm|facts|nonce)/.test(r.name)), 'no rotation steps');
    for (const s of ['dev', 'unencrypted', 'wireguard']) assert.ok(!results[s].recs.some((r) => /rotation|ipsec-ready/.test(r.name)), s);
    const wgReady = results.wireguard.recs.find((r) => r.name === 'cilium-wireguard-ready');
    assert.ok(wgReady && /wireguard-wait\.sh/.test(wgReady.inputs.create), 'wireguard waits for its peers');
    assert.ok(pendingDepsOf(results.wireguard, 'proof-ns').includes('cilium-wireguard-ready'));
    for (const s of ['dev', 'unencrypted', 'ipsec']) assert.ok(!results[s].recs.some((r) => r.name === 'cilium-wireguard-ready'), s);
    const ready = results.ipsec.recs.find((r) => r.name === 'cilium-ipsec-ready');
    assert.ok(ready);
    assert.match(ready.inputs.create, /ipsec-wait\.sh/);
    assert.strictEqual(envOf(ready.inputs.stdin).KEY_ID, '3');
    assert.strictEqual(envOf(ready.inputs.stdin).EXPECTED_NODES, 'control-plane worker1 worker2');
    assert.deepStrictEqual(envOf(ready.inputs.stdin).TOLERATED_XFRM_COUNTERS, xfrmToleranceEnv().TOLERATED_XFRM_COUNTERS, 'the one list of tolerated XFRM counters');
    assert.ok(pendingDepsOf(results.ipsec, 'cilium-ipsec-ready').includes('cilium-ready'));
    assert.ok(pendingDepsOf(results.ipsec, 'proof-ns').includes('cilium-ipsec-ready'));
  });

  it('the IPsec Secret exists only on ipsec, with the right format, and is secret', async () => {
    for (const s of ['dev', 'unencrypted', 'wireguard']) {
      assert.ok(!results[s].recs.some((r) => r.type === 'kubernetes:core/v1:Secret' && r.inputs.metadata?.name === 'cilium-ipsec-keys'), s);
      assert.ok(!results[s].recs.some((r) => r.name === 'cilium-ipsec-bytes'), s);
    }
    const sec = results.ipsec.recs.find((r) => r.type === 'kubernetes:core/v1:Secret' && r.inputs.metadata?.name === 'cilium-ipsec-keys');
    assert.ok(sec);
    assert.strictEqual(sec.inputs.metadata.namespace, 'kube-system');
    // A fixed name and only stringData changing: rotation (new SPI -> new key text via keepers) updates it in place.
    assert.strictEqual(sec.inputs.type, 'Opaque');
    assert.deepStrictEqual(Object.keys(sec.inputs.stringData), ['keys']);
    // The key bytes: 40 hex digits from a RandomPassword, the random resource whose id is not its value
    // (keys.ts secretRandomText): only [0-9a-f], none required, a new key for a new SPI.
    const bytes = results.ipsec.recs.find((r) => r.name === 'cilium-ipsec-bytes');
    assert.strictEqual(bytes?.type, 'random:index/randomPassword:RandomPassword');
    assert.deepStrictEqual(
      [bytes!.inputs.length, bytes!.inputs.upper, bytes!.inputs.lower, bytes!.inputs.numeric, bytes!.inputs.special, bytes!.inputs.overrideSpecial],
      [40, false, false, true, true, 'abcdef'],
    );
    assert.deepStrictEqual([bytes!.inputs.minNumeric, bytes!.inputs.minSpecial], [0, 0]);
    assert.deepStrictEqual(bytes!.inputs.keepers, { spi: '3' });
    // Likewise the bootstrap token's secret half; its id half is public.
    assert.strictEqual(results.ipsec.recs.find((r) => r.name === 'keys-token-secret')?.type, 'random:index/randomPassword:RandomPassword');
    assert.match(sec.inputs.stringData.keys, /^3\+ rfc4106\(gcm\(aes\)\) [0-9a-f]{40} 128$/);
    const keys = sec.inputs.stringData.keys;
    assert.ok([...secretValues].some((v) => JSON.stringify(v).includes(keys)), 'the keys value is a secret input');
  });

  it('the Secret is patched in place: its provider sets enableSecretMutable, nothing asks to replace it', () => {
    const sec = results.ipsec.recs.find((r) => r.type === 'kubernetes:core/v1:Secret' && r.inputs.metadata?.name === 'cilium-ipsec-keys');
    assert.ok(sec?.options, 'the Secret registered');
    const providerUrn = sec.options.provider.split('::').slice(0, -1).join('::');
    const provider = results.ipsec.recs.find((r) => r.type === 'pulumi:providers:kubernetes' && providerUrn.endsWith(`::${r.name}`));
    assert.ok(provider, `the Secret's provider ${sec.options.provider} is among the registrations`);
    // pulumi-kubernetes v4.25.0 provider.go reads kubernetes:config:enableSecretMutable; with it, diff.go's
    // forceNewProperties leaves .data/.stringData/.type out of the replacement fields of a Secret.
    assert.strictEqual(provider.inputs.enableSecretMutable, 'true');
    assert.strictEqual(sec.options.deleteBeforeReplace, false);
    assert.deepStrictEqual(sec.options.replaceOnChanges, []);
  });

  it("the key-id record keeps its state from where it used to live (an alias to the rotation component's child)", () => {
    const rec = results.ipsec.recs.find((r) => r.name === 'cilium-ipsec-key-id');
    assert.deepStrictEqual(rec?.options?.aliases.map((a) => [a.name, a.parentUrn.split('::').slice(-2).join('::')]), [
      ['cilium-rotation-key-id', 'lab:cilium:Cilium$lab:proof:IpsecRotation::cilium-rotation'],
    ]);
  });

  describe('a refused change changes nothing: whatever it would change waits for the record that refuses it', () => {
    // Under mocks no record runs, so the program registers what the change would bring; on a real engine the
    // record fails first and nothing that depends on it runs, and the deletions never do (deployment_executor.go).
    const cases: [string, string, Record<string, string>, string, string[]][] = [
      ['ipsec -> wireguard', 'ipsec', { 'lab:encryption': 'wireguard' }, 'cilium-mode', ['proof-nonce', 'cilium-release']],
      ['key id 3 -> 5 (not the next one)', 'ipsec', { 'lab:ipsecKeyId': '5' }, 'cilium-ipsec-key-id', ['proof-nonce', 'cilium-ipsec-bytes', 'cilium-ipsec-secret']],
    ];
    for (const [what, stack, change, record, mustChange] of cases) {
      it(what, async () => {
        const after = await runProgram(stack, { ...stackConfig(stack), ...change });
        const changed = changedBetween(results[stack], after);
        for (const n of mustChange) assert.ok(changed.includes(n), `${n} changes with ${JSON.stringify(change)} (changed: ${changed.join(', ')})`);
        const added = after.recs.filter((x) => !results[stack].recs.some((y) => y.name === x.name)).map((x) => x.name);
        for (const n of [...changed, ...added].filter((x) => x !== record)) {
          assert.ok(dependencyClosure(after, n).has(record), `${n} changes without waiting for ${record}`);
        }
      });
    }
  });

  it('nothing in the VM and cluster graph mentions encryption (switching only upgrades the Release)', () => {
    for (const r of results.ipsec.recs.filter((x) => !/^cilium|^proof/.test(x.name))) {
      const text = JSON.stringify(r.inputs);
      assert.ok(!/rfc4106|"encryption"|ipsecKeyId/.test(text), `${r.name} depends on the encryption settings`);
    }
  });

  it('dependency order: pool/networks -> base volume -> VMs -> router ready -> node setup -> init -> joins, one at a time -> Cilium', () => {
    const deps = (name: string) => pendingDepsOf(results.ipsec, name);
    assert.ok(deps('image-volume').includes('net-pool'));
    assert.ok(deps('image-fetch').includes('net-pool') && deps('image-fetch').includes('net-uplink'), deps('image-fetch').join(', '));
    assert.ok(deps('router-vm-domain').includes('image-volume'));
    assert.ok(deps('router-vm-domain').includes('router-vm-disk') && deps('router-vm-domain').includes('router-vm-seed'));
    assert.ok(deps('router-setup').includes('router-cloud-init'));
    assert.ok(deps('cluster-worker1-ready').includes('router-setup'));
    assert.ok(deps('cluster-worker1-setup').includes('cluster-worker1-ready'));
    assert.ok(deps('cluster-worker1-kube').includes('cluster-worker1-setup'));
    assert.ok(deps('cluster-init').includes('cluster-control-plane-kube'));
    assert.ok(deps('cluster-worker1-join').includes('cluster-init'));
    assert.ok(deps('cluster-worker2-join').includes('cluster-worker1-join') && deps('cluster-worker2-join').includes('cluster-worker2-kube'));
    assert.ok(deps('cluster-k8s').includes('cluster-worker2-join'));
    assert.ok(deps('cilium-release').includes('cilium-ipsec-secret'));
    assert.ok(deps('cilium-ready').includes('cilium-release'));
  });

  it('on a normal host the waits keep their own bounds and the pods the provider\'s default timeout', () => {
    const env = (name: string) => envOf(results.ipsec.recs.find((r) => r.name === name)?.inputs.stdin);
    assert.strictEqual(env('cilium-ready').TIMEOUT_SECONDS, '900');
    assert.strictEqual(env('cilium-ipsec-ready').TIMEOUT_SECONDS, '300');
    const pods = results.ipsec.recs.filter((r) => r.type === 'kubernetes:core/v1:Pod');
    assert.strictEqual(pods.length, 2);
    for (const p of pods) assert.strictEqual(p.options?.createTimeout, '', p.name);
  });
});

describe('the Pulumi program under mocks, offline on a slow emulated host', function () {
  this.timeout(120000);
  let recs: Rec[] = [];
  const chartDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-chart-'));
  before(async () => {
    fs.writeFileSync(path.join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: cilium\nversion: 1.18.4\n');

    // As a stack file would hold the keys; structured values reach the program as JSON text.
    recs = (
      await runProgram('unencrypted', {
        ...stackConfig('unencrypted'),
        'lab:aptSources': JSON.stringify(['deb [trusted=yes] http://192.168.210.1:8080/debian trixie main', 'deb [trusted=yes] http://192.168.210.1:8080/k8s ./']),
        'lab:registryMirrors': JSON.stringify({ 'registry.k8s.io': 'http://192.168.210.1:5000', 'quay.io': 'http://192.168.210.1:5000' }),
        'lab:ciliumChart': chartDir,
        'lab:ciliumVersion': '1.18.4',
        'lab:guestOs': 'debian-13',
        'lab:imageUrl': '/var/lib/lab/trixie.qcow2',
        'lab:imageChecksum': '',
        'lab:domainType': 'qemu',
        'lab:slowHost': 'true',
      }, secretValues)
    ).recs;
  });
  after(() => fs.rmSync(chartDir, { recursive: true, force: true }));
  const seed = (vm: string) => recs.find((r) => r.type === 'command:local:Command' && r.inputs.environment?.VOL_NAME === `cil-unencrypted-${vm}-seed.iso`)?.inputs.environment.USER_DATA as string;
  const remoteEnv = (name: string) => envOf(recs.find((r) => r.name === name)?.inputs.stdin);

  it('every VM\'s seed replaces the apt sources; the nodes\' seeds carry the registry mirrors', () => {
    for (const vm of ['router', 'control-plane', 'worker1', 'worker2']) {
      assert.match(seed(vm), /^apt:\n {2}preserve_sources_list: false\n {2}sources_list: /m, vm);
      assert.strictEqual(seed(vm).includes('/etc/containerd/certs.d/registry.k8s.io/hosts.toml'), vm !== 'router', vm);
    }
  });

  it('the nodes install from the configured sources; kubeadm init gets the slow-host config and patches', () => {
    for (const vm of ['control-plane', 'worker1', 'worker2']) {
      assert.deepStrictEqual(remoteEnv(`cluster-${vm}-kube`), { KUBERNETES_VERSION: '1.33.2', KUBERNETES_APT_SOURCE: 'configured', CONTAINERD_CERTS_D: '/etc/containerd/certs.d' });
    }
    const init = remoteEnv('cluster-init');
    assert.match(init.KUBEADM_CONFIG, /kubernetesAPICall: 10m0s/);
    assert.strictEqual(init.KUBEADM_PATCHES_DIR, '/etc/kubernetes/lab-patches');
    assert.match(init.KUBEADM_PATCH_KUBE_APISERVER, /name: kube-apiserver/);
    assert.match(remoteEnv('cluster-worker1-join').KUBEADM_CONFIG, /tlsBootstrap: 15m0s/);
  });

  it('the lab\'s own waits are four times longer on a slow host: kubeadm\'s API wait, the Release, Cilium\'s readiness, the pods', () => {
    assert.strictEqual(remoteEnv('cluster-init').TIMEOUT_SECONDS, '3600');
    assert.strictEqual(remoteEnv('cilium-ready').TIMEOUT_SECONDS, '3600');
    assert.strictEqual(recs.find((r) => r.type === 'kubernetes:helm.sh/v3:Release')?.inputs.timeout, 3600);
    const pods = recs.filter((r) => r.type === 'kubernetes:core/v1:Pod');
    assert.strictEqual(pods.length, 2);
    for (const p of pods) assert.strictEqual(p.options?.createTimeout, '2400s', p.name);
  });

  it('the Release takes the local chart as it is; the agent probes are raised; the domains run qemu64', () => {
    const rel = recs.find((r) => r.type === 'kubernetes:helm.sh/v3:Release');
    assert.ok(rel);
    assert.strictEqual(rel.inputs.chart, chartDir);
    assert.strictEqual(rel.inputs.repositoryOpts, undefined);
    assert.strictEqual(rel.inputs.version, undefined);
    assert.deepStrictEqual(rel.inputs.values.startupProbe, { failureThreshold: 120, periodSeconds: 10 });
    const doms = recs.filter((r) => r.type === 'command:local:Command' && /domain\.sh create/.test(r.inputs.create));
    assert.strictEqual(doms.length, 4);
    for (const d of doms) assert.match(d.inputs.environment.DOMAIN_XML, /<domain type='qemu'>[\s\S]*<model fallback='forbid'>qemu64<\/model>/);
  });
});

function pendingDepsOf(r: { recs: Rec[] }, name: string): string[] {
  const rec = r.recs.find((x) => x.name === name);
  assert.ok(rec, `resource ${name} exists`);
  return rec.deps;
}

describe('loadLabConfig under the Pulumi runtime', () => {
  it('a misspelt lab: key in the stack config fails before anything is created', async () => {
    const { loadLabConfig, LabConfigError } = await import('../../components/config');
    pulumi.runtime.setAllConfig({ ...stackConfig('dev'), 'lab:encrpytion': 'ipsec' });
    assert.throws(() => loadLabConfig(), (e: unknown) => e instanceof LabConfigError && /lab:encrpytion = "ipsec": expected a known key/.test(e.message));
    pulumi.runtime.setAllConfig(stackConfig('ipsec'));
    assert.strictEqual(loadLabConfig().encryption, 'ipsec');
  });
});
