/**
 * The router VM: uplink (NAT) + both segments, forwarding and NAT (nftables), tcpdump, and the SSH
 * jump host through which every node command runs. Ready = SSH answers, cloud-init finished and
 * scripts/vm/router-setup.sh ran (a command of its own: editing the script re-runs it, never rebuilds
 * the router).
 */
import * as pulumi from '@pulumi/pulumi';
import type * as command from '@pulumi/command';
import type { LabConfig } from './config';
import type { TopologyPlan } from './topology';
import { LAB_USER, routerEnv, seedFiles } from './cloud-init';
import { LabVm } from './vm';
import { runScript, SshTarget } from './remote';

/** SSH connection attempts to a booting router: 90 x 10 s, i.e. bounded at about 15 minutes. */
export const ROUTER_DIAL = { dialErrorLimit: 90, perDialTimeout: 10 } as const;

/** Parses `user@host[:port]`. */
export function parseProxy(proxy: string): { user: string; host: string; port?: number } {
  const m = /^([^@]+)@([^:]+)(?::(\d+))?$/.exec(proxy);
  if (!m) throw new Error(`invalid ssh proxy ${JSON.stringify(proxy)}: expected user@host[:port]`);
  return { user: m[1], host: m[2], port: m[3] ? Number(m[3]) : undefined };
}

/**
 * Connection to the router's uplink address, through `lab:sshProxy` (the remote libvirt host, which
 * can reach the uplink network) when set. The proxy hop authenticates with the user's SSH agent.
 */
export function routerConnection(
  cfg: LabConfig,
  plan: TopologyPlan,
  privateKey: pulumi.Input<string>,
  agentSocketPath: string | undefined = process.env.SSH_AUTH_SOCK,
): command.types.input.remote.ConnectionArgs {
  const conn: command.types.input.remote.ConnectionArgs = {
    host: plan.router.ip,
    port: 22,
    user: LAB_USER,
    privateKey,
    ...ROUTER_DIAL,
  };
  if (cfg.sshProxy) {
    const p = parseProxy(cfg.sshProxy);
    conn.proxy = { host: p.host, user: p.user, ...(p.port ? { port: p.port } : {}), ...(agentSocketPath ? { agentSocketPath } : {}), ...ROUTER_DIAL };
  }
  return conn;
}

export interface RouterArgs {
  config: LabConfig;
  plan: TopologyPlan;
  sshPublicKey: pulumi.Input<string>;
  sshPrivateKey: pulumi.Input<string>;
  base: { format: pulumi.Input<'qcow2' | 'raw'>; sha256: pulumi.Input<string> };
  dependsOn: pulumi.Resource[];
}

export class Router extends pulumi.ComponentResource {
  /** Where commands for the router (and, with `node`, for nodes) go. */
  public readonly target: SshTarget;
  public readonly uplinkIp: pulumi.Output<string>;
  public readonly domainName: pulumi.Output<string>;
  public readonly interfaces: pulumi.Output<{ name: string; network: string; address: string; mac: string }[]>;
  /** The router is set up: forwarding, NAT and tcpdump in place (router-setup.sh after cloud-init). */
  public readonly ready: pulumi.Resource;
  public readonly vm: LabVm;

  constructor(name: string, args: RouterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:router:Router', name, {}, opts);
    const { config: cfg, plan } = args;
    const files = pulumi
      .all([args.sshPublicKey, args.sshPrivateKey])
      .apply(([pub, priv]) => seedFiles(plan, plan.router, { sshPublicKey: pub, routerPrivateKey: priv, sources: cfg }));
    this.vm = new LabVm(
      `${name}-vm`,
      {
        config: cfg,
        plan,
        vm: plan.router,
        seed: { userData: pulumi.secret(files.userData), metaData: files.metaData, networkConfig: files.networkConfig },
        base: args.base,
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );
    this.target = { router: routerConnection(cfg, plan, args.sshPrivateKey) };
    const booted = runScript(
      `${name}-cloud-init`,
      { target: this.target, script: 'scripts/vm/cloud-init-wait.sh', env: { TIMEOUT_SECONDS: '1200' }, triggers: [this.vm.generation] },
      { parent: this, dependsOn: [this.vm.domain] },
    );
    this.ready = runScript(
      `${name}-setup`,
      { target: this.target, script: 'scripts/vm/router-setup.sh', env: routerEnv(plan), triggers: [this.vm.generation] },
      { parent: this, dependsOn: [booted] },
    );
    this.uplinkIp = pulumi.output(plan.router.ip);
    this.domainName = this.vm.domainName;
    this.interfaces = pulumi.output(
      plan.router.interfaces.map((i) => ({ name: i.name, network: plan.networks[i.network].name, address: `${i.address}/${i.prefixLength}`, mac: i.mac })),
    );
    this.registerOutputs({ uplinkIp: this.uplinkIp, domainName: this.domainName, interfaces: this.interfaces });
  }
}
