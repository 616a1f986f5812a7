/**
 * The lab's configuration: every `lab:` key, its default and its check, in ONE place.
 *
 * `CONFIG_KEYS` below is the source of truth for defaults. Pulumi.yaml repeats each key with a
 * description and the same value as documentation (a namespaced key there may only carry `value`,
 * not `default`); test/components/config.test.ts asserts both agree.
 *
 * `parseLabConfig` is pure: it turns raw strings (as `pulumi config` stores them) into a typed
 * `LabConfig`, or throws a `LabConfigError` naming the key, the value and what was expected, before
 * anything is created. `loadLabConfig` reads `pulumi.Config('lab')` once (index.ts calls it).
 */
import { cidrsOverlap as networksOverlap, parseCidr, type Cidr } from './verifier/net/cidr';
import { CILIUM_REPO, checkLocalChart, localChartPath, parseAptSources, parseChartSource, parseRegistryMirrors, type AptSource, type ChartSource } from './sources';
import { REPO_ROOT } from './repo';

export type Encryption = 'none' | 'ipsec' | 'wireguard';
export const ENCRYPTIONS: readonly Encryption[] = ['none', 'ipsec', 'wireguard'];
export type DomainType = 'kvm' | 'qemu';
/** libvirt's disk driver cache modes (formatdomain "Hard drives, floppy disks, CDROMs": driver cache), and 'default'. */
export const DISK_CACHES = ['default', 'none', 'writethrough', 'writeback', 'directsync', 'unsafe'] as const;
export type DiskCache = (typeof DISK_CACHES)[number];
export type GuestOs = 'ubuntu-24.04' | 'debian-13';
export const GUEST_OSES: readonly GuestOs[] = ['ubuntu-24.04', 'debian-13'];
export type Role = 'router' | 'control-plane' | 'worker';

export interface VmSize {
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
}

export interface LabConfig {
  /** Pulumi stack name (as given) and its slug used in libvirt names. */
  stack: string;
  stackSlug: string;
  /** Prefix of every libvirt object name: `cil-<stackSlug>-`. */
  prefix: string;
  encryption: Encryption;
  libvirtUri: string;
  /** `user@host[:port]` to reach the router through (remote libvirt host); undefined = direct. */
  sshProxy?: string;
  imageUrl: string;
  /** `sha256:<64 hex>`, the URL of a SHA256SUMS file, or '' (only allowed for a local image). */
  imageChecksum: string;
  kubernetesVersion: string;
  ciliumVersion: string;
  /** Where the Helm release takes the chart from (lab:ciliumChart). */
  ciliumChart: ChartSource;
  seg1Subnet: string;
  seg2Subnet: string;
  uplinkSubnet: string;
  podCidr: string;
  podCidrMaskSize: number;
  serviceCidr: string;
  /** host:port written into the exported kubeconfig; '' = the router's uplink address, port 6443. */
  apiEndpoint: string;
  sizes: Record<Role, VmSize>;
  ipsecKeyId: number;
  /** WireGuard options (lab:encryption wireguard only; validated to be off on the other modes). */
  wireguard: WireguardOptions;
  domainType: DomainType;
  /** libvirt CPU: host-passthrough, host-model, maximum, or a named QEMU model (lab:cpuModel, resolved). */
  cpuModel: string;
  /** Raised timeouts, leases and probes for slow (nested or emulated) hosts (lab:slowHost). */
  slowHost: boolean;
  /** The VMs' root disk cache mode (lab:diskCache). */
  diskCache: DiskCache;
  /** Cilium's Envoy proxy (the chart's default); false: envoy.enabled=false and l7Proxy=false (lab:ciliumEnvoy). */
  ciliumEnvoy: boolean;
  guestOs: GuestOs;
  /** Replace the guests' distribution sources (and pkgs.k8s.io) when not empty. */
  aptSources: AptSource[];
  /** Registry host -> mirror endpoint URL (containerd hosts.toml). */
  registryMirrors: Record<string, string>;
  storagePoolDir: string;
  imageCacheDir: string;
  captureInterface: string;
  captureRun: number;
  pingCount: number;
  httpRequests: number;
  serverImage: string;
  clientImage: string;
}

