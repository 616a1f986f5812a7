/**
 * The stack's libvirt networks (uplink NAT + two isolated segments) and its directory storage pool,
 * created on the libvirt host through virsh (scripts/host/network.sh, pool.sh), after a preflight there
 * (scripts/host/preflight.sh) that refuses a host whose firewall would drop frames between the lab's
 * VMs. The preflight is an invoke: it runs on every preview and up, so a host that changed since the
 * lab was made (Docker installed) is caught too, and it changes nothing in the state.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { networkCommands, poolCommands } from './libvirt/commands';
import { hostCommand } from './libvirt/resources';

export interface LabNetworksArgs {
  config: LabConfig;
  plan: TopologyPlan;
}

/** Pure: the environment of scripts/host/preflight.sh (the bridges whose frames must pass). */
export function preflightEnvironment(cfg: LabConfig, plan: TopologyPlan): Record<string, string> {
  return { LIBVIRT_URI: cfg.libvirtUri, LAB_BRIDGES: [plan.networks.seg1.bridge, plan.networks.seg2.bridge].join(' ') };
}

/** Pure: the `warning: ...` lines preflight.sh prints for what it could not check. */
export function preflightWarnings(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('warning: '))
    .map((l) => l.slice('warning: '.length));
}

export class LabNetworks extends pulumi.ComponentResource {
  public readonly poolName: pulumi.Output<string>;
  public readonly networkNames: pulumi.Output<string[]>;
  /** Resources later steps depend on (pool and networks exist). */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: LabNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:network:LabNetworks', name, {}, opts);
    const { config: cfg, plan } = args;
    // A failing preflight fails the invoke with its message; the pool and the networks wait for it.
    const preflight = command.local.runOutput(
      { command: 'bash scripts/host/preflight.sh', environment: preflightEnvironment(cfg, plan), logging: 'none' },
      { parent: this },
    );
    const checked = preflight.stdout.apply((out) => {
      for (const w of preflightWarnings(out)) pulumi.log.warn(w, this);
      return [] as pulumi.Resource[];
    });
    const parent = { parent: this, dependsOn: checked };
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
