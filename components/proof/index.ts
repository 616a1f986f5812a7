/**
 * EncryptionProof: the part of the lab that turns a running cluster into a verdict.
 *
 *   workloads (client pod on worker1, server pod on worker2)
 *   -> facts "before" on every node
 *   -> capture start on the router (tcpdump listening on lab:captureInterface)
 *   -> traffic (kubectl exec in the client pod: ping -p NONCE, HTTP with the nonce) from the control-plane
 *   -> capture stop (tcpdump's counts) and facts "after" (+ encrypt status and workers' xfrm state on ipsec)
 *   -> fetch (captures/<stack>/<run>-<mode>.pcap on this machine)
 *   -> verification (verify-run.ts verifyRun: verifier library + judge), only during `pulumi up`.
 *
 * Re-running the capture: raise lab:captureRun (or `pulumi up --replace <urn of the nonce>`); changing
 * lab:encryption re-runs it too. Both change the nonce, which every capture command has in its triggers.
 * The nonce waits for the records that refuse a change Cilium does not document, so a refused change
 * captures nothing again.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { waitSeconds, type LabConfig } from '../config';
import type { SshTarget } from '../remote';
import { createCapture, REPO_ROOT } from './capture';
import type { LabNode } from '../cluster';
import { createFactsAfter, createFactsBefore, type NodeFacts } from './facts';
import { createNonce } from './nonce';
import type { VerifyFn } from './verification';
import { CLIENT_POD, createWorkloads, PROOF_NAMESPACE, SERVER_POD, SERVER_PORT } from './workloads';
import { defaultVerify, defaultWriteReport, previewVerification, verifyRun, type LabVerification, type RunInput } from './verify-run';
import { writeWiresharkForXfrm } from './wireshark';

export { judge, expectationsFor, runVerification, verifierArgs, verifierOptions, LAB_CHECKS } from './verification';
export type { Expectations, Judgement, LabCheck, LabVerifyOptions, VerificationResult } from './verification';
export type { NodeFacts } from './facts';
export type { LabVerification } from './verify-run';

export interface EncryptionProofArgs {
  /** The parsed lab config (stack, encryption, captureInterface, captureRun, pingCount, httpRequests,
   *  serverImage, clientImage, ipsecKeyId, podCidr). */
  config: LabConfig;
  /** SSH target of the router (tcpdump runs there; the pcap is fetched from there). */
  router: SshTarget;
  /** The cluster's nodes: exactly one control-plane and at least two workers. The first worker hosts the
   *  client pod, the second the server pod. `name` must be the Kubernetes node name. */
  nodes: LabNode[];
  /** Provider for the cluster (kubeconfig from kubeadm). */
  provider: k8s.Provider;
  /** What must be ready before the workloads (Cilium release, nodes Ready). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** ipsec: what ipsec-wait.sh printed when it let the capture start (agents, key ids), as evidence. */
  ipsecReadiness?: pulumi.Input<string>;
  /** The records that refuse a change Cilium does not document (Cilium.records): the nonce, and so every
   *  capture step, is renewed only once they accepted the change. */
  records?: pulumi.Resource[];
  /** The encryption-mode record's stdout: after an in-place switch the output shows the last verification
   *  in the mode before it as `before`. */
  modeRecord?: pulumi.Input<string>;
  /** The machines' token (machines.ts): a rebuilt or rebooted machine renews the nonce (so every capture step)
   *  and the pods; a verdict is never exported again from a capture taken before. */
  machines?: pulumi.Input<string>;
  /** Where captures/<stack>/<run>.pcap and the Wireshark config are written (default: the project root). */
  root?: string;
  /** For tests only: replaces the verifier library call. Default: components/verifier verifyCapture. */
  verify?: VerifyFn;
}

export interface PodsOutput {
  namespace: string;
  client: { name: string; node: string; ip: string; image: string };
  server: { name: string; node: string; ip: string; image: string; port: number };
}

/** Pure: checks the node list before anything is created; names the problem. */
export function pickNodes(nodes: LabNode[]): { controlPlane: LabNode; clientNode: LabNode; serverNode: LabNode } {
  const cps = nodes.filter((n) => n.role === 'control-plane');
  const workers = nodes.filter((n) => n.role === 'worker');
  if (cps.length !== 1) throw new Error(`EncryptionProof: expected exactly one control-plane node in args.nodes, got ${cps.length}`);
  if (workers.length < 2) {
    throw new Error(`EncryptionProof: expected at least two worker nodes in args.nodes (pods must be on different nodes), got ${workers.length}`);
  }
  return { controlPlane: cps[0], clientNode: workers[0], serverNode: workers[1] };
}

