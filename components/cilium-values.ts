/**
 * The Cilium Helm values as ONE pure function of the config, and the IPsec key Secret's value.
 *
 * The values differ between stacks only under `encryption`: the VM and cluster graph never depends on
 * lab:encryption, so switching none -> ipsec (or none -> wireguard) upgrades the Release in place (the
 * manual method's flow, README); `rollOutCiliumPods` restarts the agents so they take the new mode.
 */
import * as path from 'path';
import { STRICT_INGRESS_SINCE, versionAtLeast, type LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { CILIUM_REPO, localChartPath } from './sources';
import { REPO_ROOT } from './repo';

export { CILIUM_REPO };
export const CILIUM_NAMESPACE = 'kube-system';
export const IPSEC_SECRET_NAME = 'cilium-ipsec-keys';
export const IPSEC_SECRET_KEY = 'keys';

/**
 * Value paths the lab sets that a chart it supports does not declare, per chart version, and why the
 * chart still takes them. Every other path the lab sets, in every mode and option, must be a value of
 * the chart of each version (test/components/cilium-values.test.ts, against the facts derived from each
 * chart's values.yaml and values.schema.json). The lab picks the paths by chart version where the chart
 * renamed them: strict mode is `encryption.strictMode.{enabled,cidr,allowRemoteNodeIdentities}` before
 * 1.19 and `encryption.strictMode.egress.*` plus `encryption.strictMode.ingress.enabled` from 1.19 (Cilium
 * 1.19 upgrade notes, "Helm Options": the flat keys are deprecated in 1.19 and removed in 1.20).
 */
export const CHART_GAPS: { path: string; chart: string; note: string }[] = [
  {
    path: 'kubeProxyReplacement',
    chart: '1.16.3',
    note: 'only a comment in values.yaml (#kubeProxyReplacement: "false") and absent from the schema; the templates read it (boolean form since 1.14); declared from 1.18',
  },
];

/**
 * Values the chart hands to a Kubernetes object as they are, so their insides are Kubernetes' and not
 * the chart's: every chart the lab supports declares them only by their default and renders them with
 * toYaml (templates/cilium-operator/deployment.yaml `toYaml .Values.operator.affinity`, 1.16.3, 1.18.4,
 * 1.19.0). The check of the lab's values against each chart stops at these paths.
 */
export const CHART_PASS_THROUGH = ['operator.affinity'] as const;

/** WireGuard strict mode values in the chart's shape for its version (see CHART_GAPS). */
export type StrictModeValues =
  | { enabled: true; cidr: string; allowRemoteNodeIdentities: true }
  | { egress: { enabled: true; cidr: string; allowRemoteNodeIdentities: true }; ingress: { enabled: boolean } };

export type EncryptionValues =
  | { enabled: false }
  | { enabled: true; type: 'ipsec'; ipsec: { secretName: string; keyFile: string } }
  | { enabled: true; type: 'wireguard'; nodeEncryption: boolean; strictMode?: StrictModeValues };

/**
 * The agent's probes on a slow host (lab:slowHost). The chart's defaults (values.yaml of 1.16.3, 1.18.4
 * and 1.19.0): startupProbe 105 (1.16) or 300 (1.18, 1.19) x 2 s, livenessProbe 10 x 30 s. Under
 * emulation the agent's start alone took about 4 minutes (README, "Slow hosts"), and a liveness probe
 * that fails while the node is saturated restarts the agent and starts it over. The probes' timeouts
 * are fixed in the chart's DaemonSet template; only the thresholds and periods are values.
 */
export const SLOW_HOST_AGENT_PROBES = {
  startupProbe: { failureThreshold: 120, periodSeconds: 10 },
  livenessProbe: { failureThreshold: 20, periodSeconds: 30 },
} as const;

/**
 * On a slow host the operator keeps off the control plane. Under emulation on 2 cores the API server of a
 * 1-vCPU control plane stopped answering while the agent, the operator and CoreDNS started on it at once
 * (README, "Slow hosts"); the agent must run there (a DaemonSet) and the operator need not. Helm merges
 * this into the chart's `operator.affinity` (its podAntiAffinity stays).
 */
export const SLOW_HOST_OPERATOR_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] }],
    },
  },
};

export interface CiliumValues {
  routingMode: 'tunnel';
  tunnelProtocol: 'vxlan';
  kubeProxyReplacement: boolean;
  k8sServiceHost: string;
  k8sServicePort: number;
  rollOutCiliumPods: boolean;
  ipam: { mode: 'cluster-pool'; operator: { clusterPoolIPv4PodCIDRList: string[]; clusterPoolIPv4MaskSize: number } };
  operator: { replicas: number; affinity?: typeof SLOW_HOST_OPERATOR_AFFINITY };
  encryption: EncryptionValues;
  startupProbe?: { failureThreshold: number; periodSeconds: number };
  livenessProbe?: { failureThreshold: number; periodSeconds: number };
  envoy?: { enabled: false };
  l7Proxy?: false;
}

