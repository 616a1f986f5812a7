/**
 * The capture on the router, as four command resources in a strict order:
 *   start (tcpdump listening) -> traffic (client pod -> server pod, nonce inside) -> stop (SIGINT,
 *   tcpdump's own counts) -> fetch (pcap copied to captures/<stack>/<run>-<mode>.pcap here).
 * Order: each step `dependsOn` the previous one AND carries the previous step's stdout in its triggers,
 * so the engine cannot reorder them, and every step has the nonce in its triggers: a new nonce
 * (lab:captureRun or lab:encryption changed) replaces all four, i.e. captures again.
 *
 * The scripts are real files (scripts/vm/capture-*.sh, traffic.sh); they take their inputs from the
 * environment and are generic, so the VM test suite runs the same files against a plain Debian router.
 */
import * as command from '@pulumi/command';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { runScript, type SshTarget } from '../remote';
import { SERVER_ACCESS_LOG_PREFIX } from './workloads';
import { commandPath, REPO_ROOT } from '../repo';
import type { Encryption } from '../config';

export { REPO_ROOT };
/** Copies the pcap here; run from the project root (relative, like every local command). */
export const CAPTURE_FETCH_SCRIPT = 'scripts/vm/capture-fetch.sh';
/** Where captures live on the router. */
export const ROUTER_CAPTURE_DIR = '/var/tmp/cilium-lab';
/** Bounds of one capture: it can never run away if the stop step never comes. */
export const CAPTURE_MAX_PACKETS = 200_000;
export const CAPTURE_MAX_SECONDS = 1800;

/** The pcap on the router: unique per stack, run and nonce, so a replaced start's delete never removes
 *  the new run's file (create-before-delete). */
export function routerCaptureFile(stack: string, run: number, nonce: string): string {
  return `${ROUTER_CAPTURE_DIR}/${stack}-run${run}-${nonce}.pcap`;
}

/**
 * The pcap on the machine running Pulumi, relative to the repository root. The mode is in the name: an
 * in-place switch (none -> ipsec) with the same lab:captureRun keeps the capture before the switch beside
 * the one after it, the manual method's before/after pair.
 */
export function localCapturePath(stack: string, run: number, encryption: Encryption): string {
  return path.posix.join('captures', stack, `${run}-${encryption}.pcap`);
}

/** Resolved SSH connection to the router (the subset of @pulumi/command's ConnectionArgs we use). */
export interface RouterConnection {
  host: string;
  port?: number;
  user?: string;
  privateKey?: string;
  proxy?: { host: string; port?: number; user?: string; privateKey?: string };
}

/** Pure: environment for scripts/vm/capture-fetch.sh (runs locally, SSH to the router). */
export function fetchEnvironment(conn: RouterConnection, remoteFile: string, localFile: string): Record<string, string> {
  const env: Record<string, string> = {
    FETCH_HOST: conn.host,
    FETCH_PORT: String(conn.port ?? 22),
    FETCH_USER: conn.user ?? 'root',
    REMOTE_FILE: remoteFile,
    LOCAL_FILE: localFile,
  };
  if (conn.privateKey) env.FETCH_PRIVATE_KEY = conn.privateKey;
  if (conn.proxy) {
    env.FETCH_PROXY_HOST = conn.proxy.host;
    env.FETCH_PROXY_PORT = String(conn.proxy.port ?? 22);
    if (conn.proxy.user) env.FETCH_PROXY_USER = conn.proxy.user;
    if (conn.proxy.privateKey) env.FETCH_PROXY_PRIVATE_KEY = conn.proxy.privateKey;
  }
  return env;
}

