/**
 * The offline bundle's recipe: what is built (pieces), from what (versions, Debian packages, the
 * scripts that build them), and where each result is cached.
 *
 * A piece's cache key is a hash of everything that decides its result: its name, version and inputs,
 * the content of the files that build it, and the keys of the pieces it reads. Same key, same result:
 * a warm bundle reuses every directory and starts in seconds; changing a version, a package list or a
 * build script rebuilds that piece and what depends on it, nothing else. The cache lives outside the
 * clone (default ~/.cache/cilium-ipsec-lab/bundle) so a fresh clone on the same machine reuses it.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../repo';

export interface BundleVersions {
  /** k8s.io/kubernetes, the newest v1.33 patch the Go module proxy serves. */
  kubernetes: string;
  /** The etcd kubeadm v1.33 asks for (cmd/kubeadm/app/constants: etcd 3.5.24-0). */
  etcd: string;
  etcdImageRevision: string;
  coredns: string;
  pause: string;
  /** The lab's supported Cilium (chart and images). */
  cilium: string;
  debianSuite: string;
}

export const DEFAULT_VERSIONS: BundleVersions = {
  kubernetes: '1.33.13',
  etcd: '3.5.24',
  etcdImageRevision: '0',
  coredns: '1.12.0',
  pause: '3.10',
  cilium: '1.18.4',
  debianSuite: 'trixie',
};

/**
 * The agent's hive start limit in the bundle's own build (pkg/hive/hive.go StartTimeout, 5 minutes
 * upstream, a constant). Under software emulation on 2 cores the agent's start alone took about 4
 * minutes, so the upstream limit aborts it; this is a test-bed setting, never a product default.
 */
export const CILIUM_START_TIMEOUT = '30 * time.Minute';

/** The binaries of k8s.io/kubernetes the bundle builds (kube-proxy: the lab skips addon/kube-proxy). */
export const KUBERNETES_BINARIES = ['kubeadm', 'kubelet', 'kubectl', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/**
 * Debian packages of the nodes' apt repository, besides the Kubernetes packages: what
 * scripts/vm/node-kube-install.sh installs, what the kubelet package depends on
 * (kubernetes/release cmd/krel/templates/latest/kubelet/kubelet.spec: iptables, mount, util-linux,
 * kubernetes-cni) and kubernetes-cni's Debian content (containernetworking-plugins).
 */
export const NODE_DEBIAN_PACKAGES = [
  'containerd', 'runc', 'apt-transport-https', 'ca-certificates', 'curl', 'gpg', 'conntrack', 'socat',
  'iptables', 'mount', 'util-linux', 'containernetworking-plugins', 'ethtool', 'ebtables', 'iproute2',
];

/** The package lists of the Debian-based images. */
export const ROOTFS_PACKAGES = {
  // images/runtime/install-runtime-deps.sh (iproute2 iptables ipset kmod ca-certificates) and the
  // runtime Dockerfile (jq, clang/llc from cilium-llvm, bpftool), plus what the chart's init containers
  // and hooks run (sh, mount, nsenter from util-linux, cp) and the loopback CNI plugin.
  cilium: ['iproute2', 'iptables', 'ipset', 'kmod', 'ca-certificates', 'jq', 'clang', 'llvm', 'bpftool', 'util-linux', 'mount', 'containernetworking-plugins'],
  server: ['nginx'],
  client: ['iputils-ping', 'curl', 'ca-certificates'],
  // Extracted, not installed: the files of distroless/static's base.
  static: ['base-files', 'base-passwd', 'netbase', 'tzdata', 'media-types', 'ca-certificates'],
};

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LAB_BUNDLE_CACHE) return env.LAB_BUNDLE_CACHE;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'cilium-ipsec-lab', 'bundle');
}

export interface BundleOptions {
  cacheDir: string;
  versions: BundleVersions;
  debianMirror: string;
  ciliumStartTimeout: string;
}

/** What a TypeScript piece gets: its output and scratch directories and the outputs of its dependencies. */
export interface PieceContext {
  out: string;
  work: string;
  deps: Record<string, string>;
  log: (line: string) => void;
}

