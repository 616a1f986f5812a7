/**
 * One lab VM on libvirt: its NoCloud seed volume (built locally, uploaded), its copy-on-write overlay
 * over the base volume, and the domain. A changed seed or base image replaces the overlay and the
 * domain (cloud-init only runs on a fresh disk); nothing here depends on lab:encryption.
 */
import { createHash } from 'crypto';
import * as pulumi from '@pulumi/pulumi';
import type { LabConfig } from './config';
import type { TopologyPlan, VmPlan } from './topology';
import { domainCommands, overlayVolumeCommands, seedVolumeCommands } from './libvirt/commands';
import { hostCommand } from './libvirt/resources';

export interface LabVmArgs {
  config: LabConfig;
  plan: TopologyPlan;
  vm: VmPlan;
  seed: { userData: pulumi.Input<string>; metaData: pulumi.Input<string>; networkConfig: pulumi.Input<string> };
  base: { format: pulumi.Input<'qcow2' | 'raw'>; sha256: pulumi.Input<string> };
  /** Pool, networks and base volume. */
  dependsOn: pulumi.Resource[];
}

export class LabVm extends pulumi.ComponentResource {
  public readonly domainName: pulumi.Output<string>;
  public readonly ip: pulumi.Output<string>;
  public readonly macs: pulumi.Output<Record<string, string>>;
  public readonly domain: pulumi.Resource;
  /** Changes exactly when the VM is rebuilt (new seed or base image): trigger for its setup commands. */
  public readonly generation: pulumi.Output<string>;

  constructor(name: string, args: LabVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:vm:LabVm', name, {}, opts);
    const { config: cfg, plan, vm } = args;
    const parent = { parent: this, dependsOn: args.dependsOn };
    const seedHash = pulumi
      .all([args.seed.userData, args.seed.metaData, args.seed.networkConfig])
      .apply((parts) => createHash('sha256').update(parts.join('\0')).digest('hex'));
    const seed = hostCommand(
      `${name}-seed`,
      seedVolumeCommands<pulumi.Input<string>>(cfg.libvirtUri, plan, vm, args.seed),
      parent,
      { replace: true },
    );
    const ov = overlayVolumeCommands(cfg.libvirtUri, plan, vm);
    const overlay = hostCommand(
      `${name}-disk`,
      {
        create: ov.create,
        delete: ov.delete,
        environment: pulumi.output(args.base.format).apply((f) => overlayVolumeCommands(cfg.libvirtUri, plan, vm, f).environment),
      },
      parent,
      { replace: true, triggers: [args.base.sha256, seedHash] },
    );
    const domain = hostCommand(
      `${name}-domain`,
      domainCommands(cfg.libvirtUri, plan, vm, cfg.domainType, cfg.cpuModel),
      { parent: this, dependsOn: [...args.dependsOn, seed, overlay] },
      { replace: true, triggers: [args.base.sha256, seedHash] },
    );
    this.domain = domain;
    this.generation = pulumi.all([args.base.sha256, seedHash]).apply(([b, sd]) => createHash('sha256').update(`${b}/${sd}`).digest('hex').slice(0, 16));
    this.domainName = domain.stdout.apply(() => vm.domain);
    this.ip = pulumi.output(vm.ip);
    this.macs = pulumi.output(Object.fromEntries(vm.interfaces.map((i) => [i.name, i.mac])));
    this.registerOutputs({ domainName: this.domainName, ip: this.ip, macs: this.macs, generation: this.generation });
  }
}
