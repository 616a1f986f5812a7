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
import { KubeadmCluster, type LabNode } from './cluster';
import { Cilium, type CiliumArgs } from './cilium';
import { deletedWithMachines, labMachines } from './machines';
import type { SshTarget } from './remote';
import { EncryptionProof } from './proof';
import { IpsecRotation } from './proof/key-rotation';
import { withRotation } from './proof/judge-rotation';
import type { VerifyFn } from './proof/verification';

/**
 * An output whose value the program gives later. Cilium's key Secret may change only once the key
 * rotation's window is open, and Cilium's readiness wait (so the ordinary capture) comes after the window
 * closed; the rotation is built after Cilium, handed its key, so Cilium takes both as outputs settled once
 * the rotation exists.
 */
function later<T>(): { output: pulumi.Output<T>; settle: (v: pulumi.Input<T>) => void } {
  let settle: (v: pulumi.Input<T>) => void = () => undefined;
  const value = new Promise<pulumi.Input<T>>((resolve) => (settle = resolve));
  return { output: pulumi.output(value) as pulumi.Output<T>, settle };
}

export interface CiliumWithRotationArgs extends Omit<CiliumArgs, 'ipsecKeyAfter' | 'readyAfter'> {
  /** The router and every node: the key rotation's capture, traffic and waits run there. */
  router: SshTarget;
  nodes: LabNode[];
  /** For tests only: replaces the verifier in the rotation's verdict. */
  rotationVerify?: VerifyFn;
}

/**
 * Cilium and, on ipsec, the key rotation beside it: raising lab:ipsecKeyId rotates the key, proven on the
 * wire around the Secret's change. The rotation is handed Cilium's key (its record and Secret); the
 * Secret waits for the rotation's window to open, Cilium's readiness wait for it to close.
 */
export function ciliumWithRotation(name: string, a: CiliumWithRotationArgs, opts?: pulumi.ComponentResourceOptions): { cilium: Cilium; rotation?: IpsecRotation } {
  const { router, nodes, rotationVerify, ...ciliumArgs } = a;
  const keyChangeAfter = later<pulumi.Resource[]>();
  const readyAfter = later<pulumi.Resource[]>();
  const cilium = new Cilium(name, { ...ciliumArgs, ipsecKeyAfter: keyChangeAfter.output, readyAfter: readyAfter.output }, opts);
  const rotation = cilium.ipsecKey
    ? new IpsecRotation(`${name}-rotation`, { config: a.config, router, nodes, key: cilium.ipsecKey, root: a.root, verify: rotationVerify }, { parent: cilium })
    : undefined;
  keyChangeAfter.settle(rotation ? rotation.started : []);
  readyAfter.settle(rotation ? rotation.done : []);
  return { cilium, rotation };
}

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

  // Everything from here on runs on the machines: it goes when they go, and is redone when one of them
  // was rebuilt or booted again (machines.ts).
  const machines = labMachines({ config, plan, router: labRouter, cluster });
  const onMachines = { transformations: [deletedWithMachines(machines)] };

  const { cilium, rotation } = ciliumWithRotation('cilium', {
    config,
    plan,
    provider: cluster.provider,
    controlPlane: cluster.nodes[0].target,
    dependsOn: cluster.joined,
    router: labRouter.target,
    nodes: cluster.nodes,
    machines: machines.token,
  }, onMachines);

  const proof = new EncryptionProof('proof', {
    config,
    router: labRouter.target,
    nodes: cluster.nodes,
    provider: cluster.provider,
    dependsOn: [cilium.ready, cilium.release],
    ipsecReadiness: cilium.ipsecReadiness,
    records: cilium.records,
    modeRecord: cilium.modeRecord.stdout,
    machines: machines.token,
  }, onMachines);

  return {
    encryption: config.encryption,
    ciliumVersion: config.ciliumVersion,
    /** Admin kubeconfig (secret): `npm run -s lab -- pulumi stack output kubeconfig --show-secrets --stack S > kubeconfig`. */
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
    verification: withRotation(proof.verification, rotation?.result),
    pods: proof.pods,
    capturePath: proof.capturePath,
    /** The machines' identity (machines.ts): disk generation and the boot ids read by this run. */
    machines: { generation: machines.generation, bootIds: machines.bootIds },
  };
}
