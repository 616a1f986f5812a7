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

function kubeletArgs(api: string, args: Record<string, string>): unknown {
  return api.endsWith('v1beta4') ? Object.entries(args).map(([name, value]) => ({ name, value })) : args;
}

function nodeRegistration(api: string, vm: VmPlan): Record<string, unknown> {
  return {
    name: vm.hostname,
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: kubeletArgs(api, { 'node-ip': vm.ip }),
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
    nodeRegistration: nodeRegistration(api, plan.controlPlane),
    // Cilium replaces kube-proxy (kubeProxyReplacement: true).
    skipPhases: ['addon/kube-proxy'],
  };
  const cluster = {
    apiVersion: api,
    kind: 'ClusterConfiguration',
    clusterName: `${cfg.prefix}cluster`,
    kubernetesVersion: `v${cfg.kubernetesVersion}`,
    controlPlaneEndpoint: `${plan.apiServer.host}:${plan.apiServer.port}`,
    networking: { podSubnet: cfg.podCidr, serviceSubnet: cfg.serviceCidr, dnsDomain: 'cluster.local' },
    apiServer: { certSANs: apiServerSans(plan) },
  };
  const kubelet = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' };
  return [init, cluster, kubelet].map((d) => YAML.stringify(d)).join('---\n');
}

/** JoinConfiguration for a worker: token discovery pinned to the CA hash. */
export function kubeadmJoinConfig(cfg: LabConfig, plan: TopologyPlan, vm: VmPlan, token: string, caHash: string): string {
  if (!BOOTSTRAP_TOKEN.test(token)) throw new Error('bootstrap token must match [a-z0-9]{6}.[a-z0-9]{16}');
  if (!/^sha256:[0-9a-f]{64}$/.test(caHash)) throw new Error('CA hash must be sha256:<64 hex>');
  const api = kubeadmApiVersion(cfg.kubernetesVersion);
  return YAML.stringify({
    apiVersion: api,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: `${plan.apiServer.host}:${plan.apiServer.port}`,
        token,
        caCertHashes: [caHash],
      },
    },
    nodeRegistration: nodeRegistration(api, vm),
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