export interface Piece {
  name: string;
  /** Shown in the timing table. */
  version: string;
  /** Where it comes from, for the timing table ("Go module proxy", "Debian trixie", ...). */
  source: string;
  /** Pieces whose output this one reads. */
  deps: string[];
  /** Part of the key; a script piece gets them as environment variables. */
  inputs: Record<string, string>;
  /** Repository files whose content is part of the key (the scripts or modules that build it). */
  files: string[];
  /** Scheduling lane: pieces of one lane run one at a time, lanes run side by side. */
  lane: 'go' | 'debian' | 'assemble';
  /** A script under scripts/ run with bash, or a TypeScript step. */
  script?: string;
  build?: (ctx: PieceContext) => Promise<void>;
}

const BUNDLE_SCRIPTS = 'scripts/bundle';
const lib = `${BUNDLE_SCRIPTS}/lib.sh`;

/** Script pieces only; the TypeScript pieces (images, registry) are added by the pipeline. */
export function scriptPieces(o: BundleOptions): Piece[] {
  const v = o.versions;
  const goProxy = 'Go module proxy';
  const debian = `Debian ${v.debianSuite}`;
  const mirror = { DEBIAN_MIRROR: o.debianMirror };
  const rootfs = (name: string, variant: string, packages: string[], hook?: string, extra: Record<string, string> = {}): Piece => ({
    name: `rootfs-${name}`,
    version: v.debianSuite,
    source: debian,
    deps: [],
    inputs: {
      ROOTFS_SUITE: v.debianSuite,
      ROOTFS_VARIANT: variant,
      ROOTFS_PACKAGES: packages.join(','),
      ...(hook ? { ROOTFS_HOOK: hook } : {}),
      ...mirror,
      ...extra,
    },
    files: [`${BUNDLE_SCRIPTS}/rootfs.sh`, lib, ...(hook ? [hook] : [])],
    lane: 'debian',
    script: `${BUNDLE_SCRIPTS}/rootfs.sh`,
  });
  return [
    {
      name: 'kubernetes',
      version: `v${v.kubernetes}`,
      source: `${goProxy} k8s.io/kubernetes`,
      deps: [],
      inputs: { KUBERNETES_VERSION: v.kubernetes, KUBERNETES_BINARIES: KUBERNETES_BINARIES.join(' '), PAUSE_VERSION: v.pause },
      files: [`${BUNDLE_SCRIPTS}/kubernetes.sh`, lib],
      lane: 'go',
      script: `${BUNDLE_SCRIPTS}/kubernetes.sh`,
    },
    {
      name: 'cilium',
      version: `v${v.cilium}`,
      source: `${goProxy} github.com/cilium/cilium`,
      deps: [],
      inputs: { CILIUM_VERSION: v.cilium, CILIUM_START_TIMEOUT: o.ciliumStartTimeout },
      files: [`${BUNDLE_SCRIPTS}/cilium.sh`, lib],
      lane: 'go',
      script: `${BUNDLE_SCRIPTS}/cilium.sh`,
    },
    {
      name: 'etcd',
      version: `v${v.etcd}`,
      source: `${goProxy} go.etcd.io/etcd/server/v3`,
      deps: [],
      inputs: { ETCD_VERSION: v.etcd },
      files: [`${BUNDLE_SCRIPTS}/etcd.sh`, lib],
      lane: 'go',
      script: `${BUNDLE_SCRIPTS}/etcd.sh`,
    },
    {
      name: 'coredns',
      version: `v${v.coredns}`,
      source: `${goProxy} github.com/coredns/coredns`,
      deps: [],
      inputs: { COREDNS_VERSION: v.coredns },
      files: [`${BUNDLE_SCRIPTS}/coredns.sh`, lib],
      lane: 'go',
      script: `${BUNDLE_SCRIPTS}/coredns.sh`,
    },
    rootfs('static', 'extract', ROOTFS_PACKAGES.static, `${BUNDLE_SCRIPTS}/hooks/static-base.sh`),
    rootfs('cilium', 'apt', ROOTFS_PACKAGES.cilium, `${BUNDLE_SCRIPTS}/hooks/cilium-runtime.sh`, { CILIUM_VERSION: v.cilium }),
    rootfs('server', 'apt', ROOTFS_PACKAGES.server, `${BUNDLE_SCRIPTS}/hooks/nginx.sh`),
    rootfs('client', 'apt', ROOTFS_PACKAGES.client),
    {
      name: 'guest',
      version: v.debianSuite,
      source: `${debian} (scripts/vm-test/build-image.sh)`,
      deps: [],
      inputs: { ...mirror },
      files: ['scripts/vm-test/build-image.sh', `${BUNDLE_SCRIPTS}/guest.sh`, lib],
      lane: 'debian',
      script: `${BUNDLE_SCRIPTS}/guest.sh`,
    },
    {
      name: 'apt',
      version: `v${v.kubernetes}`,
      source: `kubeadm/kubelet/kubectl .debs + ${debian}`,
      deps: ['kubernetes'],
      inputs: {
        KUBERNETES_VERSION: v.kubernetes,
        DEBIAN_SUITE: v.debianSuite,
        NODE_PACKAGES: NODE_DEBIAN_PACKAGES.join(' '),
        ...mirror,
      },
      files: [
        `${BUNDLE_SCRIPTS}/apt-repo.sh`, `${BUNDLE_SCRIPTS}/apt-index.sh`, lib,
        ...['10-kubeadm.conf', 'kubelet.service', 'kubelet.env', 'kubelet.postinst', 'kubelet.postrm'].map((f) => `${BUNDLE_SCRIPTS}/packaging/${f}`),
      ],
      lane: 'debian',
      script: `${BUNDLE_SCRIPTS}/apt-repo.sh`,
    },
    {
      name: 'chart',
      version: v.cilium,
      source: `${goProxy} github.com/cilium/cilium install/kubernetes/cilium`,
      deps: [],
      inputs: { CILIUM_VERSION: v.cilium },
      files: [`${BUNDLE_SCRIPTS}/chart.sh`, lib],
      lane: 'assemble',
      script: `${BUNDLE_SCRIPTS}/chart.sh`,
    },
  ];
}

