/**
 * The kubeadm cluster on the three node VMs: wait for each node (SSH + cloud-init, from the router),
 * prepare it (scripts/vm/node-setup.sh: modules, sysctls, swap off), install containerd and kubeadm,
 * `kubeadm init` with the lab's CA on the control-plane (no kube-proxy), `kubeadm join` on the workers
 * with the pre-made bootstrap token. The exported kubeconfig is assembled from the CA and the admin
 * client certificate (no read-back from the VM); the Provider built from it depends on the joins, so
 * nothing talks to the API before it is up.
 *
 * Every Kubernetes object of the lab stands on these nodes. The Provider's `clusterIdentifier` is the
 * nodes' generation, read from their disks: a rebuilt node replaces the Provider and with it every
 * object made through it, and because the disks are replaced delete-first the engine removes those
 * objects (from the old cluster, or with the control-plane's domain) before the disk goes and creates
 * them again on the new one.
 */
import { createHash } from 'crypto';
import * as pulumi from '@pulumi/pulumi';
import type * as command from '@pulumi/command';
import * as k8s from '@pulumi/kubernetes';
import { waitSeconds, type LabConfig } from './config';
import type { TopologyPlan, VmPlan } from './topology';
import { seedFiles } from './cloud-init';
import { kubeadmInitConfig, kubeadmJoinConfig, kubeadmPatchEnv, kubeconfigYaml, nodeKubeInstallEnv } from './kubeadm';
import { LabVm } from './vm';
import { runScript, SshTarget } from './remote';
import type { LabKeys } from './keys';

/** A node of the cluster and how the lab reaches it (the proof takes the same shape). */
export interface LabNode {
  /** Kubernetes node name (= kubernetes.io/hostname). */
  name: string;
  role: 'control-plane' | 'worker';
  ip: string;
  target: SshTarget;
}

export interface NodeMachineArgs {
  config: LabConfig;
  plan: TopologyPlan;
  vm: VmPlan;
  sshPublicKey: pulumi.Output<string>;
  /** The router's SSH target (the wait runs there) and its readiness. */
  router: { target: SshTarget; ready: pulumi.Resource };
  base: { format: pulumi.Input<'qcow2' | 'raw'>; sha256: pulumi.Input<string> };
  /** Pool, networks, base volume. */
  dependsOn: pulumi.Resource[];
}

/** A node's VM and the wait until it answers: what everything on the node stands on. */
export interface NodeMachine {
  vm: LabVm;
  /** SSH from the router answers, cloud-init finished (scripts/vm/node-wait.sh) and the node is set up (scripts/vm/node-setup.sh), once per VM generation. */
  ready: command.remote.Command;
  node: LabNode;
}

/**
 * One node's VM (seed from its plan and the lab key) and the bounded wait for it, named `${name}` and
 * `${name}-ready` under `parent`. The cluster makes one per node before kubeadm; a program without
 * Kubernetes can make them alone.
 */
export function nodeMachine(name: string, a: NodeMachineArgs, parent?: pulumi.Resource): NodeMachine {
  const files = a.sshPublicKey.apply((pub) => seedFiles(a.plan, a.vm, { sshPublicKey: pub, sources: a.config }));
  const vm = new LabVm(
    name,
    { config: a.config, plan: a.plan, vm: a.vm, seed: { userData: files.userData, metaData: files.metaData, networkConfig: files.networkConfig }, base: a.base, dependsOn: a.dependsOn },
    { parent },
  );
  const node: LabNode = {
    name: a.vm.hostname,
    role: a.vm.role === 'control-plane' ? 'control-plane' : 'worker',
    ip: a.vm.ip,
    target: { router: a.router.target.router, node: a.vm.ip },
  };
  const booted = runScript(
    `${name}-ready`,
    { target: a.router.target, script: 'scripts/vm/node-wait.sh', env: { NODE_IP: a.vm.ip, TIMEOUT_SECONDS: '1500' }, triggers: [vm.generation] },
    { parent, dependsOn: [a.router.ready, vm.domain] },
  );
  const ready = runScript(
    `${name}-setup`,
    { target: node.target, script: 'scripts/vm/node-setup.sh', triggers: [vm.generation] },
    { parent, dependsOn: [booted] },
  );
  return { vm, ready, node };
}

/** The admin kubeconfig (secret), from the lab's CA and admin certificate: known before any VM exists. */
export function labKubeconfig(cfg: LabConfig, plan: TopologyPlan, keys: LabKeys): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([keys.caCertPem, keys.adminCertPem, keys.adminKeyPem]).apply(([ca, cert, key]) =>
      kubeconfigYaml({ clusterName: `${cfg.prefix}cluster`, server: `https://${plan.apiEndpoint}`, caCertPem: ca, clientCertPem: cert, clientKeyPem: key }),
    ),
  );
}

