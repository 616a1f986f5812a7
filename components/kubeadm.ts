/**
 * Pure kubeadm builders: init/join configuration YAML, the discovery CA hash, the bootstrap token
 * format and the exported kubeconfig. Joins need no SSH round trip for secrets: the bootstrap token
 * (@pulumi/random) and the cluster CA (@pulumi/tls) are known before the control-plane exists, and
 * `kubeadm init` finds the CA already in /etc/kubernetes/pki.
 */
import { createHash, createPublicKey } from 'crypto';
import * as YAML from 'yaml';
import type { LabConfig } from './config';
import type { TopologyPlan, VmPlan } from './topology';
import { CONTAINERD_CERTS_D } from './sources';

export const CRI_SOCKET = 'unix:///run/containerd/containerd.sock';
export const BOOTSTRAP_TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/**
 * kubeadm's discovery-token-ca-cert-hash: "sha256:" + hex SHA-256 of the CA's DER
 * SubjectPublicKeyInfo. Accepts the CA's public key PEM (or the certificate PEM).
 */
export function caCertHash(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(der).digest('hex');
}

/** kubeadm.k8s.io/v1beta4 from Kubernetes 1.31, v1beta3 before. */
export function kubeadmApiVersion(kubernetesVersion: string): string {
  const minor = Number(kubernetesVersion.split('.')[1]);
  return minor >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

/** Extra arguments in the API version's shape: v1beta4 lists {name, value}, v1beta3 a map. */
function extraArgs(api: string, args: Record<string, string>): unknown {
  return api.endsWith('v1beta4') ? Object.entries(args).map(([name, value]) => ({ name, value })) : args;
}

// --- slow hosts (lab:slowHost) ------------------------------------------------------------------------
// Under emulation the control plane takes minutes for what takes seconds on KVM (README, "Slow hosts").

/**
 * kubeadm's own waits (v1beta4 `timeouts`; cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go gives the
 * defaults 4m, 4m, 1m, 2m, 5m, 5m). Under emulation the API server answered after 2.5 minutes but its
 * RBAC bootstrap roles took about 6, past the 1-minute API call timeout. kubeadm also derives the static
 * pods' startup probe from controlPlaneComponentHealthCheck (cmd/kubeadm/app/util/staticpod/utils.go
 * StartupProbe: failureThreshold = timeout / 10 s), so this raises those probes too.
 */
export const SLOW_HOST_KUBEADM_TIMEOUTS = {
  controlPlaneComponentHealthCheck: '20m0s',
  kubeletHealthCheck: '10m0s',
  kubernetesAPICall: '10m0s',
  etcdAPICall: '10m0s',
  tlsBootstrap: '15m0s',
  discovery: '15m0s',
} as const;

/**
 * Leader election of kube-controller-manager and kube-scheduler (their defaults: lease 15 s, renew 10 s,
 * retry 2 s). With etcd writes taking over a second under emulation they lost their leases and
 * crash-looped until these were raised.
 */
export const SLOW_HOST_LEADER_ELECTION = {
  'leader-elect-lease-duration': '120s',
  'leader-elect-renew-deadline': '100s',
  'leader-elect-retry-period': '20s',
} as const;

/**
 * kube-apiserver's checks of etcd (its defaults: 2 s each; --etcd-healthcheck-timeout for /livez and
 * /healthz, --etcd-readycheck-timeout for /readyz). Under emulation etcd answered reads after up to a
 * minute while it applied the first writes, so every check timed out, /readyz stayed "etcd failed" and
 * kubeadm init waited for an API server that was up (found by the lab suite on Kubernetes 1.33.13).
 */
export const SLOW_HOST_API_SERVER = {
  'etcd-healthcheck-timeout': '60s',
  'etcd-readycheck-timeout': '60s',
} as const;

/** The static pods kubeadm writes, which are also its patch targets (cmd/kubeadm/app/util/patches). */
export const STATIC_POD_TARGETS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/**
 * The static pods' liveness probe on a slow host. kubeadm's is 10 s apart, 15 s timeout, 8 failures
 * (staticpod/utils.go LivenessProbe): about 2 minutes of a saturated node kill the API server or etcd, and
 * their restart loads the node further. This allows 10 minutes.
 */
export const SLOW_HOST_LIVENESS = { periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 20 } as const;

/** Where kubeadm-init.sh writes the patches (InitConfiguration `patches.directory`). */
export const KUBEADM_PATCHES_DIR = '/etc/kubernetes/lab-patches';

/**
 * The kubeadm patch files for the control-plane, name -> content: `<target>+strategic.yaml`, a strategic
 * merge patch of the static pod (kubeadm's patch file naming, cmd/kubeadm/app/util/patches/patches.go
 * parseFilename). The container list merges by name and the probe by field, so the probe's handler stays
 * kubeadm's. Empty unless lab:slowHost.
 */
export function kubeadmPatchFiles(cfg: LabConfig): Record<string, string> {
  if (!cfg.slowHost) return {};
  return Object.fromEntries(
    STATIC_POD_TARGETS.map((t) => [`${t}+strategic.yaml`, YAML.stringify({ spec: { containers: [{ name: t, livenessProbe: { ...SLOW_HOST_LIVENESS } }] } })]),
  );
}

/**
 * The patch files as the environment of kubeadm-init.sh: KUBEADM_PATCHES_DIR, and per file
 * KUBEADM_PATCH_<TARGET> (the target in upper case, - as _). Empty unless lab:slowHost.
 */
export function kubeadmPatchEnv(cfg: LabConfig): Record<string, string> {
  const files = kubeadmPatchFiles(cfg);
  if (Object.keys(files).length === 0) return {};
  const env: Record<string, string> = { KUBEADM_PATCHES_DIR };
  for (const [name, text] of Object.entries(files)) env[`KUBEADM_PATCH_${name.replace(/\+.*$/, '').toUpperCase().replace(/-/g, '_')}`] = text;
  return env;
}

function nodeRegistration(api: string, vm: VmPlan, ignorePreflightErrors: string[] = []): Record<string, unknown> {
  return {
    name: vm.hostname,
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: extraArgs(api, { 'node-ip': vm.ip }),
    ...(ignorePreflightErrors.length > 0 ? { ignorePreflightErrors } : {}),
  };
}

/**
 * kubeadm init's preflight refuses a control plane with fewer than 2 CPUs (cmd/kubeadm/app/preflight
 * checks.go NumCPUCheck, error "NumCPU"); lab:controlPlaneVcpus 1 is a deliberate choice for small
 * emulated hosts, so the lab names that one check to ignore and no other.
 */
export function initPreflightIgnores(cfg: LabConfig): string[] {
  return cfg.sizes['control-plane'].vcpus < 2 ? ['NumCPU'] : [];
}

/**
 * The environment of scripts/vm/node-kube-install.sh: the version, where the Kubernetes packages come
 * from (pkgs.k8s.io, or the sources lab:aptSources put in place), and containerd's registry host
 * directory (where cloud-init wrote the hosts.toml files of lab:registryMirrors).
 */
export function nodeKubeInstallEnv(cfg: LabConfig): Record<string, string> {
  return {
    KUBERNETES_VERSION: cfg.kubernetesVersion,
    KUBERNETES_APT_SOURCE: cfg.aptSources.length > 0 ? 'configured' : 'pkgs.k8s.io',
    CONTAINERD_CERTS_D,
  };
}

/** Subject alternative names of the API server certificate. */
export function apiServerSans(plan: TopologyPlan): string[] {
  const hosts = [plan.apiServer.host, plan.router.ip, plan.apiEndpoint.replace(/:\d+$/, ''), '127.0.0.1', 'localhost'];
  return [...new Set(hosts)];
}

/** InitConfiguration + ClusterConfiguration + KubeletConfiguration for the control-plane (multi-doc YAML). */
export function kubeadmInitConfig(cfg: LabConfig, plan: TopologyPlan, token: string): string {
  if (!BOOTSTRAP_TOKEN.test(token)) throw new Error('bootstrap token must match [a-z0-9]{6}.[a-z0-9]{16}');
  const api = kubeadmApiVersion(cfg.kubernetesVersion);
  const v1beta4 = api.endsWith('v1beta4');
  const init = {
    apiVersion: api,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        token,
        // A lab: the token never expires, so a replaced worker can rejoin at any time.
        ttl: '0s',
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
        usages: ['signing', 'authentication'],
      },
    ],
    localAPIEndpoint: { advertiseAddress: plan.apiServer.host, bindPort: plan.apiServer.port },
    nodeRegistration: nodeRegistration(api, plan.controlPlane, initPreflightIgnores(cfg)),
    // Cilium replaces kube-proxy (kubeProxyReplacement: true).
    skipPhases: ['addon/kube-proxy'],
    ...(cfg.slowHost ? { patches: { directory: KUBEADM_PATCHES_DIR } } : {}),
    ...(cfg.slowHost && v1beta4 ? { timeouts: { ...SLOW_HOST_KUBEADM_TIMEOUTS } } : {}),
  };
  const cluster = {
    apiVersion: api,
    kind: 'ClusterConfiguration',
    clusterName: `${cfg.prefix}cluster`,
    kubernetesVersion: `v${cfg.kubernetesVersion}`,
    controlPlaneEndpoint: `${plan.apiServer.host}:${plan.apiServer.port}`,
    networking: { podSubnet: cfg.podCidr, serviceSubnet: cfg.serviceCidr, dnsDomain: 'cluster.local' },
    apiServer: {
      certSANs: apiServerSans(plan),
      // v1beta3 has one of the v1beta4 timeouts, here.
      ...(cfg.slowHost && !v1beta4 ? { timeoutForControlPlane: SLOW_HOST_KUBEADM_TIMEOUTS.controlPlaneComponentHealthCheck } : {}),
      ...(cfg.slowHost ? { extraArgs: extraArgs(api, SLOW_HOST_API_SERVER) } : {}),
    },
    ...(cfg.slowHost
      ? { controllerManager: { extraArgs: extraArgs(api, SLOW_HOST_LEADER_ELECTION) }, scheduler: { extraArgs: extraArgs(api, SLOW_HOST_LEADER_ELECTION) } }
      : {}),
  };
  const kubelet = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' };
  return [init, cluster, kubelet].map((d) => YAML.stringify(d)).join('---\n');
}

