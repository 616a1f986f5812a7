/**
 * `npm run bundle -- <verb> [options]`: build the offline bundle, serve it, stop serving it, print the
 * stack config that points a lab at it. Shaped like the lab command: execute() returns an exit code
 * (0 done, 1 a build step failed, 2 bad usage or environment) and never exits the process.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { CONFIG_KEYS } from '../config';
import { REPO_ROOT } from '../repo';
import { HOST_OFFSETS, hostAt } from '../topology';
import { buildBundle } from './pipeline';
import { CILIUM_START_TIMEOUT, DEFAULT_DEBIAN_MIRROR, DEFAULT_VERSIONS, defaultCacheDir, type BundleOptions } from './recipe';
import { BundleError } from './runner';
import {
  DEFAULT_PORTS,
  HTTP_PATHS,
  httpDaemon,
  layoutHttpRoot,
  readManifest,
  registryDaemon,
  runningPid,
  stackConfig,
  stackConfigYaml,
  startDaemon,
  stopDaemon,
} from './serve';

export const BUNDLE_VERBS = ['build', 'serve', 'stop', 'config', 'status'] as const;

export const BUNDLE_USAGE = `usage: npm run bundle -- <verb> [options]
verbs:
  build    build (or reuse from the cache) every piece; prints a timing table
  serve    start the registry and the HTTP server (idempotent), then print the stack config
  stop     stop them (only the processes their pid files name)
  config   print the stack config for a served bundle
  status   say whether the servers run
options:
  --cache DIR           cache (default $LAB_BUNDLE_CACHE or ~/.cache/cilium-ipsec-lab/bundle)
  --stack S             take the address from Pulumi.S.yaml's lab:uplinkSubnet (its .1)
  --address A           the address guests reach the servers on (default: the .1 of lab:uplinkSubnet)
  --bind A              address the servers listen on (default 0.0.0.0, all)
  --registry-port N     default ${DEFAULT_PORTS.registry}        --http-port N   default ${DEFAULT_PORTS.http}
  --slow-host           print lab:slowHost: true (emulated guests)
  --debian-mirror URL   default ${DEFAULT_DEBIAN_MIRROR}
  -h, --help`;

export interface BundleIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

class UsageError extends Error {}

export interface BundleArgs {
  verb: (typeof BUNDLE_VERBS)[number] | 'help';
  cacheDir: string;
  address?: string;
  stack?: string;
  bind: string;
  registryPort: number;
  httpPort: number;
  slowHost: boolean;
  debianMirror: string;
}

function port(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected a TCP port, 1 to 65535`);
  return n;
}

export function parseBundleArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BundleArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        cache: { type: 'string' },
        stack: { type: 'string' },
        address: { type: 'string' },
        bind: { type: 'string' },
        'registry-port': { type: 'string' },
        'http-port': { type: 'string' },
        'slow-host': { type: 'boolean' },
        'debian-mirror': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
  const { values: v, positionals } = parsed;
  const [verb = 'build', ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (!v.help && verb !== 'help' && !(BUNDLE_VERBS as readonly string[]).includes(verb)) {
    throw new UsageError(`unknown verb ${JSON.stringify(verb)} (one of ${BUNDLE_VERBS.join(', ')})`);
  }
  if (v.address !== undefined && v.stack !== undefined) throw new UsageError('--address and --stack both name the address: give one');
  return {
    verb: v.help ? 'help' : (verb as BundleArgs['verb']),
    cacheDir: path.resolve(v.cache ?? defaultCacheDir(env)),
    address: v.address,
    stack: v.stack,
    bind: v.bind ?? '0.0.0.0',
    registryPort: port('registry-port', v['registry-port'], DEFAULT_PORTS.registry),
    httpPort: port('http-port', v['http-port'], DEFAULT_PORTS.http),
    slowHost: v['slow-host'] ?? false,
    debianMirror: v['debian-mirror'] ?? DEFAULT_DEBIAN_MIRROR,
  };
}

/**
 * The address guests reach the host on: --address, else the .1 (HOST_OFFSETS.gateway) of the stack's
 * lab:uplinkSubnet (Pulumi.<stack>.yaml), else of the default uplink subnet.
 */
