/**
 * One lab VM on libvirt: its NoCloud seed volume (built locally, uploaded), its copy-on-write overlay
 * over the base volume, and the domain. A changed seed or base image replaces the overlay and the
 * domain (cloud-init only runs on a fresh disk); nothing here depends on lab:encryption.
 *
 * The seed carries no script of the project (cloud-init.ts): editing a script re-runs the commands that
 * run it, never rebuilds a VM. What does rebuild one (a new disk) changes `generation`, an output of the
 * disk itself: whatever stands on the VM has it in its triggers, so the engine replaces those too, and
 * removes them before the disk goes (the disk and the domain are replaced delete-first).
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
  /**
   * The VM's identity: changes exactly when its disk is replaced (new base image, seed or disk
   * definition). Read from the disk's own outputs, so a resource with it among its inputs depends on the
   * disk: when the disk is replaced, the engine removes that resource first and creates it again after.
   */
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
      domainCommands(cfg.libvirtUri, plan, vm, cfg.domainType, cfg.cpuModel, cfg.diskCache),
      // replaceWith: a disk replaced for any reason (its size too) replaces the domain, and the domain
      // goes first, so a running VM never loses its disk underneath.
      { parent: this, dependsOn: [...args.dependsOn, seed, overlay], replaceWith: [seed, overlay] },
      { replace: true, triggers: [args.base.sha256, seedHash] },
    );
    this.domain = domain;
    // A short hash: plain although the router's seed (a secret, it holds the node key) is part of it.
    this.generation = pulumi.unsecret(
      pulumi.all([overlay.triggers, overlay.environment]).apply((disk) => createHash('sha256').update(JSON.stringify(disk)).digest('hex').slice(0, 16)),
    );
    this.domainName = domain.stdout.apply(() => vm.domain);
    this.ip = pulumi.output(vm.ip);
    this.macs = pulumi.output(Object.fromEntries(vm.interfaces.map((i) => [i.name, i.mac])));
    this.registerOutputs({ domainName: this.domainName, ip: this.ip, macs: this.macs, generation: this.generation });
  }
}