export class EncryptionProof extends pulumi.ComponentResource {
  /** The verifier's JSON contract + pass, failures, capturePath, expected, tcpdump, traffic (verify-run.ts). */
  public readonly verification: pulumi.Output<LabVerification>;
  public readonly pods: pulumi.Output<PodsOutput>;
  /** Node facts, no key material. */
  public readonly nodes: pulumi.Output<NodeFacts[]>;
  /** captures/<stack>/<run>-<mode>.pcap, relative to the repository root. */
  public readonly capturePath: pulumi.Output<string>;
  public readonly nonce: pulumi.Output<string>;

  constructor(name: string, args: EncryptionProofArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:proof:EncryptionProof', name, {}, opts);
    const cfg = args.config;
    const { controlPlane, clientNode, serverNode } = pickNodes(args.nodes);
    const ipsec = cfg.encryption === 'ipsec';
    const child = { parent: this };
    const root = args.root ?? REPO_ROOT;

    const { resource: nonceRes, nonce } = createNonce(
      `${name}-nonce`,
      { captureRun: cfg.captureRun, encryption: cfg.encryption, ipsecKeyId: cfg.ipsecKeyId, machines: args.machines },
      { ...child, dependsOn: args.records ?? [] },
    );

    const w = createWorkloads(
      name,
      { serverImage: cfg.serverImage, clientImage: cfg.clientImage, serverNode: serverNode.name, clientNode: clientNode.name },
      {
        parent: this,
        provider: args.provider,
        dependsOn: args.dependsOn,
        // The provider waits 10 minutes for a Pod to be Ready (pulumi-kubernetes await.go); the first image
        // pull and start on an emulated node takes longer.
        ...(cfg.slowHost ? { customTimeouts: { create: `${waitSeconds(cfg, 600)}s` } } : {}),
      },
      args.machines,
    );

    const before = createFactsBefore(name, args.nodes, nonce, { parent: this, dependsOn: [w.server, w.client] });

    const cap = createCapture(
      name,
      {
        stack: cfg.stack,
        run: cfg.captureRun,
        encryption: cfg.encryption,
        nonce,
        captureInterface: cfg.captureInterface,
        router: args.router,
        controlPlane: controlPlane.target,
        namespace: PROOF_NAMESPACE,
        clientPod: CLIENT_POD,
        serverPod: SERVER_POD,
        serverIp: w.serverIp,
        serverPort: SERVER_PORT,
        pingCount: cfg.pingCount,
        httpRequests: cfg.httpRequests,
        root,
        dependsOn: [w.server, w.client, nonceRes, ...before],
      },
      child,
    );

    const facts = createFactsAfter(
      name,
      { nodes: args.nodes, before, controlPlane: controlPlane.target, ipsec, agents: cfg.encryption !== 'none', nonce, traffic: cap.traffic },
      child,
    );

    this.nonce = nonce;
    this.capturePath = pulumi.output(cap.localPath);
    this.nodes = facts.nodes;
    this.pods = pulumi.all([w.clientIp, w.serverIp]).apply(([clientIp, serverIp]) => ({
      namespace: PROOF_NAMESPACE,
      client: { name: CLIENT_POD, node: clientNode.name, ip: clientIp, image: cfg.clientImage },
      server: { name: SERVER_POD, node: serverNode.name, ip: serverIp, image: cfg.serverImage, port: SERVER_PORT },
    }));

    const verification = pulumi
      .all([
        cap.fetch.stdout,
        cap.stop.stdout,
        cap.traffic.stdout,
        nonce,
        pulumi.all([w.clientIp, w.serverIp]),
        facts.nodes,
        facts.xfrmTexts,
        pulumi.all([pulumi.output(args.ipsecReadiness), pulumi.output(args.modeRecord)]),
      ])
      .apply(async ([, captureStop, traffic, n, [clientIp, serverIp], nodes, xfrmTexts, [readiness, modeRecord]]) => {
        const input: RunInput = {
          config: cfg,
          capturePath: cap.localPath,
          root,
          nonce: n,
          pods: { clientIp, serverIp, clientNode: clientNode.name, serverNode: serverNode.name },
          nodes,
          captureStop,
          traffic,
          xfrmTexts,
          readiness,
          modeRecord,
        };
        if (pulumi.runtime.isDryRun()) return previewVerification(input);
        return verifyRun(input, {
          verify: args.verify ?? defaultVerify,
          writeWireshark: args.verify ? undefined : writeWiresharkForXfrm,
          writeReport: args.verify ? undefined : defaultWriteReport,
        });
      });
    // The inputs include the (secret) xfrm texts, which makes the result secret; the result carries no key
    // material (counts, addresses, SPIs; the key fields of the xfrm states never reach the report), so it
    // is a plain output.
    this.verification = pulumi.unsecret(verification);

    this.registerOutputs({
      verification: this.verification,
      pods: this.pods,
      nodes: this.nodes,
      capturePath: this.capturePath,
      nonce: this.nonce,
    });
  }
}