export interface WireguardOptions {
  /** encryption.nodeEncryption: also encrypt node-to-node host traffic. */
  nodeEncryption: boolean;
  /** Strict mode: `off`, `egress` (drop unencrypted pod traffic leaving a node for the pod CIDR), or
   *  `egress+ingress` (also drop unencrypted pod traffic arriving; Cilium 1.19 and newer). */
  strictMode: WireguardStrictMode;
}
export type WireguardStrictMode = 'off' | 'egress' | 'egress+ingress';
export const WIREGUARD_STRICT_MODES: readonly WireguardStrictMode[] = ['off', 'egress', 'egress+ingress'];
/** First chart version with `encryption.strictMode.ingress` (Cilium 1.19 upgrade notes, "Agent Options"). */
export const STRICT_INGRESS_SINCE: [number, number] = [1, 19];

export class LabConfigError extends Error {
  /** Marks it as a Pulumi RunError (`RunError.isInstance` checks this flag): `pulumi up` then prints the
   *  message alone, without a stack trace. Kept as a flag so this module needs no Pulumi import. */
  public readonly __pulumiRunError = true;

  constructor(
    public readonly key: string,
    public readonly value: string | undefined,
    public readonly expected: string,
  ) {
    super(`lab:${key} = ${value === undefined ? '(unset)' : JSON.stringify(value)}: expected ${expected}`);
    this.name = 'LabConfigError';
  }
}

export interface KeySpec {
  /** Default as the string Pulumi config would hold ('' = unset/derived). */
  default: string;
  description: string;
}

/**
 * The CPU model of `qemu` (TCG) domains when lab:cpuModel is empty. Under emulation it hashes and runs
 * ChaCha20-Poly1305 (Go's TLS choice without AES-NI) faster than `maximum`, which encrypts AES-GCM
 * faster (scripts/bench-tcg-cpu.sh; figures in the README, "Slow hosts").
 */
export const TCG_CPU_MODEL = 'qemu64';
/** The libvirt CPU modes that are not a named model. */
export const CPU_MODES = ['host-passthrough', 'host-model', 'maximum'] as const;

