/**
 * The stack's libvirt networks (uplink NAT + two isolated segments) and its directory storage pool,
 * created on the libvirt host through virsh (scripts/host/network.sh, pool.sh).
 */
import * as pulumi from '@pulumi/pulumi';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { networkCommands, poolCommands } from './libvirt/commands';
import { hostCommand } from './libvirt/resources';

export interface LabNetworksArgs {
  config: LabConfig;
  plan: TopologyPlan;
}

export class LabNetworks extends pulumi.ComponentResource {
  public readonly poolName: pulumi.Output<string>;
  public readonly networkNames: pulumi.Output<string[]>;
  /** Resources later steps depend on (pool and networks exist). */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: LabNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:network:LabNetworks', name, {}, opts);
    const { config: cfg, plan } = args;
    const parent = { parent: this };
    const pool = hostCommand(`${name}-pool`, poolCommands(cfg.libvirtUri, plan), parent);
    const nets = Object.values(plan.networks).map((n) =>
      hostCommand(`${name}-${n.id}`, networkCommands(cfg.libvirtUri, n), parent, { replace: true }),
    );
    this.ready = [pool, ...nets];
    this.poolName = pool.stdout.apply(() => plan.pool.name);
    this.networkNames = pulumi.all(nets.map((n) => n.stdout)).apply(() => Object.values(plan.networks).map((n) => n.name));
    this.registerOutputs({ poolName: this.poolName, networkNames: this.networkNames });
  }
}