export interface CaptureArgs {
  stack: string;
  run: number;
  encryption: Encryption;
  nonce: pulumi.Output<string>;
  /** Router interface tcpdump listens on (lab:captureInterface). */
  captureInterface: string;
  router: SshTarget;
  /** The control-plane node's SSH target (kubectl runs there). */
  controlPlane: SshTarget;
  namespace: string;
  clientPod: string;
  serverPod: string;
  serverIp: pulumi.Output<string>;
  serverPort: number;
  pingCount: number;
  httpRequests: number;
  /** The directory `localPath` is relative to (the project root in the program; a temp dir in tests). */
  root: string;
  /** What must exist before tcpdump starts (pods ready, "before" facts taken). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface CaptureSteps {
  start: command.remote.Command;
  traffic: command.remote.Command;
  stop: command.remote.Command;
  fetch: command.local.Command;
  routerFile: pulumi.Output<string>;
  /** Relative to CaptureArgs.root. */
  localPath: string;
}

export function createCapture(name: string, a: CaptureArgs, opts: pulumi.CustomResourceOptions): CaptureSteps {
  const routerFile = a.nonce.apply((n) => routerCaptureFile(a.stack, a.run, n));
  const localPath = localCapturePath(a.stack, a.run, a.encryption);

  const start = captureStartStep(name, a.router, a.captureInterface, routerFile, [a.nonce], { ...opts, dependsOn: a.dependsOn });

  const traffic = runScript(
    `${name}-traffic`,
    {
      target: a.controlPlane,
      script: 'scripts/vm/traffic.sh',
      env: {
        NAMESPACE: a.namespace,
        CLIENT_POD: a.clientPod,
        SERVER_POD: a.serverPod,
        TARGET_IP: a.serverIp,
        HTTP_PORT: String(a.serverPort),
        NONCE: a.nonce,
        SERVER_LOG_PREFIX: SERVER_ACCESS_LOG_PREFIX,
        PING_COUNT: String(a.pingCount),
        HTTP_REQUESTS: String(a.httpRequests),
      },
      triggers: [a.nonce, start.stdout],
    },
    { ...opts, dependsOn: [start] },
  );

  const stop = captureStopStep(name, a.router, routerFile, [a.nonce, traffic.stdout], { ...opts, dependsOn: [traffic] });
  const fetch = captureFetchStep(name, a.router, routerFile, commandPath(a.root, localPath), [a.nonce, stop.stdout], { ...opts, dependsOn: [stop] });

  return { start, traffic, stop, fetch, routerFile, localPath };
}

/** tcpdump started on the router (capture-start.sh waits until it listens); capture-clean.sh on delete. */
export function captureStartStep(
  name: string,
  router: SshTarget,
  captureInterface: string,
  routerFile: pulumi.Input<string>,
  triggers: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return runScript(
    `${name}-capture-start`,
    {
      target: router,
      script: 'scripts/vm/capture-start.sh',
      deleteScript: 'scripts/vm/capture-clean.sh',
      env: {
        CAPTURE_INTERFACE: captureInterface,
        CAPTURE_FILE: routerFile,
        CAPTURE_MAX_PACKETS: String(CAPTURE_MAX_PACKETS),
        CAPTURE_MAX_SECONDS: String(CAPTURE_MAX_SECONDS),
      },
      triggers,
    },
    opts,
  );
}

/** tcpdump stopped (SIGINT), its own counts on stdout. */
export function captureStopStep(
  name: string,
  router: SshTarget,
  routerFile: pulumi.Input<string>,
  triggers: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return runScript(`${name}-capture-stop`, { target: router, script: 'scripts/vm/capture-stop.sh', env: { CAPTURE_FILE: routerFile }, triggers }, opts);
}

/** The pcap copied from the router to `localFile` (relative to the project root, or absolute). */
export function captureFetchStep(
  name: string,
  router: SshTarget,
  routerFile: pulumi.Input<string>,
  localFile: string,
  triggers: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  const fetchEnv = pulumi
    .all([pulumi.output(router.router), routerFile])
    .apply(([conn, file]) => fetchEnvironment(conn as RouterConnection, file, localFile));
  return new command.local.Command(
    `${name}-capture-fetch`,
    { create: `bash ${CAPTURE_FETCH_SCRIPT}`, environment: fetchEnv, triggers },
    // The environment holds the router's private key: secret in state.
    { ...opts, additionalSecretOutputs: ['environment'] },
  );
}