export function guestAddress(a: Pick<BundleArgs, 'address' | 'stack'>, root: string = REPO_ROOT): string {
  if (a.address) return a.address;
  let subnet: string = CONFIG_KEYS.uplinkSubnet.default;
  if (a.stack) {
    const file = path.join(root, `Pulumi.${a.stack}.yaml`);
    if (!fs.existsSync(file)) throw new UsageError(`--stack ${a.stack}: ${file} does not exist`);
    const cfg = (parseYaml(fs.readFileSync(file, 'utf8')) as { config?: Record<string, unknown> } | null)?.config ?? {};
    const s = cfg['lab:uplinkSubnet'];
    if (s !== undefined) subnet = String(s);
  }
  return hostAt(subnet, HOST_OFFSETS.gateway);
}

function options(a: BundleArgs): BundleOptions {
  return { cacheDir: a.cacheDir, versions: DEFAULT_VERSIONS, debianMirror: a.debianMirror, ciliumStartTimeout: CILIUM_START_TIMEOUT };
}

function daemons(a: BundleArgs) {
  const m = readManifest(a.cacheDir);
  const run = path.join(a.cacheDir, 'run');
  const local = a.bind === '0.0.0.0' ? '127.0.0.1' : a.bind;
  const registry = registryDaemon('registry', run, path.join(m.pieces.registry, 'storage'), `${a.bind}:${a.registryPort}`, `http://${local}:${a.registryPort}/v2/`);
  const root = path.join(a.cacheDir, 'www');
  const web = httpDaemon(run, root, a.bind, a.httpPort, `http://${local}:${a.httpPort}/${HTTP_PATHS.apt}/Packages`);
  return { m, registry, web, root };
}

function printConfig(a: BundleArgs, io: BundleIo): void {
  const m = readManifest(a.cacheDir);
  const address = guestAddress(a);
  io.stdout(`# The stack config for this bundle (paste into Pulumi.<stack>.yaml; guests reach the host at ${address}):\n`);
  io.stdout(stackConfigYaml(stackConfig(m, { address, registryPort: a.registryPort, httpPort: a.httpPort }, a.slowHost)));
}

export async function executeBundle(argv: string[], io: BundleIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let a: BundleArgs;
  try {
    a = parseBundleArgs(argv, env);
  } catch (e) {
    io.stderr(`bundle: ${(e as Error).message}\n${BUNDLE_USAGE}\n`);
    return 2;
  }
  const log = (line: string) => io.stderr(`${line}\n`);
  try {
    switch (a.verb) {
      case 'help':
        io.stdout(`${BUNDLE_USAGE}\n`);
        return 0;
      case 'build': {
        const r = await buildBundle(options(a), log);
        io.stdout(`${r.table}\n\n`);
        for (const img of r.manifest.images) io.stdout(`${img.ref}  ${img.manifest.digest.slice(0, 19)}  ${(img.size / 1e6).toFixed(1)} MB\n`);
        io.stdout(`\nnext: npm run bundle -- serve${a.stack ? ` --stack ${a.stack}` : ''}\n`);
        return 0;
      }
      case 'serve': {
        const { m, registry, web, root } = daemons(a);
        layoutHttpRoot(root, m);
        log(`bundle: registry ${await startDaemon(registry)} on ${a.bind}:${a.registryPort} (pid ${runningPid(registry)})`);
        log(`bundle: http ${await startDaemon(web)} on ${a.bind}:${a.httpPort} (pid ${runningPid(web)})`);
        printConfig(a, io);
        return 0;
      }
      case 'stop': {
        const { registry, web } = daemons(a);
        log(`bundle: registry ${stopDaemon(registry)}`);
        log(`bundle: http ${stopDaemon(web)}`);
        return 0;
      }
      case 'config':
        printConfig(a, io);
        return 0;
      case 'status': {
        const { registry, web } = daemons(a);
        for (const d of [registry, web]) {
          const pid = runningPid(d);
          io.stdout(`${d.name}: ${pid === undefined ? 'not running' : `running (pid ${pid})`}\n`);
        }
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof BundleError) {
      io.stderr(`${e.message}\n`);
      return 1;
    }
    io.stderr(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  return 2;
}