export interface KubeadmClusterArgs {
  config: LabConfig;
  plan: TopologyPlan;
  keys: LabKeys;
  /** The router's SSH target (node commands hop through it) and its readiness. */
  router: { target: SshTarget; ready: pulumi.Resource };
  base: { format: pulumi.Input<'qcow2' | 'raw'>; sha256: pulumi.Input<string> };
  /** Pool, networks, base volume. */
  dependsOn: pulumi.Resource[];
}

export class KubeadmCluster extends pulumi.ComponentResource {
  /** Admin kubeconfig for the API through the router's DNAT (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly nodes: LabNode[];
  public readonly apiEndpoint: pulumi.Output<string>;
  /** Every node joined (the API is up; nodes become Ready once Cilium runs). */
  public readonly joined: pulumi.Resource[];
  public readonly vms: LabVm[];
  /** Per node, in plan order: the node answers SSH from the router and is set up (node-setup.sh). */
  public readonly nodesReady: pulumi.Resource[];
  /** The nodes' generations together: changes when any node is rebuilt (the Provider's clusterIdentifier). */
  public readonly generation: pulumi.Output<string>;

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cluster:KubeadmCluster', name, {}, opts);
    const { config: cfg, plan, keys } = args;

    const machines = plan.nodes.map((vm) =>
      nodeMachine(`${name}-${vm.name}`, { config: cfg, plan, vm, sshPublicKey: keys.sshPublicKey, router: args.router, base: args.base, dependsOn: args.dependsOn }, this),
    );
    this.vms = machines.map((m) => m.vm);
    this.nodes = machines.map((m) => m.node);
    this.nodesReady = machines.map((m) => m.ready);

    const prepared = plan.nodes.map((vm, i) =>
      runScript(
        `${name}-${vm.name}-kube`,
        { target: this.nodes[i].target, script: 'scripts/vm/node-kube-install.sh', env: nodeKubeInstallEnv(cfg), triggers: [this.vms[i].generation] },
        { parent: this, dependsOn: [machines[i].ready] },
      ),
    );

    const initConfig = pulumi.secret(keys.bootstrapToken.apply((t) => kubeadmInitConfig(cfg, plan, t)));
    const init = runScript(
      `${name}-init`,
      {
        target: this.nodes[0].target,
        script: 'scripts/vm/kubeadm-init.sh',
        env: { CA_CERT: keys.caCertPem, CA_KEY: keys.caKeyPem, KUBEADM_CONFIG: initConfig, TIMEOUT_SECONDS: String(waitSeconds(cfg, 900)), ...kubeadmPatchEnv(cfg) },
        triggers: [this.vms[0].generation],
        secretStdout: true,
      },
      { parent: this, dependsOn: [prepared[0]] },
    );
    this.joined = [init];
    // One join at a time: kubeadm join's own API client has a fixed 10 s timeout, and two workers joining
    // an emulated control plane at once made one of them fail (README, "Slow hosts"). Each join waits for
    // the one before it; on a fast host that costs seconds.
    plan.workers.forEach((vm, k) => {
      const i = k + 1;
      const joinConfig = pulumi.secret(
        pulumi.all([keys.bootstrapToken, keys.caCertHash]).apply(([t, h]) => kubeadmJoinConfig(cfg, plan, vm, t, h)),
      );
      this.joined.push(
        runScript(
          `${name}-${vm.name}-join`,
          {
            target: this.nodes[i].target,
            script: 'scripts/vm/kubeadm-join.sh',
            env: { KUBEADM_CONFIG: joinConfig },
            triggers: [this.vms[i].generation],
            secretStdout: true,
          },
          { parent: this, dependsOn: [this.joined[this.joined.length - 1], prepared[i]] },
        ),
      );
    });

    this.apiEndpoint = pulumi.output(plan.apiEndpoint);
    this.kubeconfig = labKubeconfig(cfg, plan, keys);
    this.generation = pulumi.all(this.vms.map((v) => v.generation)).apply((gs) => createHash('sha256').update(gs.join('/')).digest('hex').slice(0, 16));
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      // pulumi-kubernetes v4.25.0 DiffConfig (provider/pkg/provider/provider.go): a changed
      // clusterIdentifier replaces the Provider; with it set and unchanged, nothing else does (a new
      // apiEndpoint in the kubeconfig updates it). Unknown while a disk is being replaced: the engine
      // then plans the Provider, and every object made through it, for replacement.
      // enableSecretMutable: a Secret's data changes in place (a patch, as Cilium's key rotation does it)
      // instead of a delete and a create of the named Secret (cilium.ts IpsecKey says where in the provider).
      { kubeconfig: this.kubeconfig, enableServerSideApply: true, enableSecretMutable: true, clusterIdentifier: this.generation },
      { parent: this, dependsOn: this.joined },
    );
    this.registerOutputs({ kubeconfig: this.kubeconfig, apiEndpoint: this.apiEndpoint, nodes: this.nodes.map(({ name: n, role, ip }) => ({ name: n, role, ip })) });
  }
}
