/**
 * Pure libvirt XML builders (network, pool, volume, domain). Every document they return validates with
 * `virt-xml-validate` (test/components/libvirt/xml.test.ts). No I/O, no Pulumi.
 */
import { CPU_MODES, defaultCpuModel, type DiskCache, type DomainType } from '../config';
import type { NetworkPlan, TopologyPlan, VmPlan } from '../topology';

/** Escapes text for XML attribute values and element content. */
export function xmlEscape(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
const e = xmlEscape;

/**
 * Network XML. The uplink is a libvirt NAT network with a host address (DNS from libvirt's dnsmasq,
 * no DHCP: the router is addressed statically). Segments are isolated bridges WITHOUT any host
 * address, so the libvirt host is not on them and cannot route for the nodes.
 */
export function networkXml(net: NetworkPlan): string {
  const lines = [`<network>`, `  <name>${e(net.name)}</name>`];
  if (net.kind === 'nat') lines.push(`  <forward mode='nat'/>`);
  lines.push(`  <bridge name='${e(net.bridge)}' stp='on' delay='0'/>`);
  if (net.kind === 'nat') {
    lines.push(`  <ip address='${e(net.hostAddress as string)}' netmask='${e(net.netmask)}'/>`);
  }
  lines.push(`</network>`);
  return lines.join('\n') + '\n';
}

/** A directory pool on the libvirt host (created by `virsh pool-build`, so it works over qemu+ssh). */
export function poolXml(pool: { name: string; path: string }): string {
  return [
    `<pool type='dir'>`,
    `  <name>${e(pool.name)}</name>`,
    `  <target>`,
    `    <path>${e(pool.path)}</path>`,
    `  </target>`,
    `</pool>`,
  ].join('\n') + '\n';
}

export interface VolumeSpec {
  name: string;
  capacityBytes: number;
  format: 'qcow2' | 'raw';
  /** Copy-on-write backing file (absolute path on the libvirt host) and its format. */
  backing?: { path: string; format: 'qcow2' | 'raw' };
}

export function volumeXml(v: VolumeSpec): string {
  const lines = [
    `<volume type='file'>`,
    `  <name>${e(v.name)}</name>`,
    `  <capacity unit='bytes'>${e(Math.round(v.capacityBytes))}</capacity>`,
    `  <target>`,
    `    <format type='${e(v.format)}'/>`,
    `  </target>`,
  ];
  if (v.backing) {
    lines.push(
      `  <backingStore>`,
      `    <path>${e(v.backing.path)}</path>`,
      `    <format type='${e(v.backing.format)}'/>`,
      `  </backingStore>`,
    );
  }
  lines.push(`</volume>`);
  return lines.join('\n') + '\n';
}

/** The copy-on-write overlay of one VM over the stack's base volume. */
export function overlayVolumeXml(plan: TopologyPlan, vm: VmPlan, baseFormat: 'qcow2' | 'raw' = 'qcow2'): string {
  return volumeXml({
    name: vm.diskVolume,
    capacityBytes: vm.size.diskGiB * 1024 ** 3,
    format: 'qcow2',
    backing: { path: `${plan.pool.path}/${plan.baseVolume}`, format: baseFormat },
  });
}

export interface DomainSpec {
  vm: VmPlan;
  domainType: DomainType;
  /** lab:cpuModel as config.ts resolves it; unset = the domain type's default (config.ts defaultCpuModel). */
  cpuModel?: string;
  /** lab:diskCache: the root disk's cache mode; 'default' leaves it to QEMU (writeback). */
  diskCache?: DiskCache;
  poolName: string;
  /** libvirt network name per interface network id. */
  networks: Record<string, string>;
}

/**
 * Domain XML: overlay disk (virtio), NoCloud seed as a read-only SATA cdrom, one virtio NIC per
 * planned interface with its fixed MAC, serial console, virtio RNG. Disks reference pool volumes
 * (type='volume'), so the XML does not depend on paths on the libvirt host.
 * acpi/apic always (without acpi, poweroff hangs).
 */
export function domainXml(spec: DomainSpec): string {
  const { vm } = spec;
  const cpu = cpuXml(spec.cpuModel ?? defaultCpuModel(spec.domainType));
  const nics = vm.interfaces.map((i) =>
    [
      `    <interface type='network'>`,
      `      <mac address='${e(i.mac)}'/>`,
      `      <source network='${e(spec.networks[i.network])}'/>`,
      `      <model type='virtio'/>`,
      `    </interface>`,
    ].join('\n'),
  );
  return [
    `<domain type='${e(spec.domainType)}'>`,
    `  <name>${e(vm.domain)}</name>`,
    `  <memory unit='MiB'>${e(vm.size.memoryMiB)}</memory>`,
    `  <vcpu placement='static'>${e(vm.size.vcpus)}</vcpu>`,
    `  <os>`,
    `    <type arch='x86_64'>hvm</type>`,
    `    <boot dev='hd'/>`,
    `  </os>`,
    `  <features>`,
    `    <acpi/>`,
    `    <apic/>`,
    `  </features>`,
    `  ${cpu}`,
    `  <clock offset='utc'/>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    `    <disk type='volume' device='disk'>`,
    `      <driver name='qemu' type='qcow2'${spec.diskCache && spec.diskCache !== 'default' ? ` cache='${e(spec.diskCache)}'` : ''}/>`,
    `      <source pool='${e(spec.poolName)}' volume='${e(vm.diskVolume)}'/>`,
    `      <target dev='vda' bus='virtio'/>`,
    `    </disk>`,
    `    <disk type='volume' device='cdrom'>`,
    `      <driver name='qemu' type='raw'/>`,
    `      <source pool='${e(spec.poolName)}' volume='${e(vm.seedVolume)}'/>`,
    `      <target dev='sda' bus='sata'/>`,
    `      <readonly/>`,
    `    </disk>`,
    ...nics,
    `    <serial type='pty'>`,
    `      <target port='0'/>`,
    `    </serial>`,
    `    <console type='pty'>`,
    `      <target type='serial' port='0'/>`,
    `    </console>`,
    `    <rng model='virtio'>`,
    `      <backend model='random'>/dev/urandom</backend>`,
    `    </rng>`,
    `  </devices>`,
    `</domain>`,
  ].join('\n') + '\n';
}

/**
 * The domain's <cpu>: a libvirt CPU mode (host-passthrough, host-model, maximum) as the mode, any other
 * name as a QEMU model that must exist as named (fallback='forbid': libvirt fails instead of picking
 * another model). libvirt docs, formatdomain "CPU model and topology".
 */
export function cpuXml(model: string): string {
  if ((CPU_MODES as readonly string[]).includes(model)) return `<cpu mode='${e(model)}'/>`;
  return `<cpu mode='custom' match='exact'><model fallback='forbid'>${e(model)}</model></cpu>`;
}

/** Domain XML for a planned VM of the lab. */
export function labDomainXml(plan: TopologyPlan, vm: VmPlan, domainType: DomainType, cpuModel?: string, diskCache?: DiskCache): string {
  return domainXml({
    vm,
    domainType,
    cpuModel,
    diskCache,
    poolName: plan.pool.name,
    networks: Object.fromEntries(Object.values(plan.networks).map((n) => [n.id, n.name])),
  });
}