/** The environment variable a script piece reads a dependency's output from: DEP_<NAME>. */
export function depEnvName(piece: string): string {
  return `DEP_${piece.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Pure: a piece's key from its recipe, the content of its files (by repository path) and the keys of
 * its dependencies. Key order in `inputs` does not matter; every byte of a file does.
 */
export function recipeKey(piece: Piece, fileContent: (repoPath: string) => string | Buffer, depKeys: Record<string, string>): string {
  const missing = piece.deps.filter((d) => depKeys[d] === undefined);
  if (missing.length > 0) throw new Error(`bundle: piece ${piece.name}: no key for its dependencies ${missing.join(', ')}`);
  const recipe = {
    name: piece.name,
    version: piece.version,
    inputs: Object.fromEntries(Object.entries(piece.inputs).sort(([a], [b]) => a.localeCompare(b))),
    files: [...piece.files].sort().map((f) => [f, sha256(fileContent(f))]),
    deps: [...piece.deps].sort().map((d) => [d, depKeys[d]]),
  };
  return sha256(JSON.stringify(recipe)).slice(0, 16);
}

/** Reads a repository file for recipeKey, naming the piece and file when it is missing. */
export function repoFile(repoPath: string): Buffer {
  const p = path.join(REPO_ROOT, repoPath);
  try {
    return fs.readFileSync(p);
  } catch (e) {
    throw new Error(`bundle: recipe file ${repoPath} cannot be read: ${(e as Error).message}`, { cause: e });
  }
}

/** Where a piece's result lives: <cache>/pieces/<name>/<key>. */
export function pieceDir(cacheDir: string, name: string, key: string): string {
  return path.join(cacheDir, 'pieces', name, key);
}

/** Written last into a piece's directory: its presence means the piece is complete. */
export const DONE_MARKER = '.bundle-done.json';

/** Pure: keys for every piece, in dependency order; an unknown or cyclic dependency is an error. */
export function keysFor(pieces: Piece[], fileContent: (repoPath: string) => string | Buffer): Record<string, string> {
  const byName = new Map(pieces.map((p) => [p.name, p]));
  const keys: Record<string, string> = {};
  const visiting = new Set<string>();
  const visit = (name: string, from: string): string => {
    const p = byName.get(name);
    if (!p) throw new Error(`bundle: piece ${from} depends on ${name}, which is not in the recipe`);
    if (keys[name]) return keys[name];
    if (visiting.has(name)) throw new Error(`bundle: dependency cycle through ${name}`);
    visiting.add(name);
    const depKeys = Object.fromEntries(p.deps.map((d) => [d, visit(d, name)]));
    visiting.delete(name);
    keys[name] = recipeKey(p, fileContent, depKeys);
    return keys[name];
  };
  for (const p of pieces) visit(p.name, p.name);
  return keys;
}
