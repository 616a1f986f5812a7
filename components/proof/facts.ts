/**
 * Facts from the nodes, through scripts/vm/facts*.sh (runScript; node commands run as `ssh node` from the
 * router):
 * - every node, before and after the traffic: addresses, cilium_host, xfrm state/policy counts and the
 *   /proc/net/xfrm_stat error counters (the ipsec verdict requires them not to grow);
 * - ipsec and wireguard, after the traffic: `cilium-dbg encrypt status` from each node's agent (kubectl on the
 *   control-plane), and the root `ip xfrm state` text of both workers: SECRET (the per node-pair keys the
 *   verifier decrypts with). Its command keeps stdout out of the logs and marks it secret
 *   (runScript secretStdout: @pulumi/command `logging` + additionalSecretOutputs), and it is wrapped in
 *   pulumi.secret here as well, so it never reaches a plain output.
 */
import type * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { LabNode } from '../cluster';
import { runScript, type SshTarget } from '../remote';
import {
  parseEncryptStatus,
  parseFacts,
  xfrmGrowth,
  type EncryptStatus,
  type NodeSnapshot,
} from './parse';

/** A node's facts as exported (no key material). */
export interface NodeFacts {
  name: string;
  role: 'control-plane' | 'worker';
  ip: string;
  addrs: string[];
  ciliumHost?: string;
  xfrmStates: number;
  xfrmPolicies: number;
  xfrmStatBefore?: Record<string, number>;
  xfrmStatAfter?: Record<string, number>;
  /** Counters that grew during the capture run: { name: [before, after] } (empty = none). */
  xfrmErrorsGrown: Record<string, [number, number]>;
  /** ipsec and wireguard stacks. */
  encryptStatus?: EncryptStatus;
}

/** Pure: assemble one node's exported facts from the script outputs. */
export function nodeFacts(
  node: { name: string; role: 'control-plane' | 'worker'; ip: string },
  beforeStdout: string,
  afterStdout: string,
  encryptStatusStdout?: string,
): NodeFacts {
  const before: NodeSnapshot = parseFacts(beforeStdout);
  const after: NodeSnapshot = parseFacts(afterStdout);
  const f: NodeFacts = {
    name: node.name,
    role: node.role,
    ip: node.ip,
    addrs: after.addrs,
    xfrmStates: after.xfrmStates,
    xfrmPolicies: after.xfrmPolicies,
    xfrmErrorsGrown: xfrmGrowth(before.xfrmStat, after.xfrmStat),
  };
  if (after.ciliumHost) f.ciliumHost = after.ciliumHost;
  if (before.xfrmStat) f.xfrmStatBefore = before.xfrmStat;
  if (after.xfrmStat) f.xfrmStatAfter = after.xfrmStat;
  if (encryptStatusStdout !== undefined) f.encryptStatus = parseEncryptStatus(encryptStatusStdout);
  return f;
}

export interface FactsSteps {
  before: command.remote.Command[];
  /** Node facts, known after the traffic. */
  nodes: pulumi.Output<NodeFacts[]>;
  /** Root `ip xfrm state` of both workers; SECRET; empty on the unencrypted stack. */
  xfrmTexts: pulumi.Output<string[]>;
  /** Every command that reads facts after the traffic (what the verification waits for). */
  after: command.remote.Command[];
}

/** The "before" snapshot of every node (call before the capture starts). */
export function createFactsBefore(
  name: string,
  nodes: LabNode[],
  nonce: pulumi.Output<string>,
  opts: pulumi.CustomResourceOptions,
): command.remote.Command[] {
  return nodes.map((n) =>
    runScript(
      `${name}-facts-before-${n.name}`,
      { target: n.target, script: 'scripts/vm/facts.sh', env: { PHASE: 'before' }, triggers: [nonce] },
      opts,
    ),
  );
}

/** The "after" snapshot, encrypt status and (ipsec) the workers' xfrm states; call with the traffic. */
export function createFactsAfter(
  name: string,
  a: {
    nodes: LabNode[];
    before: command.remote.Command[];
    controlPlane: SshTarget;
    ipsec: boolean;
    /** Ask every agent for `cilium-dbg encrypt status` (default: on ipsec). */
    agents?: boolean;
    nonce: pulumi.Output<string>;
    traffic: command.remote.Command;
  },
  opts: pulumi.CustomResourceOptions,
): FactsSteps {
  const after: command.remote.Command[] = [];
  const afterOpts = { ...opts, dependsOn: [a.traffic] };
  const triggers = [a.nonce, a.traffic.stdout];
  const perNode = a.nodes.map((n, i) => {
    const snap = runScript(
      `${name}-facts-after-${n.name}`,
      { target: n.target, script: 'scripts/vm/facts.sh', env: { PHASE: 'after' }, triggers },
      afterOpts,
    );
    after.push(snap);
    let status: command.remote.Command | undefined;
    if (a.agents ?? a.ipsec) {
      status = runScript(
        `${name}-encrypt-status-${n.name}`,
        { target: a.controlPlane, script: 'scripts/vm/facts-cilium.sh', env: { NODE_NAME: n.name }, triggers },
        afterOpts,
      );
      after.push(status);
    }
    return pulumi
      .all([pulumi.output(n.ip), a.before[i].stdout, snap.stdout, status ? status.stdout : undefined])
      .apply(([ip, b, s, st]) => nodeFacts({ name: n.name, role: n.role, ip }, b, s, st));
  });

  let xfrmTexts: pulumi.Output<string[]> = pulumi.output([] as string[]);
  if (a.ipsec) {
    const texts = a.nodes
      .filter((n) => n.role === 'worker')
      .map((n) => {
        const cmd = runScript(
          `${name}-xfrm-state-${n.name}`,
          { target: n.target, script: 'scripts/vm/facts-xfrm.sh', triggers, secretStdout: true },
          afterOpts,
        );
        after.push(cmd);
        return pulumi.secret(cmd.stdout);
      });
    xfrmTexts = pulumi.secret(pulumi.all(texts));
  }
  return { before: a.before, nodes: pulumi.all(perNode), xfrmTexts, after };
}
