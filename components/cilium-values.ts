/**
 * The Cilium Helm values as ONE pure function of the config, and the IPsec key Secret's value.
 *
 * The values differ between stacks only under `encryption`: the VM and cluster graph never depends on
 * lab:encryption, so switching none -> ipsec (or none -> wireguard) upgrades the Release in place (the
 * manual method's flow, README); `rollOutCiliumPods` restarts the agents so they take the new mode.
 */
import { STRICT_INGRESS_SINCE, versionAtLeast, type LabConfig } from './config';
import type { TopologyPlan } from './topology';

export const CILIUM_REPO = 'https://helm.cilium.io';
export const CILIUM_NAMESPACE = 'kube-system';
export const IPSEC_SECRET_NAME = 'cilium-ipsec-keys';
export const IPSEC_SECRET_KEY = 'keys';

/**
 * Value paths our values use that have no default in the chart 1.16.3 values.yaml (the version the
 * tests check against), each with the chart version that introduced it or why it is absent.
 * Every other path must exist in ../shared/cilium/values.yaml (test/components/cilium-values.test.ts).
 */
export const VALUES_NOT_IN_1_16_3: { path: string; since: string; note: string }[] = [
  {
    path: 'kubeProxyReplacement',
    since: '1.14',
    note: 'boolean form since 1.14; present in 1.16.3 values.yaml only as a comment (#kubeProxyReplacement: "false")',
  },
  // Cilium 1.19 upgrade notes ("Helm Options", "Agent Options"): the flat encryption.strictMode.{enabled,
  // cidr,allowRemoteNodeIdentities} are deprecated in 1.19 (removed in 1.20) for the egress-specific keys,
  // and ingress strict mode is new ("only available when WireGuard and tunneling are enabled").
  { path: 'encryption.strictMode.egress.enabled', since: '1.19', note: 'replaces encryption.strictMode.enabled' },
  { path: 'encryption.strictMode.egress.cidr', since: '1.19', note: 'replaces encryption.strictMode.cidr' },
  {
    path: 'encryption.strictMode.egress.allowRemoteNodeIdentities',
    since: '1.19',
    note: 'replaces encryption.strictMode.allowRemoteNodeIdentities',
  },
  { path: 'encryption.strictMode.ingress.enabled', since: '1.19', note: 'new: drops pod-to-pod traffic that arrived unencrypted' },
];

/** WireGuard strict mode values in the chart's shape for its version (see VALUES_NOT_IN_1_16_3). */
export type StrictModeValues =
  | { enabled: true; cidr: string; allowRemoteNodeIdentities: true }
  | { egress: { enabled: true; cidr: string; allowRemoteNodeIdentities: true }; ingress: { enabled: boolean } };

export type EncryptionValues =
  | { enabled: false }
  | { enabled: true; type: 'ipsec'; ipsec: { secretName: string; keyFile: string } }
  | { enabled: true; type: 'wireguard'; nodeEncryption: boolean; strictMode?: StrictModeValues };

export interface CiliumValues {
  routingMode: 'tunnel';
  tunnelProtocol: 'vxlan';
  kubeProxyReplacement: boolean;
  k8sServiceHost: string;
  k8sServicePort: number;
  rollOutCiliumPods: boolean;
  ipam: { mode: 'cluster-pool'; operator: { clusterPoolIPv4PodCIDRList: string[]; clusterPoolIPv4MaskSize: number } };
  operator: { replicas: number };
  encryption: EncryptionValues;
}

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
    operator: { replicas: 1 },
    encryption: encryptionValues(cfg),
  };
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