/** Every `lab:` key. The defaults here are the source of truth (Pulumi.yaml mirrors them). */
export const CONFIG_KEYS = {
  encryption: { default: 'none', description: 'Pod-to-pod encryption: none | ipsec | wireguard.' },
  libvirtUri: {
    default: 'qemu:///system',
    description: 'libvirt connection URI; qemu+ssh://user@host/system works (images and seeds are uploaded with virsh vol-upload).',
  },
  sshProxy: {
    default: '',
    description: 'user@host[:port] jump host used to SSH to the router; empty = derived from a qemu+ssh URI, else direct.',
  },
  imageUrl: {
    // Pinned by digest so every lab boots the same bytes. Ubuntu moves dated releases from
    // cloud-images.ubuntu.com to cloud-images-archive.ubuntu.com after a few months, so the archive URL is the stable one.
    default: 'https://cloud-images-archive.ubuntu.com/releases/noble/release-20250516/ubuntu-24.04-server-cloudimg-amd64.img',
    description: 'Guest base image (qcow2): https:// URL, file:// URL or local path. Downloaded once to .lab/images.',
  },
  imageChecksum: {
    // Empty in the project file so that a stack that changes lab:imageUrl alone is seen without a
    // checksum (a project value would reach the program as if the stack had set it).
    default: '',
    description: "sha256:<hex>, or the URL of the release SHA256SUMS file; empty = the default image's pinned digest (a custom https lab:imageUrl needs its own; a local image may have none).",
  },
  kubernetesVersion: { default: '1.33.2', description: 'Kubernetes version (kubeadm, kubelet, kubectl from pkgs.k8s.io).' },
  ciliumVersion: {
    default: '1.18.12',
    description: "Cilium Helm chart version. 1.18+: VXLAN inside ESP; 1.17.x reproduces the manual method's frame (ESP inside VXLAN).",
  },
  ciliumChart: {
    default: CILIUM_REPO,
    description: 'Where the Cilium chart comes from: a chart repository URL, the URL of cilium-<lab:ciliumVersion>.tgz, or a local chart .tgz or directory (absolute or relative to the project).',
  },
  seg1Subnet: { default: '192.168.211.0/24', description: "Segment 1 (router, control-plane, worker1); the manual method's worker1 side." },
  seg2Subnet: { default: '192.168.44.0/24', description: "Segment 2 (router, worker2); the manual method's worker2 side." },
  uplinkSubnet: { default: '192.168.210.0/24', description: 'NAT uplink of the router (libvirt host side is .1).' },
  podCidr: { default: '10.0.0.0/8', description: "Cilium cluster-pool IPv4 CIDR = kubeadm podSubnet (Cilium's default)." },
  podCidrMaskSize: { default: '24', description: 'Per-node pod CIDR mask size (Cilium clusterPoolIPv4MaskSize).' },
  serviceCidr: { default: '172.30.0.0/16', description: 'Kubernetes service CIDR (outside the pod CIDR and the node subnets).' },
  apiEndpoint: {
    default: '',
    description: "host:port of the API server in the exported kubeconfig; empty = the router's uplink IP:6443 (DNAT to the control-plane).",
  },
  routerVcpus: { default: '1', description: 'Router vCPUs.' },
  routerMemoryMiB: { default: '768', description: 'Router memory (MiB).' },
  routerDiskGiB: { default: '10', description: 'Router disk (GiB, thin overlay).' },
  controlPlaneVcpus: { default: '2', description: "Control-plane vCPUs (kubeadm asks for 2; with 1 the lab ignores kubeadm's NumCPU preflight check)." },
  controlPlaneMemoryMiB: { default: '3072', description: 'Control-plane memory (MiB).' },
  controlPlaneDiskGiB: { default: '20', description: 'Control-plane disk (GiB, thin overlay).' },
  workerVcpus: { default: '2', description: 'Worker vCPUs (each).' },
  workerMemoryMiB: { default: '2048', description: 'Worker memory (MiB, each).' },
  workerDiskGiB: { default: '20', description: 'Worker disk (GiB, thin overlay, each).' },
  ipsecKeyId: { default: '3', description: 'IPsec key id = SPI, 1..15 (the manual method in the README uses SPI 3). Raise by one to rotate.' },
  wireguardNodeEncryption: {
    default: 'false',
    description: 'WireGuard only: true also encrypts node-to-node host traffic (Cilium encryption.nodeEncryption).',
  },
  wireguardStrictMode: {
    default: 'off',
    description: 'WireGuard only: off | egress (drop unencrypted pod-to-pod egress for lab:podCidr) | egress+ingress (also ingress; Cilium 1.19+).',
  },
  domainType: { default: 'kvm', description: "libvirt domain type: kvm, or qemu (software emulation) where KVM can't run guests." },
  cpuModel: {
    default: '',
    description: `Guest CPU: host-passthrough or host-model (kvm only), maximum, or a QEMU model name (e.g. qemu64); empty = host-passthrough on kvm, ${TCG_CPU_MODEL} on qemu.`,
  },
  slowHost: {
    default: 'false',
    description: "true on a slow (nested or emulated) host: longer kubeadm timeouts, control-plane leader-election leases and probes, Cilium agent probes.",
  },
  diskCache: {
    default: 'default',
    description:
      "The VMs' root disk cache mode (libvirt disk driver cache): default (QEMU's), none, writethrough, writeback, directsync, or unsafe (ignores flushes: fast, but a host crash can corrupt the disks; throwaway labs only).",
  },
  ciliumEnvoy: {
    default: 'true',
    description:
      "true: Cilium's Envoy DaemonSet and L7 proxy, as the chart deploys them; false: envoy.enabled=false and l7Proxy=false (no L7 policy, Ingress or Gateway API; pod-to-pod encryption does not use Envoy; the offline bundle has no Envoy image).",
  },
  guestOs: { default: 'ubuntu-24.04', description: 'Guest distribution of lab:imageUrl: ubuntu-24.04 or debian-13 (a debian-13 image must be given in lab:imageUrl).' },
  aptSources: {
    default: '[]',
    description: 'apt sources (one-line form) that replace the guests\' distribution sources and pkgs.k8s.io for everything the VMs install; empty = the internet defaults.',
  },
  registryMirrors: {
    default: '{}',
    description: 'Registry host (or _default) -> mirror URL; the nodes pull images of that registry from the mirror only (containerd hosts.toml). Empty = the registries.',
  },
  storagePoolDir: { default: '/var/lib/libvirt/images', description: 'Base directory on the libvirt host; the stack pool is <dir>/cil-<stack>.' },
  imageCacheDir: { default: '.lab/images', description: 'Download cache for the base image on the machine running Pulumi.' },
  captureInterface: { default: 'seg2', description: "Router interface tcpdump listens on: seg1, seg2, uplink or any." },
  captureRun: { default: '1', description: 'Capture run counter; raise it to capture again on an existing lab.' },
  pingCount: { default: '10', description: 'ICMP echo requests per capture run.' },
  httpRequests: { default: '5', description: 'HTTP requests per capture run.' },
  serverImage: {
    default: 'docker.io/library/nginx:1.27.3-alpine',
    description: 'Server pod image (pinned tag or digest).',
  },
  clientImage: {
    default: 'docker.io/nicolaka/netshoot:v0.13',
    description: 'Client pod image with ping and curl (pinned tag or digest).',
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

/** Cilium's ipsec key id is 4 bits wide and 0 means "no key". */
export const SPI_MIN = 1;
export const SPI_MAX = 15;
export const CAPTURE_INTERFACES = ['seg1', 'seg2', 'uplink', 'any'] as const;

type Raw = Record<string, string | undefined>;

function get(raw: Raw, key: ConfigKey): string {
  const v = raw[key];
  if (v === undefined || v.trim() === '') return CONFIG_KEYS[key].default;
  return v.trim();
}

function intIn(raw: Raw, key: ConfigKey, min: number, max: number): number {
  const v = get(raw, key);
  if (!/^\d+$/.test(v)) throw new LabConfigError(key, raw[key], `an integer from ${min} to ${max}`);
  const n = Number(v);
  if (n < min || n > max) throw new LabConfigError(key, raw[key], `an integer from ${min} to ${max}`);
  return n;
}

/**
 * How much longer the lab's own waits are on a slow host (lab:slowHost). Under emulation on 2 cores the
 * Cilium agents took about 18 minutes from the Helm install to every node Ready, against a 15-minute
 * wait (README, "Slow hosts"); the waits end as soon as their condition holds, so a longer bound costs
 * nothing when things go well.
 */
export const SLOW_HOST_WAIT_FACTOR = 4;

/** The bound of one of the lab's waits, in seconds, for this host. */
export function waitSeconds(cfg: Pick<LabConfig, 'slowHost'>, seconds: number): number {
  return cfg.slowHost ? seconds * SLOW_HOST_WAIT_FACTOR : seconds;
}

function bool(raw: Raw, key: ConfigKey): boolean {
  const v = get(raw, key);
  if (v !== 'true' && v !== 'false') throw new LabConfigError(key, raw[key], 'true or false');
  return v === 'true';
}

function oneOf<T extends string>(raw: Raw, key: ConfigKey, allowed: readonly T[]): T {
  const v = get(raw, key);
  if (!(allowed as readonly string[]).includes(v)) {
    throw new LabConfigError(key, raw[key], `one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** An IPv4 network (the project's one CIDR parser: four-part decimal, host bits zero), prefix within bounds. */
function cidr(raw: Raw, key: ConfigKey, minLen: number, maxLen: number): Cidr {
  const v = get(raw, key);
  let c: Cidr | undefined;
  try {
    c = parseCidr(v, { family: 'ipv4' });
  } catch {
    c = undefined;
  }
  if (!c || c.bits < minLen || c.bits > maxLen || c.text !== v) {
    throw new LabConfigError(key, raw[key], `an IPv4 network in CIDR form with host bits zero and a prefix length from /${minLen} to /${maxLen} (e.g. ${CONFIG_KEYS[key].default})`);
  }
  return c;
}

/** True when the two IPv4 CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return networksOverlap(parseCidr(a), parseCidr(b));
}

const VERSION = /^\d+\.\d+\.\d+$/;
const IMAGE_REF = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$/;

function image(raw: Raw, key: ConfigKey): string {
  const v = get(raw, key);
  const m = IMAGE_REF.exec(v);
  const pinned = m && (m[3] !== undefined || (m[2] !== undefined && m[2] !== ':latest'));
  if (!m || !pinned) {
    throw new LabConfigError(key, raw[key], 'a fully qualified image reference pinned by a tag other than latest or by @sha256 digest (e.g. docker.io/library/nginx:1.27.3-alpine)');
  }
  return v;
}

/** Whether the image location is on the local filesystem (path or file:// URL). */
export function isLocalImage(url: string): boolean {
  return url.startsWith('file://') || url.startsWith('/') || url.startsWith('./') || url.startsWith('../');
}

/** Derives the SSH jump host from a qemu+ssh URI (`qemu+ssh://user@host:port/system` -> `user@host:port`). */
export function proxyFromUri(uri: string): string | undefined {
  const m = /^[a-z]+\+ssh:\/\/([^/?]+)/.exec(uri);
  return m ? m[1] : undefined;
}

/** Lowercase slug of a stack name usable in libvirt names. */
export function stackSlug(stack: string): string {
  return stack.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** The sha256 of the default lab:imageUrl (Ubuntu's SHA256SUMS for that release): an empty lab:imageChecksum stands for it. */
export const DEFAULT_IMAGE_CHECKSUM = 'sha256:8d6161defd323d24d66f85dda40e64e2b9021aefa4ca879dcbc4ec775ad1bbc5';

/**
 * The checksum image-fetch.sh verifies. Empty (or unset) means the default image's digest, which
 * belongs to the default image only: a custom remote image without its own checksum is refused here,
 * before anything is created, instead of after a full download; a local image may go without one.
 */
function imageChecksumFor(imageUrl: string, given: string | undefined): string {
  const checksum = (given ?? '').trim();
  if (checksum === '') {
    if (imageUrl === CONFIG_KEYS.imageUrl.default) return DEFAULT_IMAGE_CHECKSUM;
    if (isLocalImage(imageUrl)) return '';
    throw new LabConfigError(
      'imageChecksum',
      given,
      `a checksum for lab:imageUrl ${JSON.stringify(imageUrl)} (sha256:<64 lowercase hex> or the URL of its SHA256SUMS file): the default checksum belongs to the default image only`,
    );
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(checksum) && !/^(https?|file):\/\/\S+$/.test(checksum)) {
    throw new LabConfigError('imageChecksum', given, 'sha256:<64 lowercase hex> or the URL of a SHA256SUMS file (empty: the default image\'s digest, or none for a local image)');
  }
  return checksum;
}

/**
 * Pure: raw config strings (keys without the `lab:` prefix) -> LabConfig.
 * Throws LabConfigError on the first problem: key, value and expectation in the message.
 */
export function parseLabConfig(raw: Raw, stack: string): LabConfig {
  for (const k of Object.keys(raw)) {
    if (!(k in CONFIG_KEYS) && raw[k] !== undefined) {
      throw new LabConfigError(k, raw[k], `a known key (one of ${CONFIG_KEY_NAMES.join(', ')})`);
    }
  }
  const slug = stackSlug(stack);
  if (slug === '' || slug.length > 40) {
    throw new LabConfigError('(stack name)', stack, 'a stack name with 1..40 letters, digits or dashes');
  }
  const encryption = oneOf<Encryption>(raw, 'encryption', ENCRYPTIONS);

  const libvirtUri = get(raw, 'libvirtUri');
  if (!/^[a-z][a-z0-9+]*:\/\/[^\s]*$/.test(libvirtUri)) {
    throw new LabConfigError('libvirtUri', raw.libvirtUri, 'a libvirt URI such as qemu:///system or qemu+ssh://user@host/system');
  }
  let sshProxy: string | undefined = get(raw, 'sshProxy') || proxyFromUri(libvirtUri);
  if (sshProxy !== undefined && !/^[A-Za-z0-9._-]+@[A-Za-z0-9.:-]+$/.test(sshProxy)) {
    throw new LabConfigError('sshProxy', raw.sshProxy ?? sshProxy, 'user@host or user@host:port');
  }
  if (sshProxy === '') sshProxy = undefined;

  const imageUrl = get(raw, 'imageUrl');
  if (!/^(https?|file):\/\/\S+$/.test(imageUrl) && !(isLocalImage(imageUrl) && !/\s/.test(imageUrl))) {
    throw new LabConfigError('imageUrl', raw.imageUrl, 'an http(s):// or file:// URL, or an absolute or ./relative path');
  }
  const imageChecksum = imageChecksumFor(imageUrl, raw.imageChecksum);

  const kubernetesVersion = get(raw, 'kubernetesVersion').replace(/^v/, '');
  if (!VERSION.test(kubernetesVersion)) {
    throw new LabConfigError('kubernetesVersion', raw.kubernetesVersion, 'a Kubernetes release as MAJOR.MINOR.PATCH (e.g. 1.33.2)');
  }
  const ciliumVersion = get(raw, 'ciliumVersion').replace(/^v/, '');
  if (!VERSION.test(ciliumVersion)) {
    throw new LabConfigError('ciliumVersion', raw.ciliumVersion, 'a Cilium chart version as MAJOR.MINOR.PATCH (e.g. 1.18.12)');
  }
  const [cMaj, cMin] = ciliumVersion.split('.').map(Number);
  if (cMaj !== 1 || cMin < 16) {
    throw new LabConfigError('ciliumVersion', raw.ciliumVersion, 'Cilium 1.16 or newer (the values builder targets the 1.16+ chart)');
  }
  const ciliumChart = fromParser(raw, 'ciliumChart', (t) => parseChartSource(t, ciliumVersion));

  const seg1 = cidr(raw, 'seg1Subnet', 16, 24);
  const seg2 = cidr(raw, 'seg2Subnet', 16, 24);
  const uplink = cidr(raw, 'uplinkSubnet', 16, 29);
  const pod = cidr(raw, 'podCidr', 8, 22);
  const podCidrMaskSize = intIn(raw, 'podCidrMaskSize', 16, 28);
  if (podCidrMaskSize <= pod.bits) {
    throw new LabConfigError('podCidrMaskSize', raw.podCidrMaskSize, `a mask longer than lab:podCidr ${pod.text}`);
  }
  const service = cidr(raw, 'serviceCidr', 12, 24);
  const [seg1Subnet, seg2Subnet, uplinkSubnet, podCidr, serviceCidr] = [seg1, seg2, uplink, pod, service].map((c) => c.text);
  const nets: [ConfigKey, string][] = [
    ['seg1Subnet', seg1Subnet],
    ['seg2Subnet', seg2Subnet],
    ['uplinkSubnet', uplinkSubnet],
    ['podCidr', podCidr],
    ['serviceCidr', serviceCidr],
  ];
  for (let i = 0; i < nets.length; i++) {
    for (let j = i + 1; j < nets.length; j++) {
      const [ka, va] = nets[i];
      const [kb, vb] = nets[j];
      if (cidrsOverlap(va, vb)) {
        throw new LabConfigError(kb, vb, `a network that does not overlap lab:${ka} ${va}`);
      }
    }
  }

  const apiEndpoint = get(raw, 'apiEndpoint');
  if (apiEndpoint !== '' && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(apiEndpoint)) {
    throw new LabConfigError('apiEndpoint', raw.apiEndpoint, 'host:port (e.g. 127.0.0.1:6443 for an SSH tunnel), or empty');
  }

  const size = (p: 'router' | 'controlPlane' | 'worker', minCpu: number, minMem: number, minDisk: number): VmSize => ({
    vcpus: intIn(raw, `${p}Vcpus` as ConfigKey, minCpu, 64),
    memoryMiB: intIn(raw, `${p}MemoryMiB` as ConfigKey, minMem, 262144),
    diskGiB: intIn(raw, `${p}DiskGiB` as ConfigKey, minDisk, 2048),
  });
  const sizes: Record<Role, VmSize> = {
    router: size('router', 1, 512, 4),
    // kubeadm's preflight wants 2 CPUs; with 1 the lab tells it to ignore NumCPU (kubeadm.ts). Under
    // emulation on a small host one vCPU per VM holds where two collapse (README, "Slow hosts").
    'control-plane': size('controlPlane', 1, 1700, 8),
    worker: size('worker', 1, 1024, 8),
  };

  const ipsecKeyId = intIn(raw, 'ipsecKeyId', SPI_MIN, SPI_MAX);
  const wireguard = wireguardOptions(raw, encryption, [cMaj, cMin]);
  const domainType = oneOf<DomainType>(raw, 'domainType', ['kvm', 'qemu']);
  const cpuModel = cpuModelFor(raw, domainType);
  const slowHost = bool(raw, 'slowHost');
  const ciliumEnvoy = bool(raw, 'ciliumEnvoy');
  const diskCache = oneOf<DiskCache>(raw, 'diskCache', DISK_CACHES);
  const guestOs = guestOsOf(raw, imageUrl);
  const aptSources = fromParser(raw, 'aptSources', parseAptSources);
  const registryMirrors = fromParser(raw, 'registryMirrors', parseRegistryMirrors);
  const storagePoolDir = get(raw, 'storagePoolDir');
  if (!/^\/[A-Za-z0-9._/-]*$/.test(storagePoolDir)) {
    throw new LabConfigError('storagePoolDir', raw.storagePoolDir, 'an absolute directory path on the libvirt host (letters, digits, . _ - /)');
  }
  const imageCacheDir = get(raw, 'imageCacheDir');
  const captureInterface = oneOf(raw, 'captureInterface', CAPTURE_INTERFACES);
  const captureRun = intIn(raw, 'captureRun', 1, 1_000_000);
  const pingCount = intIn(raw, 'pingCount', 1, 10_000);
  const httpRequests = intIn(raw, 'httpRequests', 1, 10_000);
  const serverImage = image(raw, 'serverImage');
  const clientImage = image(raw, 'clientImage');

  return {
    stack,
    stackSlug: slug,
    prefix: `cil-${slug}-`,
    encryption,
    libvirtUri,
    sshProxy,
    imageUrl,
    imageChecksum,
    kubernetesVersion,
    ciliumVersion,
    ciliumChart,
    seg1Subnet,
    seg2Subnet,
    uplinkSubnet,
    podCidr,
    podCidrMaskSize,
    serviceCidr,
    apiEndpoint,
    sizes,
    ipsecKeyId,
    wireguard,
    domainType,
    cpuModel,
    slowHost,
    ciliumEnvoy,
    diskCache,
    guestOs,
    aptSources,
    registryMirrors,
    storagePoolDir,
    imageCacheDir,
    captureInterface,
    captureRun,
    pingCount,
    httpRequests,
    serverImage,
    clientImage,
  };
}

/** A key whose text a parser of sources.ts reads; its Error message is the expectation. */
function fromParser<T>(raw: Raw, key: ConfigKey, parse: (text: string) => T): T {
  try {
    return parse(get(raw, key));
  } catch (e) {
    throw new LabConfigError(key, raw[key], (e as Error).message);
  }
}

/** The CPU of a domain type when lab:cpuModel is empty: the host's own under KVM, TCG_CPU_MODEL under emulation. */
export function defaultCpuModel(domainType: DomainType): string {
  return domainType === 'kvm' ? 'host-passthrough' : TCG_CPU_MODEL;
}

/**
 * The libvirt CPU of the domains. Empty: the host's own CPU under KVM, TCG_CPU_MODEL under emulation.
 * host-passthrough and host-model describe the host's CPU, which only KVM can hand to a guest.
 */
function cpuModelFor(raw: Raw, domainType: DomainType): string {
  const v = get(raw, 'cpuModel');
  if (v === '') return defaultCpuModel(domainType);
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(v)) {
    throw new LabConfigError('cpuModel', raw.cpuModel, `${CPU_MODES.join(', ')}, a QEMU CPU model name (e.g. ${TCG_CPU_MODEL}), or empty`);
  }
  if ((v === 'host-passthrough' || v === 'host-model') && domainType !== 'kvm') {
    throw new LabConfigError('cpuModel', raw.cpuModel, `maximum or a QEMU CPU model name with lab:domainType ${domainType}: ${v} needs KVM`);
  }
  return v;
}

/** The guest distribution; the default image is Ubuntu's, so debian-13 needs its own lab:imageUrl. */
function guestOsOf(raw: Raw, imageUrl: string): GuestOs {
  const guestOs = oneOf<GuestOs>(raw, 'guestOs', GUEST_OSES);
  if (guestOs !== 'ubuntu-24.04' && imageUrl === CONFIG_KEYS.imageUrl.default) {
    throw new LabConfigError('imageUrl', raw.imageUrl, `a ${guestOs} image (URL with lab:imageChecksum, or a local file) with lab:guestOs ${guestOs}: the default image is Ubuntu 24.04`);
  }
  return guestOs;
}

/** True when chart version a >= b (major, minor). */
export function versionAtLeast(a: [number, number], b: [number, number]): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
}

/**
 * The WireGuard keys. A WireGuard option set on another mode is a mistake (it would silently do
 * nothing: Cilium's nodeEncryption "is only effective when encryption.type is set to wireguard", chart
 * values.yaml), so it is refused; so is ingress strict mode on a chart that does not have it.
 */
function wireguardOptions(raw: Raw, encryption: Encryption, chart: [number, number]): WireguardOptions {
  const nodeEncryption = bool(raw, 'wireguardNodeEncryption');
  const strictMode = oneOf<WireguardStrictMode>(raw, 'wireguardStrictMode', WIREGUARD_STRICT_MODES);
  if (encryption !== 'wireguard') {
    if (nodeEncryption) throw new LabConfigError('wireguardNodeEncryption', raw.wireguardNodeEncryption, `false (or unset) with lab:encryption ${encryption}: it applies to wireguard only`);
    if (strictMode !== 'off') throw new LabConfigError('wireguardStrictMode', raw.wireguardStrictMode, `off (or unset) with lab:encryption ${encryption}: it applies to wireguard only`);
  }
  if (strictMode === 'egress+ingress' && !versionAtLeast(chart, STRICT_INGRESS_SINCE)) {
    throw new LabConfigError('wireguardStrictMode', raw.wireguardStrictMode, `off or egress with Cilium ${chart.join('.')}: ingress strict mode needs chart ${STRICT_INGRESS_SINCE.join('.')} or newer (lab:ciliumVersion)`);
  }
  return { nodeEncryption, strictMode };
}

/**
 * Reads every `lab:` key once from the stack's config and parses it (throws LabConfigError). Every
 * `lab:` key present is passed on, so a misspelt key in a stack file fails instead of being ignored.
 */
export function loadLabConfig(): LabConfig {
  // Imported lazily so pure users (the VM suite, the verifier tooling) need no Pulumi runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous and lazy: an import() would make this async
  const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
  const c = new pulumi.Config('lab');
  const raw: Raw = {};
  for (const k of CONFIG_KEY_NAMES) raw[k] = c.get(k);
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
    if (k.startsWith('lab:') && !(k.slice(4) in raw)) raw[k.slice(4)] = v;
  }
  const cfg = parseLabConfig(raw, pulumi.getStack());
  checkChartSource(cfg, REPO_ROOT);
  return cfg;
}

/**
 * What parseLabConfig cannot see without the file system: a local lab:ciliumChart must exist and be
 * Cilium's chart at lab:ciliumVersion (Helm would install whatever version a local chart has).
 */
export function checkChartSource(cfg: LabConfig, root: string): void {
  if (cfg.ciliumChart.kind !== 'local') return;
  const problem = checkLocalChart(localChartPath(cfg.ciliumChart, root), cfg.ciliumVersion);
  if (problem) throw new LabConfigError('ciliumChart', cfg.ciliumChart.path, problem);
}
