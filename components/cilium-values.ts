/**
 * The Cilium Helm values as ONE pure function of the config, and the IPsec key Secret's value.
 *
 * The values differ between stacks only under `encryption`: the VM and cluster graph never depends on
 * lab:encryption, so switching none -> ipsec upgrades the Release in place (the guide's own flow).
 */
import type { LabConfig } from './config';
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
];

export interface CiliumValues {
  routingMode: 'tunnel';
  tunnelProtocol: 'vxlan';
  kubeProxyReplacement: boolean;
  k8sServiceHost: string;
  k8sServicePort: number;
  rollOutCiliumPods: boolean;
  ipam: { mode: 'cluster-pool'; operator: { clusterPoolIPv4PodCIDRList: string[]; clusterPoolIPv4MaskSize: number } };
  operator: { replicas: number };
  encryption:
    | { enabled: false }
    | { enabled: true; type: 'ipsec'; ipsec: { secretName: string; keyFile: string } };
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
    encryption:
      cfg.encryption === 'ipsec'
        ? { enabled: true, type: 'ipsec', ipsec: { secretName: IPSEC_SECRET_NAME, keyFile: IPSEC_SECRET_KEY } }
        : { enabled: false },
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
