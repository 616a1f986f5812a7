/**
 * EncryptionProof: the part of the lab that turns a running cluster into a verdict.
 *
 *   workloads (client pod on worker1, server pod on worker2)
 *   -> facts "before" on every node
 *   -> capture start on the router (tcpdump listening on lab:captureInterface)
 *   -> traffic (kubectl exec in the client pod: ping -p NONCE, HTTP with the nonce) from the control-plane
 *   -> capture stop (tcpdump's counts) and facts "after" (+ encrypt status and workers' xfrm state on ipsec)
 *   -> fetch (captures/<stack>/<run>.pcap on this machine)
 *   -> verification (verifier library + judge), only during `pulumi up`, never in preview.
 *
 * Re-running the capture: raise lab:captureRun (or `pulumi up --replace <urn of the nonce>`); changing
 * lab:encryption re-runs it too. Both change the nonce, which every capture command has in its triggers.
 */
import * as path from 'path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { LabConfig } from '../config';
import type { SshTarget } from '../remote';
import type { Report } from '../verifier';
import { createCapture, REPO_ROOT } from './capture';
import type { LabNode } from '../cluster';
import { createFactsAfter, createFactsBefore, type NodeFacts } from './facts';
import { createNonce } from './nonce';
import { parseCaptureStop, parseTraffic } from './parse';
import {
  expectationsFor,
  runVerification,
  type Judgement,
  type VerificationResult,
  type VerifyFn,
} from './verification';
import { CLIENT_POD, createWorkloads, PROOF_NAMESPACE, SERVER_POD, SERVER_PORT } from './workloads';
import { modeChecks, withModeEvidence } from './mode-checks';
import { parseIpsecReadiness } from './agents';
import { writeWiresharkForXfrm } from './wireshark';

export { judge, expectationsFor, runVerification, verifierArgs, verifierOptions, LAB_CHECKS } from './verification';
export type { Expectations, Judgement, LabCheck, LabVerifyOptions, VerificationResult } from './verification';
export type { NodeFacts } from './facts';

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

const defaultVerify: VerifyFn = async (capture, opts) => {
  // Loaded lazily: the verifier is only needed during `pulumi up`.
  const v = await import('../verifier');
  return v.verifyCapture(capture, opts);
};

async function defaultWriteReport(file: string, report: Report, judgement: Judgement, command: string): Promise<void> {
  // Loaded lazily, like the verifier: the page's charting libraries are only needed after a capture.
  const { writeReportPage } = await import('../report/page');
  await writeReportPage(file, report, { capture: path.basename(file).replace(/\.html$/, '.pcap'), command, judgement });
}

export class EncryptionProof extends pulumi.ComponentResource {
  /** The verifier's JSON contract + pass, failures, capturePath, expected, tcpdump, traffic. */
  public readonly verification: pulumi.Output<VerificationResult>;
  public readonly pods: pulumi.Output<PodsOutput>;
  /** Node facts, no key material. */
  public readonly nodes: pulumi.Output<NodeFacts[]>;
  /** captures/<stack>/<run>.pcap, relative to the repository root. */
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
      { captureRun: cfg.captureRun, encryption: cfg.encryption, ipsecKeyId: cfg.ipsecKeyId },
      child,
    );

    const w = createWorkloads(
      name,
      { serverImage: cfg.serverImage, clientImage: cfg.clientImage, serverNode: serverNode.name, clientNode: clientNode.name },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );

    const before = createFactsBefore(name, args.nodes, nonce, { parent: this, dependsOn: [w.server, w.client] });

    const cap = createCapture(
      name,
      {
        stack: cfg.stack,
        run: cfg.captureRun,
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

    const verify = args.verify ?? defaultVerify;
    const verification = pulumi
      .all([
        cap.fetch.stdout,
        cap.stop.stdout,
        cap.traffic.stdout,
        nonce,
        w.clientIp,
        w.serverIp,
        facts.nodes,
        pulumi.all([facts.xfrmTexts, pulumi.output(args.ipsecReadiness ?? '')]),
      ])
      .apply(async ([, stopOut, trafficOut, n, clientIp, serverIp, nodeFacts, [xfrmTexts, readinessOut]]) => {
        const tcpdump = parseCaptureStop(stopOut);
        const traffic = parseTraffic(trafficOut);
        const expectations = expectationsFor({
          encryption: cfg.encryption,
          spi: cfg.ipsecKeyId,
          pods: [clientIp, serverIp],
          nodeIps: nodeFacts.map((f) => f.ip),
          ciliumHosts: nodeFacts.map((f) => f.ciliumHost),
          nonce: n,
          decrypt: xfrmTexts.length > 0,
          xfrmErrorsGrown: Object.fromEntries(
            nodeFacts.filter((f) => Object.keys(f.xfrmErrorsGrown).length > 0).map((f) => [f.name, f.xfrmErrorsGrown]),
          ),
          tcpdump,
          agents: Object.fromEntries(nodeFacts.flatMap((f) => (f.encryptStatus ? [[f.name, f.encryptStatus]] : []))),
        });
        if (pulumi.runtime.isDryRun()) {
          // Preview: never read local files or run the verifier; `pulumi up` fills this in.
          const { tcpdump: _t, xfrmErrorsGrown: _g, agents: _a, ...expected } = expectations;
          const preview: VerificationResult = {
            pass: false,
            failures: ['not verified yet: the verification runs during pulumi up'],
            capturePath: cap.localPath,
            expected,
          };
          return preview;
        }
        const readiness = parseIpsecReadiness(readinessOut);
        const mode = modeChecks(cfg, nodeFacts, { clientNode: clientNode.name, serverNode: serverNode.name }, traffic, readiness, args.ipsecReadiness !== undefined);
        const result = await runVerification(
          {
            capturePath: cap.localPath,
            root,
            podCidr: cfg.podCidr,
            expectations,
            xfrmTexts,
            traffic,
            checks: mode.checks,
            writeWireshark: ipsec && !args.verify ? writeWiresharkForXfrm : undefined,
            writeReport: args.verify ? undefined : defaultWriteReport,
          },
          verify,
        );
        return withModeEvidence(result, cfg.encryption, expectations, mode.wireguard, readiness);
      });
    // The inputs include the (secret) xfrm texts, which makes the result secret; the result carries no key
    // material (counts, addresses, SPIs; runVerification strips any key field), so it is a plain output.
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
