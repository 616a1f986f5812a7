/**
 * The lab as one function: config -> keys -> pool + networks -> base image -> router -> nodes + kubeadm
 * -> Cilium -> proof, returning the stack outputs. index.ts exports it for `pulumi up` in the repository;
 * the lab command hands the same function to the Automation API as an inline program, so it needs no
 * Node.js language host (only the CLI and the resource plugins).
 *
 * Nothing before Cilium depends on lab:encryption: switching none -> ipsec or none -> wireguard upgrades
 * the Release in place; ipsec <-> wireguard is refused (components/encryption-records.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import { loadLabConfig, type LabConfig } from './config';
import { planTopology, type TopologyPlan } from './topology';
import { LabKeys } from './keys';
import { LabNetworks } from './network';
import { BaseImage } from './image';
import { Router } from './router';
import { KubeadmCluster } from './cluster';
import { Cilium } from './cilium';
import { deletedWithMachines, labMachines } from './machines';
import { EncryptionProof } from './proof';
import { withRotation } from './proof/rotation';

/**
 * What every node stands on: the keys, the pool and networks, the base image and the router. Nodes
 * take `base` and depend on `vmDeps` (pool, networks, base volume).
 */
export function labFoundation(config: LabConfig, plan: TopologyPlan) {
  const keys = new LabKeys('keys');
  const networks = new LabNetworks('net', { config, plan });
  const image = new BaseImage('image', { config, plan, dependsOn: networks.ready });
  const vmDeps = [...networks.ready, image.ready];
  const base = { format: image.format, sha256: image.sha256 };
  const router = new Router('router', {
    config,
    plan,
    sshPublicKey: keys.sshPublicKey,
    sshPrivateKey: keys.sshPrivateKey,
    base,
    dependsOn: vmDeps,
  });
  return { keys, networks, image, vmDeps, base, router };
}

/** Builds the whole lab in the current Pulumi stack and returns its outputs (README, "Stack outputs"). */
export function labProgram() {
  // Read once; a bad value throws a LabConfigError (key, value, expectation) before anything is created.
  const config = loadLabConfig();
  const plan = planTopology(config);
  const { keys, vmDeps, base, router: labRouter } = labFoundation(config, plan);

  const cluster = new KubeadmCluster('cluster', {
    config,
    plan,
    keys,
    router: { target: labRouter.target, ready: labRouter.ready },
    base,
    dependsOn: vmDeps,
  });

  // Everything from here on runs on the machines: it goes when they go (machines.ts).
  const machines = labMachines({ config, plan, router: labRouter, cluster });
  const onMachines = { transformations: [deletedWithMachines(machines)] };

  const cilium = new Cilium('cilium', {
    config,
    plan,
    provider: cluster.provider,
    controlPlane: cluster.nodes[0].target,
    dependsOn: cluster.joined,
    router: labRouter.target,
    nodes: cluster.nodes,
  }, onMachines);

  const proof = new EncryptionProof('proof', {
    config,
    router: labRouter.target,
    nodes: cluster.nodes,
    provider: cluster.provider,
    dependsOn: [cilium.ready, cilium.release],
    ipsecReadiness: cilium.ipsecReadiness,
  }, onMachines);

  return {
    encryption: config.encryption,
    ciliumVersion: config.ciliumVersion,
    /** Admin kubeconfig (secret): `pulumi stack output kubeconfig --show-secrets > kubeconfig`. */
    kubeconfig: pulumi.secret(cluster.kubeconfig),
    router: {
      domain: labRouter.domainName,
      uplinkIp: labRouter.uplinkIp,
      interfaces: labRouter.interfaces,
      captureInterface: config.captureInterface,
    },
    /** Per node: name, role, IP, cilium_host, xfrm counts and (ipsec) encryption status; no key material. */
    nodes: proof.nodes,
    libvirt: {
      uri: config.libvirtUri,
      pool: plan.pool.name,
      networks: Object.values(plan.networks).map((n) => n.name),
      domains: plan.vms.map((v) => v.domain),
    },
    /** The verdict; on ipsec after a key rotation also `rotation` (the rotation capture's verdict). */
    verification: withRotation(proof.verification, cilium.rotation?.result),
    pods: proof.pods,
    capturePath: proof.capturePath,
    /** The machines' identity (machines.ts): disk generation and the boot ids read by this run. */
    machines: { generation: machines.generation, bootIds: machines.bootIds },
  };
}
