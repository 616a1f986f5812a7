/**
 * The base image: downloaded once on the machine running Pulumi into lab:imageCacheDir, SHA-256
 * verified (scripts/host/image-fetch.sh), then uploaded with `virsh vol-upload` as the stack's base
 * volume, so the libvirt host may be remote. VM disks are copy-on-write overlays over it.
 */
import * as pulumi from '@pulumi/pulumi';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { baseVolumeCommands, imageFetchCommands, parseImageFetchOutput } from './libvirt/commands';
import { hostCommand } from './libvirt/resources';

export interface BaseImageArgs {
  config: LabConfig;
  plan: TopologyPlan;
  /** The pool must exist first. */
  dependsOn: pulumi.Resource[];
}

export class BaseImage extends pulumi.ComponentResource {
  public readonly volumeName: pulumi.Output<string>;
  public readonly format: pulumi.Output<'qcow2' | 'raw'>;
  /** SHA-256 of the image file (changes replace the base volume and every overlay). */
  public readonly sha256: pulumi.Output<string>;
  public readonly ready: pulumi.Resource;

  constructor(name: string, args: BaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:image:BaseImage', name, {}, opts);
    const { config: cfg, plan } = args;
    // After the pool and networks: an image the libvirt host serves on the stack's uplink (the offline
    // bundle's lab:imageUrl) is reachable only once that network has given the host its address. Found by
    // the lab suite: fetched in parallel, the download went out to the default route instead.
    const fetch = hostCommand(`${name}-fetch`, imageFetchCommands(cfg), { parent: this, dependsOn: args.dependsOn });
    const image = fetch.stdout.apply(parseImageFetchOutput);
    const upload = hostCommand(
      `${name}-volume`,
      baseVolumeCommands<pulumi.Input<string>>(cfg.libvirtUri, plan, image.path, image.format),
      { parent: this, dependsOn: args.dependsOn },
      // New image content replaces the base volume (and with it every overlay). The cached file's path
      // is printed relative to the project (lab:imageCacheDir is relative by default), so the same lab
      // driven from another checkout does not look like a change.
      { replace: true, triggers: [image.sha256] },
    );
    this.ready = upload;
    this.volumeName = upload.stdout.apply(() => plan.baseVolume);
    this.format = image.format;
    this.sha256 = image.sha256;
    this.registerOutputs({ volumeName: this.volumeName, format: this.format, sha256: this.sha256 });
  }
}
