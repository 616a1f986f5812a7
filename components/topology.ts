/**
 * Pure plan of the lab's libvirt objects and addresses, from the config alone.
 *
 *        uplink (libvirt NAT, <uplinkSubnet>, host = .1)
 *              |
 *           router (.2 uplink; .1 on each segment; forwards, NATs to uplink, DNATs :6443)
 *            /                 \
 *   seg1 (isolated L2)      seg2 (isolated L2)
 *   control-plane .10        worker2 .128
 *   worker1 .128
 *
 * Segments have no host-side address: the nodes reach the outside only through the router.
 * Every libvirt name starts with `cil-<stack>-`; bridge names fit Linux's 15 characters.
 */
import { createHash } from 'crypto';
import * as ipaddr from 'ipaddr.js';
import type { LabConfig, Role, VmSize } from './config';

export type NetworkId = 'uplink' | 'seg1' | 'seg2';

export interface NetworkPlan {
  id: NetworkId;
  /** libvirt network name, `cil-<stack>-<id>`. */
  name: string;
  /** Linux bridge name (<= 15 characters). */
  bridge: string;
  subnet: string;
  prefixLength: number;
  netmask: string;
  /** Only the uplink has a host-side address (libvirt NAT + DNS); segments are isolated L2. */
  kind: 'nat' | 'isolated';
  /** Host-side (libvirt) address on the uplink; undefined for segments. */
  hostAddress?: string;
}

export interface InterfacePlan {
  network: NetworkId;
  /** Interface name inside the guest, set by cloud-init (match by MAC). */
  name: string;
  mac: string;
  address: string;
  prefixLength: number;
  /** Default gateway via this interface, if any. */
  gateway?: string;
}

export interface VmPlan {
  /** Short role name: router, control-plane, worker1, worker2. */
  name: string;
  role: Role;
  /** libvirt domain name `cil-<stack>-<name>`. */
  domain: string;
  /** Guest hostname and Kubernetes node name (the short name). */
  hostname: string;
  size: VmSize;
  interfaces: InterfacePlan[];
  /** The address other VMs (and the router) use to reach it. */
  ip: string;
  /** Volume names in the stack's pool. */
  diskVolume: string;
  seedVolume: string;
}

export interface TopologyPlan {
  prefix: string;
  pool: { name: string; path: string };
  baseVolume: string;
  networks: Record<NetworkId, NetworkPlan>;
  router: VmPlan;
  controlPlane: VmPlan;
  workers: VmPlan[];
  /** control-plane, worker1, worker2 (kubeadm order). */
  nodes: VmPlan[];
  /** All four VMs, router first. */
  vms: VmPlan[];
  /** DNS server for every VM: the libvirt host on the uplink (reached by nodes through the router). */
  dns: string;
  /** API server address as seen from the Pulumi machine (default router uplink IP:6443). */
  apiEndpoint: string;
  /** The control-plane's in-cluster API address. */
  apiServer: { host: string; port: number };
}

