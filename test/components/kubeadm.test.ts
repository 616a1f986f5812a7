import * as assert from 'assert';
import { execSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import * as YAML from 'yaml';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import {
  KUBEADM_PATCHES_DIR,
  SLOW_HOST_KUBEADM_TIMEOUTS,
  STATIC_POD_TARGETS,
  caCertHash,
  kubeadmApiVersion,
  kubeadmInitConfig,
  kubeadmJoinConfig,
  kubeadmPatchEnv,
  kubeadmPatchFiles,
  kubeconfigYaml,
  nodeKubeInstallEnv,
} from '../../components/kubeadm';
import { readRepoFile } from '../../components/vm-lib';
import { rawLab } from './helpers';

/** Seconds of a Go duration as kubeadm writes them ("20m0s"). */
function parseDuration(d: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
  assert.ok(m && d !== '', `a Go duration: ${d}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const cfg = parseLabConfig(rawLab('ipsec'), 'ipsec');
const plan = planTopology(cfg);
const TOKEN = 'abcdef.0123456789abcdef';

describe('kubeadm builders', () => {
  it('CA hash = sha256 of the DER SubjectPublicKeyInfo (same as the openssl recipe in the kubeadm docs)', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const viaOpenssl = execSync('openssl pkey -pubin -outform der | sha256sum', { input: pem }).toString().split(' ')[0];
    assert.strictEqual(caCertHash(pem), `sha256:${viaOpenssl}`);
  });

  it('init: no kube-proxy, podSubnet = Cilium cluster pool, token, advertise address, SANs for the router DNAT', () => {
    const docs = YAML.parseAllDocuments(kubeadmInitConfig(cfg, plan, TOKEN)).map((d) => d.toJS());
    const [init, cluster, kubelet] = docs;
    assert.strictEqual(init.apiVersion, kubeadmApiVersion(cfg.kubernetesVersion));
    assert.strictEqual(init.kind, 'InitConfiguration');
    assert.deepStrictEqual(init.skipPhases, ['addon/kube-proxy']);
    assert.strictEqual(init.bootstrapTokens[0].token, TOKEN);
    assert.strictEqual(init.localAPIEndpoint.advertiseAddress, plan.controlPlane.ip);
    assert.strictEqual(init.nodeRegistration.name, 'control-plane');
    assert.strictEqual(cluster.kind, 'ClusterConfiguration');
    assert.strictEqual(cluster.networking.podSubnet, cfg.podCidr);
    assert.strictEqual(cluster.kubernetesVersion, `v${cfg.kubernetesVersion}`);
    assert.ok(cluster.apiServer.certSANs.includes(plan.router.ip));
    assert.strictEqual(kubelet.cgroupDriver, 'systemd');
    assert.throws(() => kubeadmInitConfig(cfg, plan, 'bad'), /bootstrap token/);
  });

  it('join: token discovery pinned to the CA hash, node name and IP', () => {
    const hash = 'sha256:' + 'ab'.repeat(32);
    const j = YAML.parse(kubeadmJoinConfig(cfg, plan, plan.workers[1], TOKEN, hash));
    assert.strictEqual(j.kind, 'JoinConfiguration');
    assert.deepStrictEqual(j.discovery.bootstrapToken, { apiServerEndpoint: `${plan.controlPlane.ip}:6443`, token: TOKEN, caCertHashes: [hash] });
    assert.strictEqual(j.nodeRegistration.name, 'worker2');
    assert.deepStrictEqual(j.nodeRegistration.kubeletExtraArgs, [{ name: 'node-ip', value: plan.workers[1].ip }]);
  });

  it('v1beta3 before Kubernetes 1.31 (kubeletExtraArgs as a map)', () => {
    const old = parseLabConfig({ ...rawLab('ipsec'), kubernetesVersion: '1.30.5' }, 'ipsec');
    const j = YAML.parse(kubeadmJoinConfig(old, plan, plan.workers[0], TOKEN, 'sha256:' + '0'.repeat(64)));
    assert.strictEqual(j.apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.deepStrictEqual(j.nodeRegistration.kubeletExtraArgs, { 'node-ip': plan.workers[0].ip });
  });

  describe('slow host (lab:slowHost)', () => {
    const slow = parseLabConfig({ ...rawLab('ipsec'), slowHost: 'true' }, 'ipsec');
    const hash = 'sha256:' + 'ab'.repeat(32);

    it('init: kubeadm\'s timeouts raised, the static pods patched, longer leader-election leases', () => {
      const [init, cluster] = YAML.parseAllDocuments(kubeadmInitConfig(slow, plan, TOKEN)).map((d) => d.toJS());
      assert.strictEqual(init.apiVersion, 'kubeadm.k8s.io/v1beta4');
      assert.deepStrictEqual(init.timeouts, SLOW_HOST_KUBEADM_TIMEOUTS);
      // Each above kubeadm's default (v1beta4 types.go: 4m, 4m, 1m, 2m, 5m, 5m); the API call timeout above
      // the ~6 minutes the RBAC bootstrap roles took under emulation.
      const defaults = { controlPlaneComponentHealthCheck: 240, kubeletHealthCheck: 240, kubernetesAPICall: 60, etcdAPICall: 120, tlsBootstrap: 300, discovery: 300 };
      for (const [k, d] of Object.entries(defaults)) assert.ok(parseDuration(init.timeouts[k]) >= 2 * d, `${k} ${init.timeouts[k]}`);
      assert.ok(parseDuration(init.timeouts.kubernetesAPICall) > 6 * 60);
      assert.deepStrictEqual(init.patches, { directory: KUBEADM_PATCHES_DIR });
      const lease = [
        { name: 'leader-elect-lease-duration', value: '120s' },
        { name: 'leader-elect-renew-deadline', value: '100s' },
        { name: 'leader-elect-retry-period', value: '20s' },
      ];
      assert.deepStrictEqual(cluster.controllerManager, { extraArgs: lease });
      assert.deepStrictEqual(cluster.scheduler, { extraArgs: lease });
      // The API server waits a minute for etcd in its health and readiness checks (default 2 s each).
      assert.deepStrictEqual(cluster.apiServer.extraArgs, [
        { name: 'etcd-healthcheck-timeout', value: '60s' },
        { name: 'etcd-readycheck-timeout', value: '60s' },
      ]);
      // kubeadm derives the static pods' startup probe from the health check timeout (10 s period).
      assert.ok(parseDuration(init.timeouts.controlPlaneComponentHealthCheck) / 10 >= 90);
    });

    it('join: the worker\'s kubeadm timeouts raised (the ones a join uses)', () => {
      const j = YAML.parse(kubeadmJoinConfig(slow, plan, plan.workers[0], TOKEN, hash));
      assert.deepStrictEqual(j.timeouts, { kubeletHealthCheck: '10m0s', kubernetesAPICall: '10m0s', tlsBootstrap: '15m0s', discovery: '15m0s' });
    });

    it('v1beta3 (Kubernetes 1.30): the one timeout it has, per-flag maps, the discovery timeout', () => {
      const old = parseLabConfig({ ...rawLab('ipsec'), slowHost: 'true', kubernetesVersion: '1.30.5' }, 'ipsec');
      const [init, cluster] = YAML.parseAllDocuments(kubeadmInitConfig(old, plan, TOKEN)).map((d) => d.toJS());
      assert.strictEqual(init.timeouts, undefined);
      assert.strictEqual(cluster.apiServer.timeoutForControlPlane, '20m0s');
      assert.deepStrictEqual(cluster.scheduler.extraArgs, { 'leader-elect-lease-duration': '120s', 'leader-elect-renew-deadline': '100s', 'leader-elect-retry-period': '20s' });
      assert.deepStrictEqual(cluster.apiServer.extraArgs, { 'etcd-healthcheck-timeout': '60s', 'etcd-readycheck-timeout': '60s' });
      assert.strictEqual(YAML.parse(kubeadmJoinConfig(old, plan, plan.workers[0], TOKEN, hash)).discovery.timeout, '15m0s');
    });

    it('patches: one strategic merge patch per static pod, the liveness probe only (its handler stays kubeadm\'s)', () => {
      const files = kubeadmPatchFiles(slow);
      assert.deepStrictEqual(Object.keys(files), STATIC_POD_TARGETS.map((t) => `${t}+strategic.yaml`));
      for (const t of STATIC_POD_TARGETS) {
        assert.deepStrictEqual(YAML.parse(files[`${t}+strategic.yaml`]), {
          spec: { containers: [{ name: t, livenessProbe: { periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 20 } }] },
        });
      }
    });

    it('kubeadm-init.sh writes each patch from the variable kubeadmPatchEnv names for it', () => {
      const env = kubeadmPatchEnv(slow);
      assert.strictEqual(env.KUBEADM_PATCHES_DIR, KUBEADM_PATCHES_DIR);
      const script = readRepoFile('scripts/vm/kubeadm-init.sh');
      const loop = /^ {4}for target in ([a-z -]+); do$/m.exec(script);
      assert.ok(loop, 'kubeadm-init.sh loops over the patch targets');
      assert.deepStrictEqual(loop[1].split(' '), [...STATIC_POD_TARGETS]);
      // The script's own name rule, run by bash.
      const names = execSync(`for target in ${loop[1]}; do echo KUBEADM_PATCH_$(tr 'a-z-' 'A-Z_' <<<"$target"); done`, { shell: '/bin/bash' }).toString().trim().split('\n');
      assert.deepStrictEqual(names, Object.keys(env).filter((k) => k !== 'KUBEADM_PATCHES_DIR'));
      for (const t of STATIC_POD_TARGETS) assert.strictEqual(env[`KUBEADM_PATCH_${t.toUpperCase().replace(/-/g, '_')}`], kubeadmPatchFiles(slow)[`${t}+strategic.yaml`]);
    });

    it('not on a slow host: none of it', () => {
      const [init, cluster] = YAML.parseAllDocuments(kubeadmInitConfig(cfg, plan, TOKEN)).map((d) => d.toJS());
      assert.strictEqual(init.timeouts, undefined);
      assert.strictEqual(init.patches, undefined);
      assert.strictEqual(cluster.controllerManager, undefined);
      assert.strictEqual(cluster.apiServer.extraArgs, undefined);
      assert.strictEqual(YAML.parse(kubeadmJoinConfig(cfg, plan, plan.workers[0], TOKEN, hash)).timeouts, undefined);
      assert.deepStrictEqual(kubeadmPatchEnv(cfg), {});
    });
  });

  it('a 1-vCPU control plane: init ignores kubeadm\'s NumCPU preflight check and nothing else; 2 vCPUs ignore nothing', () => {
    const one = parseLabConfig({ ...rawLab('ipsec'), controlPlaneVcpus: '1' }, 'ipsec');
    const [init] = YAML.parseAllDocuments(kubeadmInitConfig(one, plan, TOKEN)).map((d) => d.toJS());
    assert.deepStrictEqual(init.nodeRegistration.ignorePreflightErrors, ['NumCPU']);
    const [two] = YAML.parseAllDocuments(kubeadmInitConfig(cfg, plan, TOKEN)).map((d) => d.toJS());
    assert.strictEqual(cfg.sizes['control-plane'].vcpus, 2);
    assert.strictEqual(two.nodeRegistration.ignorePreflightErrors, undefined);
    assert.strictEqual(YAML.parse(kubeadmJoinConfig(one, plan, plan.workers[0], TOKEN, 'sha256:' + 'ab'.repeat(32))).nodeRegistration.ignorePreflightErrors, undefined);
    assert.throws(() => parseLabConfig({ ...rawLab('ipsec'), controlPlaneVcpus: '0' }, 'ipsec'), /lab:controlPlaneVcpus/);
  });

  it('node-kube-install.sh environment: pkgs.k8s.io by default, the configured sources with lab:aptSources', () => {
    assert.deepStrictEqual(nodeKubeInstallEnv(cfg), { KUBERNETES_VERSION: cfg.kubernetesVersion, KUBERNETES_APT_SOURCE: 'pkgs.k8s.io', CONTAINERD_CERTS_D: '/etc/containerd/certs.d' });
    const offline = parseLabConfig({ ...rawLab('ipsec'), aptSources: '["deb [trusted=yes] http://192.168.210.1:8080/k8s ./"]' }, 'ipsec');
    assert.strictEqual(nodeKubeInstallEnv(offline).KUBERNETES_APT_SOURCE, 'configured');
  });

  it('kubeconfig embeds the CA and the client certificate, server = external endpoint', () => {
    const k = YAML.parse(kubeconfigYaml({ clusterName: 'c', server: 'https://192.168.209.2:6443', caCertPem: 'CA', clientCertPem: 'CERT', clientKeyPem: 'KEY' }));
    assert.strictEqual(k.clusters[0].cluster.server, 'https://192.168.209.2:6443');
    assert.strictEqual(Buffer.from(k.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), 'CA');
    assert.strictEqual(Buffer.from(k.users[0].user['client-key-data'], 'base64').toString(), 'KEY');
    assert.strictEqual(k['current-context'], k.contexts[0].name);
  });
});