/** JoinConfiguration for a worker: token discovery pinned to the CA hash. */
export function kubeadmJoinConfig(cfg: LabConfig, plan: TopologyPlan, vm: VmPlan, token: string, caHash: string): string {
  if (!BOOTSTRAP_TOKEN.test(token)) throw new Error('bootstrap token must match [a-z0-9]{6}.[a-z0-9]{16}');
  if (!/^sha256:[0-9a-f]{64}$/.test(caHash)) throw new Error('CA hash must be sha256:<64 hex>');
  const api = kubeadmApiVersion(cfg.kubernetesVersion);
  const v1beta4 = api.endsWith('v1beta4');
  const t = SLOW_HOST_KUBEADM_TIMEOUTS;
  return YAML.stringify({
    apiVersion: api,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: `${plan.apiServer.host}:${plan.apiServer.port}`,
        token,
        caCertHashes: [caHash],
      },
      ...(cfg.slowHost && !v1beta4 ? { timeout: t.discovery } : {}),
    },
    nodeRegistration: nodeRegistration(api, vm),
    ...(cfg.slowHost && v1beta4
      ? { timeouts: { kubeletHealthCheck: t.kubeletHealthCheck, kubernetesAPICall: t.kubernetesAPICall, tlsBootstrap: t.tlsBootstrap, discovery: t.discovery } }
      : {}),
  });
}

export interface KubeconfigParts {
  clusterName: string;
  server: string;
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  user?: string;
}

/** A kubeconfig with embedded certificates (client cert signed by the lab CA, group system:masters). */
export function kubeconfigYaml(p: KubeconfigParts): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const user = p.user ?? 'lab-admin';
  const context = `${user}@${p.clusterName}`;
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: p.clusterName, cluster: { server: p.server, 'certificate-authority-data': b64(p.caCertPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(p.clientCertPem), 'client-key-data': b64(p.clientKeyPem) } }],
    contexts: [{ name: context, context: { cluster: p.clusterName, user } }],
    'current-context': context,
    preferences: {},
  });
}
