/**
 * Pure descriptions of the host-side commands: which script under scripts/host/ runs, with which
 * environment. The Pulumi components hand them to `command.local.Command` (inputs via `environment`,
 * never interpolated into the command text), and the VM suite runs the very same scripts with the very
 * same environment (cwd = repository root).
 *
 * Every `create` is idempotent and every `delete` succeeds when the object is already gone; failures
 * repeat virsh's own error text (scripts/host/lib.sh).
 */
import type { LabConfig } from '../config';
import type { NetworkPlan, TopologyPlan, VmPlan } from '../topology';
import { REPO_ROOT } from '../repo';
import { labDomainXml, networkXml, overlayVolumeXml, poolXml } from './xml';

/** A host command: run `create` (and later `delete`) with `environment`, cwd = repository root. */
export interface HostCommand<T = string> {
  create: string;
  delete?: string;
  environment: Record<string, string | T>;
}

/** Absolute path of the repository root (where `scripts/host` lives). */
export const repoRoot = REPO_ROOT;
export const HOST_SCRIPTS = 'scripts/host';

function script(name: string, verb: string): string {
  return `bash ${HOST_SCRIPTS}/${name} ${verb}`;
}

export function networkCommands(uri: string, net: NetworkPlan): HostCommand {
  return {
    create: script('network.sh', 'create'),
    delete: script('network.sh', 'delete'),
    environment: { LIBVIRT_URI: uri, NET_NAME: net.name, NET_XML: networkXml(net) },
  };
}

export function poolCommands(uri: string, plan: TopologyPlan): HostCommand {
  return {
    create: script('pool.sh', 'create'),
    delete: script('pool.sh', 'delete'),
    environment: { LIBVIRT_URI: uri, POOL_NAME: plan.pool.name, POOL_XML: poolXml(plan.pool) },
  };
}

/**
 * Fetch + verify the base image on the machine running Pulumi (no delete: the cache is kept).
 * stdout is one line `PATH\tFORMAT\tBYTES\tSHA256` (parseImageFetchOutput).
 */
export function imageFetchCommands(cfg: LabConfig): HostCommand {
  return {
    create: script('image-fetch.sh', 'create'),
    environment: { IMAGE_URL: cfg.imageUrl, IMAGE_CHECKSUM: cfg.imageChecksum, CACHE_DIR: cfg.imageCacheDir },
  };
}

export interface FetchedImage {
  path: string;
  format: 'qcow2' | 'raw';
  bytes: number;
  sha256: string;
}

export function parseImageFetchOutput(stdout: string): FetchedImage {
  const line = stdout.trim().split('\n').pop() ?? '';
  const [p, format, bytes, sha256] = line.split('\t');
  if (!p || (format !== 'qcow2' && format !== 'raw') || !/^\d+$/.test(bytes ?? '') || !/^[0-9a-f]{64}$/.test(sha256 ?? '')) {
    throw new Error(`image-fetch.sh printed an unexpected line: ${JSON.stringify(line)}`);
  }
  return { path: p, format, bytes: Number(bytes), sha256 };
}

/** Upload the (local) base image as the stack's base volume. */
export function baseVolumeCommands<T = string>(uri: string, plan: TopologyPlan, sourceFile: string | T, format: string | T): HostCommand<T> {
  return {
    create: script('volume.sh', 'upload'),
    delete: script('volume.sh', 'delete'),
    environment: { LIBVIRT_URI: uri, POOL_NAME: plan.pool.name, VOL_NAME: plan.baseVolume, SOURCE_FILE: sourceFile, VOL_FORMAT: format },
  };
}

/** The VM's copy-on-write overlay over the base volume. */
export function overlayVolumeCommands(uri: string, plan: TopologyPlan, vm: VmPlan, baseFormat: 'qcow2' | 'raw' = 'qcow2'): HostCommand {
  return {
    create: script('volume.sh', 'create'),
    delete: script('volume.sh', 'delete'),
    environment: { LIBVIRT_URI: uri, POOL_NAME: plan.pool.name, VOL_NAME: vm.diskVolume, VOL_XML: overlayVolumeXml(plan, vm, baseFormat) },
  };
}

export interface SeedFiles<T = string> {
  userData: string | T;
  metaData: string | T;
  networkConfig: string | T;
}

/** Build the NoCloud seed ISO locally and upload it as the VM's seed volume. */
export function seedVolumeCommands<T = string>(uri: string, plan: TopologyPlan, vm: VmPlan, seed: SeedFiles<T>): HostCommand<T> {
  return {
    create: script('seed.sh', 'create'),
    delete: script('seed.sh', 'delete'),
    environment: {
      LIBVIRT_URI: uri,
      POOL_NAME: plan.pool.name,
      VOL_NAME: vm.seedVolume,
      USER_DATA: seed.userData,
      META_DATA: seed.metaData,
      NETWORK_CONFIG: seed.networkConfig,
    },
  };
}

export function domainCommands(uri: string, plan: TopologyPlan, vm: VmPlan, domainType: LabConfig['domainType'], cpuModel?: string, diskCache?: LabConfig['diskCache']): HostCommand {
  return {
    create: script('domain.sh', 'create'),
    delete: script('domain.sh', 'delete'),
    environment: { LIBVIRT_URI: uri, DOMAIN_NAME: vm.domain, DOMAIN_XML: labDomainXml(plan, vm, domainType, cpuModel, diskCache) },
  };
}