/** Host offsets inside each subnet (the manual method's workers are .128). */
export const HOST_OFFSETS = { gateway: 1, routerUplink: 2, controlPlane: 10, worker: 128 } as const;

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Deterministic locally administered MAC in libvirt's 52:54:00 range, unique per stack/vm/network. */
export function macFor(stack: string, vm: string, net: string): string {
  const h = hash(`${stack}/${vm}/${net}`);
  return ['52', '54', '00', ...[h[0], h[1], h[2]].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** `cil-<stack>-<suffix>` when it fits 15 characters, else a shortened stack plus a hash (still starts `cil-`). */
export function bridgeName(stackSlug: string, suffix: string): string {
  const full = `cil-${stackSlug}-${suffix}`;
  if (full.length <= 15) return full;
  const room = 15 - 'cil-'.length - 1 - suffix.length - 4;
  const short = stackSlug.replace(/-/g, '').slice(0, Math.max(room, 1));
  const h = hash(stackSlug).toString('hex').slice(0, 4);
  return `cil-${short}${h}-${suffix}`.slice(0, 15);
}

/** Address at `offset` inside an IPv4 CIDR. */
export function hostAt(cidr: string, offset: number): string {
  const [addr, len] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - len);
  if (offset <= 0 || offset >= size - 1) {
    throw new Error(`offset ${offset} is outside the usable hosts of ${cidr}`);
  }
  const base = addr.toByteArray().reduce((a, b) => a * 256 + b, 0);
  const n = base + offset;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function netmask(len: number): string {
  return ipaddr.IPv4.subnetMaskFromPrefixLength(len).toString();
}

export function planTopology(cfg: LabConfig): TopologyPlan {
  const p = cfg.prefix;
  const mkNet = (id: NetworkId, subnet: string, kind: 'nat' | 'isolated', bridgeSfx: string): NetworkPlan => {
    const len = ipaddr.IPv4.parseCIDR(subnet)[1];
    return {
      id,
      name: `${p}${id}`,
      bridge: bridgeName(cfg.stackSlug, bridgeSfx),
      subnet,
      prefixLength: len,
      netmask: netmask(len),
      kind,
      hostAddress: kind === 'nat' ? hostAt(subnet, HOST_OFFSETS.gateway) : undefined,
    };
  };
  const networks: Record<NetworkId, NetworkPlan> = {
    uplink: mkNet('uplink', cfg.uplinkSubnet, 'nat', 'up'),
    seg1: mkNet('seg1', cfg.seg1Subnet, 'isolated', 's1'),
    seg2: mkNet('seg2', cfg.seg2Subnet, 'isolated', 's2'),
  };
  const nic = (vm: string, net: NetworkId, name: string, offset: number, gateway?: string): InterfacePlan => ({
    network: net,
    name,
    mac: macFor(cfg.stackSlug, vm, net),
    address: hostAt(networks[net].subnet, offset),
    prefixLength: networks[net].prefixLength,
    gateway,
  });
  const vm = (name: string, role: Role, interfaces: InterfacePlan[], ip: string): VmPlan => ({
    name,
    role,
    domain: `${p}${name}`,
    hostname: name,
    size: cfg.sizes[role],
    interfaces,
    ip,
    diskVolume: `${p}${name}.qcow2`,
    seedVolume: `${p}${name}-seed.iso`,
  });
  const uplinkGw = networks.uplink.hostAddress as string;
  const routerUplinkIp = hostAt(cfg.uplinkSubnet, HOST_OFFSETS.routerUplink);
  const seg1Gw = hostAt(cfg.seg1Subnet, HOST_OFFSETS.gateway);
  const seg2Gw = hostAt(cfg.seg2Subnet, HOST_OFFSETS.gateway);
  const router = vm(
    'router',
    'router',
    [
      nic('router', 'uplink', 'uplink', HOST_OFFSETS.routerUplink, uplinkGw),
      nic('router', 'seg1', 'seg1', HOST_OFFSETS.gateway),
      nic('router', 'seg2', 'seg2', HOST_OFFSETS.gateway),
    ],
    routerUplinkIp,
  );
  const cpIp = hostAt(cfg.seg1Subnet, HOST_OFFSETS.controlPlane);
  const controlPlane = vm('control-plane', 'control-plane', [nic('control-plane', 'seg1', 'lab0', HOST_OFFSETS.controlPlane, seg1Gw)], cpIp);
  const w1 = vm('worker1', 'worker', [nic('worker1', 'seg1', 'lab0', HOST_OFFSETS.worker, seg1Gw)], hostAt(cfg.seg1Subnet, HOST_OFFSETS.worker));
  const w2 = vm('worker2', 'worker', [nic('worker2', 'seg2', 'lab0', HOST_OFFSETS.worker, seg2Gw)], hostAt(cfg.seg2Subnet, HOST_OFFSETS.worker));
  return {
    prefix: p,
    pool: { name: `${p}pool`, path: `${cfg.storagePoolDir.replace(/\/+$/, '')}/${p}pool` },
    baseVolume: `${p}base.qcow2`,
    networks,
    router,
    controlPlane,
    workers: [w1, w2],
    nodes: [controlPlane, w1, w2],
    vms: [router, controlPlane, w1, w2],
    dns: uplinkGw,
    apiEndpoint: cfg.apiEndpoint !== '' ? cfg.apiEndpoint : `${routerUplinkIp}:6443`,
    apiServer: { host: cpIp, port: 6443 },
  };
}