/**
 * lab:ciliumEnvoy false. The chart runs Envoy as its own DaemonSet by default (envoy.enabled, 1.16+), and
 * the agent's L7 proxy needs it; the agent alone carries pod-to-pod encryption. Both are values of every
 * chart the lab supports (test/components/cilium-values.test.ts).
 */
export const WITHOUT_ENVOY = { envoy: { enabled: false }, l7Proxy: false } as const;

/**
 * The `encryption` values of one mode. Strict mode covers the pod CIDR; the lab runs in tunnel mode,
 * where the chart says remote node identities must be allowed ("This is required when tunneling is used").
 */
export function encryptionValues(cfg: LabConfig): EncryptionValues {
  switch (cfg.encryption) {
    case 'none':
      return { enabled: false };
    case 'ipsec':
      return { enabled: true, type: 'ipsec', ipsec: { secretName: IPSEC_SECRET_NAME, keyFile: IPSEC_SECRET_KEY } };
    case 'wireguard': {
      const v: EncryptionValues = { enabled: true, type: 'wireguard', nodeEncryption: cfg.wireguard.nodeEncryption };
      const mode = cfg.wireguard.strictMode;
      if (mode !== 'off') {
        const [maj, min] = cfg.ciliumVersion.split('.').map(Number);
        v.strictMode = versionAtLeast([maj, min], STRICT_INGRESS_SINCE)
          ? {
              egress: { enabled: true, cidr: cfg.podCidr, allowRemoteNodeIdentities: true },
              ingress: { enabled: mode === 'egress+ingress' },
            }
          : { enabled: true, cidr: cfg.podCidr, allowRemoteNodeIdentities: true };
      }
      return v;
    }
  }
}

/** Helm values for the Cilium Release. */
export function ciliumValues(cfg: LabConfig, plan: TopologyPlan): CiliumValues {
  return {
    routingMode: 'tunnel',
    tunnelProtocol: 'vxlan',
    kubeProxyReplacement: true,
    k8sServiceHost: plan.apiServer.host,
    k8sServicePort: plan.apiServer.port,
    rollOutCiliumPods: true,
    ipam: {
      mode: 'cluster-pool',
      operator: { clusterPoolIPv4PodCIDRList: [cfg.podCidr], clusterPoolIPv4MaskSize: cfg.podCidrMaskSize },
    },
    // Two operator replicas would need two schedulable nodes with anti-affinity; one is enough here.
    operator: { replicas: 1, ...(cfg.slowHost ? { affinity: SLOW_HOST_OPERATOR_AFFINITY } : {}) },
    encryption: encryptionValues(cfg),
    ...(cfg.slowHost ? SLOW_HOST_AGENT_PROBES : {}),
    ...(cfg.ciliumEnvoy ? {} : WITHOUT_ENVOY),
  };
}

/** The Release's chart arguments for lab:ciliumChart (see components/sources.ts ChartSource). */
export function ciliumChartArgs(cfg: LabConfig, root: string = REPO_ROOT): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
  const src = cfg.ciliumChart;
  switch (src.kind) {
    case 'repository':
      return { chart: 'cilium', version: cfg.ciliumVersion, repositoryOpts: { repo: src.repo } };
    // Helm downloads a chart URL or loads a local chart as it is (pulumi-kubernetes v4.25.0
    // provider/pkg/provider/helm_release.go locateChart): no version to ask for; config.ts has checked it.
    case 'archive-url':
      return { chart: src.url };
    case 'local':
      return { chart: path.normalize(localChartPath(src, root)) };
  }
}

/**
 * Value of the Secret's `keys` entry: "<spi>+ rfc4106(gcm(aes)) <40 hex> 128".
 * `+` asks for per-node-pair keys; the 20 bytes are a 16-byte AES key and a 4-byte salt; 128 is the
 * ICV length in bits.
 */
export function ipsecKeysValue(spi: number, keyHex: string): string {
  if (!Number.isInteger(spi) || spi < 1 || spi > 15) throw new Error(`IPsec SPI must be 1..15, got ${spi}`);
  if (!/^[0-9a-f]{40}$/.test(keyHex)) throw new Error('IPsec key must be 40 lowercase hex digits (20 bytes)');
  return `${spi}+ rfc4106(gcm(aes)) ${keyHex} 128`;
}
