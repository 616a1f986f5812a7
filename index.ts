/**
 * cilium-ipsec-lab: a libvirt lab (router + kubeadm control-plane + two workers in two routed
 * subnets) with Cilium, proving whether pod-to-pod traffic is encrypted. Stacks `unencrypted`, `ipsec`,
 * `wireguard` and `dev` are this same program with different `lab:` config (Pulumi.<stack>.yaml).
 *
 *   config -> keys -> pool + networks -> base image -> router -> nodes + kubeadm -> Cilium -> proof
 *
 * Nothing before Cilium depends on lab:encryption: switching none -> ipsec or none -> wireguard upgrades
 * the Release in place; ipsec <-> wireguard is refused (components/encryption-records.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import { loadLabConfig } from './components/config';
import { planTopology } from './components/topology';
import { LabKeys } from './components/keys';
import { LabNetworks } from './components/network';
import { BaseImage } from './components/image';
import { Router } from './components/router';
import { KubeadmCluster } from './components/cluster';
import { Cilium } from './components/cilium';
import { EncryptionProof } from './components/proof';
import { withRotation } from './components/proof/rotation';

// Read once; a bad value throws a LabConfigError (key, value, expectation) before anything is created.
const config = loadLabConfig();
const plan = planTopology(config);

const keys = new LabKeys('keys');
const networks = new LabNetworks('net', { config, plan });
const image = new BaseImage('image', { config, plan, dependsOn: networks.ready });
const vmDeps = [...networks.ready, image.ready];
const base = { format: image.format, sha256: image.sha256 };

const labRouter = new Router('router', {
  config,
  plan,
  sshPublicKey: keys.sshPublicKey,
  sshPrivateKey: keys.sshPrivateKey,
  base,
  dependsOn: vmDeps,
});

const cluster = new KubeadmCluster('cluster', {
  config,
  plan,
  keys,
  router: { target: labRouter.target, ready: labRouter.ready },
  base,
  dependsOn: vmDeps,
});

const cilium = new Cilium('cilium', {
  config,
  plan,
  provider: cluster.provider,
  controlPlane: cluster.nodes[0].target,
  dependsOn: cluster.joined,
  router: labRouter.target,
  nodes: cluster.nodes,
});

const proof = new EncryptionProof('proof', {
  config,
  router: labRouter.target,
  nodes: cluster.nodes,
  provider: cluster.provider,
  dependsOn: [cilium.ready, cilium.release],
  ipsecReadiness: cilium.ipsecReadiness,
});

export const encryption = config.encryption;
export const ciliumVersion = config.ciliumVersion;
/** Admin kubeconfig (secret): `pulumi stack output kubeconfig --show-secrets > kubeconfig`. */
export const kubeconfig = pulumi.secret(cluster.kubeconfig);
export const router = {
  domain: labRouter.domainName,
  uplinkIp: labRouter.uplinkIp,
  interfaces: labRouter.interfaces,
  captureInterface: config.captureInterface,
};
/** Per node: name, role, IP, cilium_host, xfrm counts and (ipsec) encryption status; no key material. */
export const nodes = proof.nodes;
export const libvirt = {
  uri: config.libvirtUri,
  pool: plan.pool.name,
  networks: Object.values(plan.networks).map((n) => n.name),
  domains: plan.vms.map((v) => v.domain),
};
/** The verdict; on ipsec after a key rotation also `rotation` (the rotation capture's verdict). */
export const verification = withRotation(proof.verification, cilium.rotation?.result);
export const pods = proof.pods;
export const capturePath = proof.capturePath;
