/**
 * Pure cloud-init NoCloud builders: user-data, meta-data and network-config (v2), built as data and
 * serialised with the `yaml` library (no string templates).
 *
 * The seed only makes a machine reachable: hostname, the lab user with its key, static addresses, and on
 * the router the key it uses to reach the nodes. It carries no script of the project and installs
 * nothing: the router's and the nodes' setup (scripts/vm/router-setup.sh, node-setup.sh) run after boot
 * as commands (router.ts, cluster.ts), like every other VM script. A seed change rebuilds the VM, so
 * editing a script must not change it: the edit re-runs the commands of that script and nothing else.
 *
 * Nothing here depends on lab:encryption, so switching encryption never rebuilds a VM.
 */
import * as YAML from 'yaml';
import type { InterfacePlan, TopologyPlan, VmPlan } from './topology';
import type { LabConfig } from './config';
import { aptSourcesDeb822, containerdHostsFiles, type AptSource } from './sources';

/**
 * cloud-init parses YAML 1.1 (PyYAML): serialise as 1.1 so strings such as MAC addresses
 * (52:54:00:12:34:56 is a sexagesimal integer in 1.1), "0644", "yes" or "on" stay strings.
 */
export function toYaml(doc: unknown): string {
  return YAML.stringify(doc, { version: '1.1', lineWidth: 0 });
}

/** The login user on every VM (passwordless sudo, key-only SSH). */
export const LAB_USER = 'lab';
/** Where the router keeps the lab's private key to reach the nodes. */
export const ROUTER_NODE_KEY_PATH = `/home/${LAB_USER}/.ssh/id_ed25519`;

export interface UserDataOptions {
  /** OpenSSH public key authorised for LAB_USER on every VM. */
  sshPublicKey: string;
  /** Router only: the matching private key (OpenSSH format) so the router can reach the nodes. */
  routerPrivateKey?: string;
  /** Where the VM's software comes from (lab:aptSources, lab:registryMirrors); unset = the internet defaults. */
  sources?: Pick<LabConfig, 'aptSources' | 'registryMirrors'>;
}

/**
 * cloud-init's `apt` module config that replaces the distribution's sources with lab:aptSources
 * (cc_apt_configure runs in the config stage, before runcmd, so the router's setup already installs
 * from them). Nothing when the list is empty: the image's own sources stay.
 */
export function aptCloudConfig(sources: readonly AptSource[]): Record<string, unknown> {
  if (sources.length === 0) return {};
  return { apt: { preserve_sources_list: false, sources_list: aptSourcesDeb822(sources) } };
}

/** write_files entries for containerd's registry host configuration (nodes only; the router runs no containerd). */
export function registryMirrorFiles(mirrors: Record<string, string>): Record<string, unknown>[] {
  return Object.entries(containerdHostsFiles(mirrors)).map(([p, content]) => ({ path: p, permissions: '0644', content }));
}

/** Environment of scripts/vm/router-setup.sh (interface names, subnets, API DNAT target). */
export function routerEnv(plan: TopologyPlan): Record<string, string> {
  return {
    UPLINK_IF: 'uplink',
    SEGMENT_IFS: 'seg1 seg2',
    SEGMENT_SUBNETS: `${plan.networks.seg1.subnet} ${plan.networks.seg2.subnet}`,
    API_DNAT_TO: `${plan.apiServer.host}:${plan.apiServer.port}`,
    API_PORT: String(plan.apiServer.port),
  };
}

/** `#cloud-config` user-data for one VM. */
export function userData(plan: TopologyPlan, vm: VmPlan, opts: UserDataOptions): string {
  const writeFiles: Record<string, unknown>[] = [];
  if (vm.role === 'router') {
    if (!opts.routerPrivateKey) throw new Error('the router needs the lab private key (routerPrivateKey)');
    writeFiles.push({
      path: ROUTER_NODE_KEY_PATH,
      permissions: '0600',
      owner: `${LAB_USER}:${LAB_USER}`,
      content: opts.routerPrivateKey.endsWith('\n') ? opts.routerPrivateKey : opts.routerPrivateKey + '\n',
      defer: true,
    });
  } else {
    writeFiles.push(...registryMirrorFiles(opts.sources?.registryMirrors ?? {}));
  }
  const doc = {
    hostname: vm.hostname,
    fqdn: vm.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    package_update: false,
    package_upgrade: false,
    ...aptCloudConfig(opts.sources?.aptSources ?? []),
    users: [
      {
        name: LAB_USER,
        gecos: 'cilium-ipsec-lab',
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: [opts.sshPublicKey.trim()],
      },
    ],
    ...(writeFiles.length > 0 ? { write_files: writeFiles } : {}),
  };
  return '#cloud-config\n' + toYaml(doc);
}

/** NoCloud meta-data: a stable instance id per stack and VM. */
export function metaData(vm: VmPlan): string {
  return toYaml({ 'instance-id': vm.domain, 'local-hostname': vm.hostname });
}

function ethernet(plan: TopologyPlan, i: InterfacePlan): Record<string, unknown> {
  const eth: Record<string, unknown> = {
    match: { macaddress: i.mac },
    'set-name': i.name,
    dhcp4: false,
    dhcp6: false,
    'accept-ra': false,
    addresses: [`${i.address}/${i.prefixLength}`],
  };
  if (i.gateway) {
    // 0.0.0.0/0 rather than netplan's `default`: cloud-init before 23 (Debian bookworm) rejects `default`.
    eth.routes = [{ to: '0.0.0.0/0', via: i.gateway }];
    eth.nameservers = { addresses: [plan.dns] };
  }
  return eth;
}

/** network-config v2: static addresses, interfaces matched by MAC and renamed (router: uplink/seg1/seg2). */
export function networkConfig(plan: TopologyPlan, vm: VmPlan): string {
  const ethernets: Record<string, unknown> = {};
  for (const i of vm.interfaces) ethernets[i.name] = ethernet(plan, i);
  return toYaml({ version: 2, ethernets });
}

/** The three seed files of one VM. */
export function seedFiles(plan: TopologyPlan, vm: VmPlan, opts: UserDataOptions): { userData: string; metaData: string; networkConfig: string } {
  return { userData: userData(plan, vm, opts), metaData: metaData(vm), networkConfig: networkConfig(plan, vm) };
}
