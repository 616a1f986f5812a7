/**
 * Serving the bundle to a lab: a registry (Debian's docker-registry, distribution 2.8) for the images
 * and an HTTP server (python3's http.server) for the apt repository, the chart and the guest image,
 * started and stopped by `bundle serve` / `bundle stop` with pid files, and the stack config that
 * points a lab at them.
 *
 * Both bind all addresses by default: the libvirt host's uplink address (the `.1` of lab:uplinkSubnet)
 * exists only while a stack's network is up, and each stack has its own uplink, so one server on all
 * addresses serves every stack and can start before the first `up`. `--bind` narrows it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { stringify as yamlStringify } from 'yaml';
import type { BuiltImage } from './images';
import type { BundleVersions } from './recipe';

export const DEFAULT_PORTS = { registry: 5000, http: 8090 } as const;

/** What a finished build leaves for serve and config: <cache>/current.json. */
export interface BundleManifest {
  versions: BundleVersions;
  /** Piece name -> its cache directory. */
  pieces: Record<string, string>;
  images: BuiltImage[];
  /** File names under the HTTP root. */
  chart: string;
  guest: { file: string; sha256: string };
}

export const MANIFEST_FILE = 'current.json';

export function readManifest(cacheDir: string): BundleManifest {
  const f = path.join(cacheDir, MANIFEST_FILE);
  if (!fs.existsSync(f)) throw new Error(`bundle: no finished build in ${cacheDir} (${MANIFEST_FILE} is missing): run \`npm run bundle -- build\` first`);
  return JSON.parse(fs.readFileSync(f, 'utf8')) as BundleManifest;
}

