/**
 * The lab's machines (the router and the nodes) as one identity for everything that stands on them.
 *
 * Two things make what ran on a machine stale: a rebuild (a new disk: every VM's `generation`, read from
 * its disk) and a boot (a host reboot: libvirt starts the domains again, see scripts/host/domain.sh).
 * After a boot the cluster comes back by itself, but Cilium derives its IPsec keys from the nodes' boot
 * ids and pods may get new addresses, so a capture taken before it no longer says anything about the lab.
 * Nothing in the Pulumi state changes on a reboot, so the boot ids are read on every preview and up
 * (an invoke, not a resource: `preview --expect-no-changes` holds while nothing rebooted) through the
 * router (scripts/host/router-run.sh running scripts/vm/boot-ids.sh there). `token` changes with either;
 * whatever must be redone after a rebuild or a boot (the capture and the waits before it) has it in its
 * triggers.
 *
 * When the machines go, what runs on them goes with them: `deletedWithMachines` marks every Kubernetes
 * object as deleted with the control-plane's domain and every remote command as deleted with the
 * router's, so `down` neither dials a router that no longer answers (a remote command's delete retries
 * its SSH dial for about 15 minutes) nor asks an unreachable API server to delete a Helm release
 * (pulumi-kubernetes v4.25.0 provider/pkg/provider/provider.go, Delete: a Helm release on an unreachable
 * cluster is an error before its `deleteUnreachable` option is looked at; that option would also make a
 * `pulumi refresh` forget every object while the VMs are down, Read in the same file).
 */
import { createHash } from 'crypto';
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import type { Router } from './router';
import type { KubeadmCluster } from './cluster';
import { scriptCommandText } from './remote';
import { fetchEnvironment, type RouterConnection } from './proof/capture';

/** How long the boot-id read waits for machines that are still booting (the router, then the nodes). */
export const BOOT_WAIT_SECONDS = 300;

export interface LabMachines {
  /** Changes when any machine is rebuilt (read from the disks: a resource with it among its inputs is
   *  removed before a disk is replaced and created again after). */
  generation: pulumi.Output<string>;
  /** Each machine's kernel boot id as read now (plan name -> id); unknown until the machines exist. */
  bootIds: pulumi.Output<Record<string, string>>;
  /** generation and boot ids together: changes when any machine was rebuilt or booted again. */
  token: pulumi.Output<string>;
  /** The router's and the control-plane's domains: what runs on them is deleted with them. */
  routerDomain: pulumi.Resource;
  controlPlaneDomain: pulumi.Resource;
}

export interface LabMachinesArgs {
  config: LabConfig;
  plan: TopologyPlan;
  router: Router;
  /** The nodes' side: their generation, readiness and VMs (the first one's domain is the control-plane's). */
  cluster: Pick<KubeadmCluster, 'generation' | 'nodesReady' | 'vms'>;
}

/** Pure: the `boot.<name>=<id>` lines of scripts/vm/boot-ids.sh; every expected machine exactly once. */
export function parseBootIds(stdout: string, expected: string[]): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^boot\.([\w-]+)=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(line.trim());
    if (!m) continue;
    if (m[1] in ids) throw new Error(`boot-ids.sh printed the boot id of ${m[1]} twice`);
    ids[m[1]] = m[2];
  }
  const missing = expected.filter((n) => !(n in ids));
  if (missing.length > 0) {
    throw new Error(`boot-ids.sh printed no boot id for ${missing.join(', ')} (expected one \`boot.<name>=<uuid>\` line per machine; it printed ${JSON.stringify(stdout.slice(0, 400))})`);
  }
  return Object.fromEntries(expected.map((n) => [n, ids[n]]));
}

/** Pure: one short hash over the generation and the boot ids (in the machines' plan order). */
export function machinesToken(generation: string, bootIds: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify([generation, bootIds])).digest('hex').slice(0, 16);
}

/** The environment of scripts/host/router-run.sh for boot-ids.sh (the router's connection holds its key). */
export function bootIdsEnvironment(conn: RouterConnection, plan: TopologyPlan, libvirtUri: string): Record<string, string> {
  const { REMOTE_FILE: _file, LOCAL_FILE: _local, ...ssh } = fetchEnvironment(conn, '', '');
  const script = scriptCommandText('scripts/vm/boot-ids.sh', {
    ROUTER_NAME: plan.router.name,
    NODES: plan.nodes.map((n) => `${n.name}=${n.ip}`).join(' '),
    TIMEOUT_SECONDS: String(BOOT_WAIT_SECONDS),
  });
  return {
    ...ssh,
    REMOTE_COMMAND: script.command,
    REMOTE_STDIN: script.stdin,
    WAIT_SECONDS: String(BOOT_WAIT_SECONDS),
    LIBVIRT_URI: libvirtUri,
    LAB_DOMAINS: plan.vms.map((v) => v.domain).join(' '),
  };
}

export function labMachines(args: LabMachinesArgs): LabMachines {
  const { plan, router, cluster } = args;
  const generation = pulumi
    .all([router.vm.generation, cluster.generation])
    .apply((gs) => createHash('sha256').update(gs.join('/')).digest('hex').slice(0, 16));
  const read = command.local.runOutput(
    {
      command: 'bash scripts/host/router-run.sh',
      environment: pulumi.output(router.target.router).apply((c) => bootIdsEnvironment(c as RouterConnection, plan, args.config.libvirtUri)),
      // Waits and failures on stderr; the boot ids are not worth a log line on every preview.
      logging: 'stderr',
    },
    // Only once the machines are up: before that (a first up) there is nothing to read, and the read
    // stays unknown in a preview that rebuilds a machine.
    { dependsOn: [router.ready, ...cluster.nodesReady] },
  );
  // The read's inputs hold the router's key, which makes its result secret; the output is boot ids only.
  const bootIds = pulumi.unsecret(read.stdout.apply((out) => parseBootIds(out, plan.vms.map((v) => v.name))));
  return {
    generation,
    bootIds,
    token: pulumi.all([generation, bootIds]).apply(([g, b]) => machinesToken(g, b)),
    routerDomain: router.vm.domain,
    controlPlaneDomain: cluster.vms[0].domain,
  };
}

/**
 * For the components whose resources run on the lab's machines (Cilium and the proof): every
 * Kubernetes object is deleted with the control-plane's domain, every remote command with the
 * router's (each connects through the router). When that domain is deleted in the same operation (`down`,
 * or a rebuild of that machine) the engine skips their deletes instead of reaching for a machine that is
 * going away (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply: isDeletedWith).
 */
export function deletedWithMachines(m: Pick<LabMachines, 'routerDomain' | 'controlPlaneDomain'>): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (opts.deletedWith) return undefined;
    if (type.startsWith('kubernetes:')) return { props, opts: { ...opts, deletedWith: m.controlPlaneDomain } };
    if (type === 'command:remote:Command') return { props, opts: { ...opts, deletedWith: m.routerDomain } };
    return undefined;
  };
}
