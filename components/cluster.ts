/**
 * The kubeadm cluster on the three node VMs: wait for each node (SSH + cloud-init, from the router),
 * install containerd and kubeadm, `kubeadm init` with the lab's CA on the control-plane (no
 * kube-proxy), `kubeadm join` on the workers with the pre-made bootstrap token. The exported
 * kubeconfig is assembled from the CA and the admin client certificate (no read-back from the VM);
 * the Provider built from it depends on the joins, so nothing talks to the API before it is up.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import type { LabConfig } from './config';
import type { TopologyPlan, VmPlan } from './topology';
import { seedFiles } from './cloud-init';
import { kubeadmInitConfig, kubeadmJoinConfig, kubeconfigYaml } from './kubeadm';
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

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:cluster:KubeadmCluster', name, {}, opts);
    const { config: cfg, plan, keys } = args;
    const routerTarget = args.router.target;

    const vmFor = (vm: VmPlan): LabVm => {
      const files = keys.sshPublicKey.apply((pub) => seedFiles(plan, vm, { sshPublicKey: pub }));
      return new LabVm(
        `${name}-${vm.name}`,
        { config: cfg, plan, vm, seed: { userData: files.userData, metaData: files.metaData, networkConfig: files.networkConfig }, base: args.base, dependsOn: args.dependsOn },
        { parent: this },
      );
    };
    this.vms = plan.nodes.map(vmFor);
    this.nodes = plan.nodes.map((vm) => ({
      name: vm.hostname,
      role: vm.role === 'control-plane' ? 'control-plane' : 'worker',
      ip: vm.ip,
      target: { router: routerTarget.router, node: vm.ip },
    }));

    const prepared = plan.nodes.map((vm, i) => {
      const lvm = this.vms[i];
      const ready = runScript(
        `${name}-${vm.name}-ready`,
        { target: routerTarget, script: 'scripts/vm/node-wait.sh', env: { NODE_IP: vm.ip, TIMEOUT_SECONDS: '1500' }, triggers: [lvm.generation] },
        { parent: this, dependsOn: [args.router.ready, lvm.domain] },
      );
      return runScript(
        `${name}-${vm.name}-kube`,
        { target: this.nodes[i].target, script: 'scripts/vm/node-kube-install.sh', env: { KUBERNETES_VERSION: cfg.kubernetesVersion }, triggers: [lvm.generation] },
        { parent: this, dependsOn: [ready] },
      );
    });

    const initConfig = pulumi.secret(keys.bootstrapToken.apply((t) => kubeadmInitConfig(cfg, plan, t)));
    const init = runScript(
      `${name}-init`,
      {
        target: this.nodes[0].target,
        script: 'scripts/vm/kubeadm-init.sh',
        env: { CA_CERT: keys.caCertPem, CA_KEY: keys.caKeyPem, KUBEADM_CONFIG: initConfig, TIMEOUT_SECONDS: '900' },
        triggers: [this.vms[0].generation],
        secretStdout: true,
      },
      { parent: this, dependsOn: [prepared[0]] },
    );
    this.joined = [init];
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
          { parent: this, dependsOn: [init, prepared[i]] },
        ),
      );
    });

    this.apiEndpoint = pulumi.output(plan.apiEndpoint);
    this.kubeconfig = pulumi.secret(
      pulumi.all([keys.caCertPem, keys.adminCertPem, keys.adminKeyPem]).apply(([ca, cert, key]) =>
        kubeconfigYaml({ clusterName: `${cfg.prefix}cluster`, server: `https://${plan.apiEndpoint}`, caCertPem: ca, clientCertPem: cert, clientKeyPem: key }),
      ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      // enableSecretMutable: a Secret's data changes in place (a patch, as Cilium's key rotation does it)
      // instead of a delete and a create of the named Secret (cilium.ts IpsecKey says where in the provider).
      { kubeconfig: this.kubeconfig, enableServerSideApply: true, enableSecretMutable: true },
      { parent: this, dependsOn: this.joined },
    );
    this.registerOutputs({ kubeconfig: this.kubeconfig, apiEndpoint: this.apiEndpoint, nodes: this.nodes.map(({ name: n, role, ip }) => ({ name: n, role, ip })) });
  }
}