/** Pure: host, repository path and tag of a reference (docker.io/library/nginx:1 -> docker.io, library/nginx, 1). */
export function splitRef(ref: string): { host: string; repo: string; tag: string } {
  const slash = ref.indexOf('/');
  const first = ref.slice(0, slash);
  if (slash < 0 || !(first.includes('.') || first.includes(':') || first === 'localhost')) {
    throw new Error(`image reference ${ref}: expected a registry host before the first '/'`);
  }
  const rest = ref.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  if (colon < 0) throw new Error(`image reference ${ref} has no tag`);
  return { host: first, repo: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

/** Pure: the registry's configuration (distribution's config.yml): files under `storage`, plain HTTP. */
export function registryConfig(storage: string, listen: string): string {
  return yamlStringify({
    version: 0.1,
    log: { level: 'info', formatter: 'text' },
    storage: { filesystem: { rootdirectory: storage }, delete: { enabled: false } },
    http: { addr: listen },
  });
}

/** Where the HTTP server's files are, relative to its root. */
export const HTTP_PATHS = { apt: 'apt', charts: 'charts', guest: 'guest' } as const;

export interface ServeAddress {
  /** Address the guests reach the host on (the .1 of the stack's lab:uplinkSubnet). */
  address: string;
  registryPort: number;
  httpPort: number;
}

/**
 * Pure: the stack config that points a lab at a served bundle, as the `config:` block of a
 * Pulumi.<stack>.yaml. Every registry host the bundle's images are named under is mirrored to the
 * bundle's registry; apt uses only the bundle's repository (it holds the Debian packages the nodes
 * install as well as the Kubernetes ones); the chart and the guest image come from the HTTP server.
 */
export function stackConfig(m: BundleManifest, a: ServeAddress, slowHost: boolean): Record<string, unknown> {
  const registry = `http://${a.address}:${a.registryPort}`;
  const web = `http://${a.address}:${a.httpPort}`;
  const hosts = [...new Set(m.images.map((i) => splitRef(i.ref).host))].sort();
  const server = m.images.find((i) => i.name === 'server');
  const client = m.images.find((i) => i.name === 'client');
  if (!server || !client) throw new Error('bundle manifest: the server and client images are missing');
  return {
    'lab:registryMirrors': Object.fromEntries(hosts.map((h) => [h, registry])),
    'lab:aptSources': [`deb [trusted=yes] ${web}/${HTTP_PATHS.apt}/ ./`],
    'lab:ciliumChart': `${web}/${HTTP_PATHS.charts}/${m.chart}`,
    'lab:guestOs': 'debian-13',
    'lab:imageUrl': `${web}/${HTTP_PATHS.guest}/${m.guest.file}`,
    'lab:imageChecksum': `sha256:${m.guest.sha256}`,
    'lab:kubernetesVersion': m.versions.kubernetes,
    'lab:ciliumVersion': m.versions.cilium,
    'lab:slowHost': slowHost,
    // The bundle builds no Envoy (C++ with bazel; README "Offline / air-gapped").
    'lab:ciliumEnvoy': false,
    'lab:serverImage': server.ref,
    'lab:clientImage': client.ref,
  };
}

/** Pure: stackConfig as YAML to paste into Pulumi.<stack>.yaml. */
export function stackConfigYaml(cfg: Record<string, unknown>): string {
  return yamlStringify({ config: cfg });
}

// --- daemons ------------------------------------------------------------------------------------

export interface DaemonSpec {
  name: string;
  argv: string[];
  pidFile: string;
  logFile: string;
  /** Polled until it answers 200 after a start. */
  healthUrl: string;
}

/** The executable of a running process, or undefined (gone, a zombie, or not ours to read). */
function processExe(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return undefined;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

/** The pid in a pid file if that process still runs the daemon's program (a reused pid is not ours). */
export function runningPid(d: Pick<DaemonSpec, 'pidFile' | 'argv'>): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(d.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const exe = processExe(pid);
  return exe !== undefined && path.basename(exe) === path.basename(d.argv[0]) ? pid : undefined;
}

export function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a daemon unless it already runs; waits until it answers. Idempotent. */
export async function startDaemon(d: DaemonSpec, waitMs = 20000): Promise<'started' | 'running'> {
  if (runningPid(d) !== undefined && (await httpStatus(d.healthUrl)) === 200) return 'running';
  fs.mkdirSync(path.dirname(d.pidFile), { recursive: true });
  const log = fs.openSync(d.logFile, 'a');
  const child = spawn(d.argv[0], d.argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const failed = new Promise<string>((resolve) => child.on('error', (e) => resolve(e.message)));
  if (child.pid === undefined) throw new Error(`bundle: cannot start ${d.name} (${d.argv.join(' ')}): ${await failed}`);
  fs.writeFileSync(d.pidFile, `${child.pid}\n`);
  child.unref();
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if ((await httpStatus(d.healthUrl)) === 200) return 'started';
    if (processExe(child.pid) === undefined) break;
    await sleep(250);
  }
  const tail = fs.existsSync(d.logFile) ? fs.readFileSync(d.logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ') : '';
  stopDaemon(d);
  throw new Error(`bundle: ${d.name} did not answer ${d.healthUrl} within ${waitMs / 1000}s; its log (${d.logFile}) ends:\n  ${tail}`);
}

/** Stops a daemon started by startDaemon (only the process its pid file names). Idempotent. */
export function stopDaemon(d: Pick<DaemonSpec, 'pidFile' | 'argv'>): 'stopped' | 'not running' {
  const pid = runningPid(d);
  fs.rmSync(d.pidFile, { force: true });
  if (pid === undefined) return 'not running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not running';
  }
  return 'stopped';
}

/** A free TCP port on 127.0.0.1 (for the registry the build pushes into). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The registry daemon over a storage directory; `id` names its pid, config and log files in runDir. */
export function registryDaemon(id: string, runDir: string, storage: string, listen: string, healthUrl: string): DaemonSpec {
  const config = path.join(runDir, `${id}.yml`);
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(config, registryConfig(storage, listen));
  return { name: id, argv: ['docker-registry', 'serve', config], pidFile: path.join(runDir, `${id}.pid`), logFile: path.join(runDir, `${id}.log`), healthUrl };
}

/** The HTTP daemon over the served root. */
export function httpDaemon(runDir: string, root: string, bind: string, port: number, healthUrl: string): DaemonSpec {
  return {
    name: 'http',
    argv: ['python3', '-m', 'http.server', String(port), '--bind', bind, '--directory', root],
    pidFile: path.join(runDir, 'http.pid'),
    logFile: path.join(runDir, 'http.log'),
    healthUrl,
  };
}

/** Lays out the HTTP root as links into the cache: apt/, charts/<chart>, guest/<image>. */
export function layoutHttpRoot(root: string, m: BundleManifest): void {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(path.join(root, HTTP_PATHS.charts), { recursive: true });
  fs.mkdirSync(path.join(root, HTTP_PATHS.guest), { recursive: true });
  fs.symlinkSync(path.join(m.pieces.apt, 'repo'), path.join(root, HTTP_PATHS.apt));
  fs.symlinkSync(path.join(m.pieces.chart, m.chart), path.join(root, HTTP_PATHS.charts, m.chart));
  fs.symlinkSync(path.join(m.pieces.guest, 'guest.qcow2'), path.join(root, HTTP_PATHS.guest, m.guest.file));
}
