/**
 * IpsecRotation: raising lab:ipsecKeyId by one performs Cilium's key rotation and proves it on the wire.
 *
 *   key-id record (previous id from state) --rotation FROM:TO-->
 *   facts + xfrm state "before" on the nodes, rotation capture start on the router, traffic window start
 *   (ping at a steady rate + HTTP, nonce inside, from the client pod)
 *   -> [the Secret update, in Cilium: the Secret depends on `started`]
 *   -> bounded wait until every node has SAs for the new SPI in both directions for every peer and the
 *      window's traffic left the old SPI (ipsec-wait.sh PREVIOUS_KEY_ID)
 *   -> xfrm state "after"; traffic window stop (after SETTLE_SECONDS more on the new key) -> capture stop
 *   -> fetch captures/<stack>/<run>-rotation.pcap -> facts "after" -> verification.rotation.
 *
 * The path exists only when the record says this `up` is a rotation: its resources are created inside
 * an apply on the record's stdout. That is how a first `up` (no earlier key) never takes it, and how the
 * order "capture start before the Secret changes" is a real edge in Pulumi's graph: the Secret's
 * dependsOn is `started`, an Output of the resources made here. After the rotation the steps stay in the
 * state unchanged (the record's stdout stays FROM:TO), so later `up`s keep verification.rotation without
 * running them again; the next rotation replaces them (every step has FROM:TO in its triggers). Preview
 * cannot show the steps of a pending rotation: the record has not compared the ids yet.
 *
 * The traffic finds the pods by their fixed names (workloads.ts): a rotation happens on a running lab,
 * and depending on the workload resources would close a cycle (workloads -> Cilium -> Secret -> here).
 */
import * as command from '@pulumi/command';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { LabConfig } from '../config';
import { ipsecKeyRecord, parseKeyRecord, type KeyRotation } from '../encryption-records';
import { runScript, type SshTarget } from '../remote';
import { CAPTURE_MAX_SECONDS, REPO_ROOT, ROUTER_CAPTURE_DIR, captureFetchStep, captureStartStep, captureStopStep } from './capture';
import type { LabNode } from '../cluster';
import { nodeFacts } from './facts';
import { pickNodes } from './index';
import { NONCE_LENGTH, NONCE_PREFIX } from './nonce';
import { parseCaptureStop, parseKeyValues } from './parse';
import { runRotationVerification, type RotationResult, type RotationVerifyFn, type WindowTraffic } from './rotation';
import { CLIENT_POD, PROOF_NAMESPACE, SERVER_POD, SERVER_PORT } from './workloads';
import { writeWiresharkForXfrm } from './wireshark';

/** Bound of the wait for the new SPI on every node (Cilium: agents take the new key within about a minute). */
export const ROTATION_WAIT_SECONDS = 300;
/** Traffic goes on this long on the new key before the capture stops. */
export const ROTATION_SETTLE_SECONDS = 20;

export function rotationCapturePath(stack: string, run: number): string {
  return path.posix.join('captures', stack, `${run}-rotation.pcap`);
}

export interface IpsecRotationArgs {
  config: LabConfig;
  router: SshTarget;
  /** Every cluster node (control-plane first or not; roles decide). */
  nodes: LabNode[];
  /** What must exist before the key record runs (the cluster, the mode record). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** For tests only: replaces the verifier library call. */
  verify?: RotationVerifyFn;
}

interface Started {
  rotation: KeyRotation;
  nonce: pulumi.Output<string>;
  captureStart: command.remote.Command;
  trafficStart: command.remote.Command;
  factsBefore: command.remote.Command[];
  xfrmBefore: command.remote.Command[];
  windowEnv: Record<string, string>;
  routerFile: pulumi.Output<string>;
}

async function defaultVerify(capture: string, opts: Parameters<RotationVerifyFn>[1]): ReturnType<RotationVerifyFn> {
  const v = await import('../verifier');
  // The rotation expectation is the verifier's `rotation` option (`--rotation FROM:TO`).
  return v.verifyCapture(capture, opts as Parameters<typeof v.verifyCapture>[1]);
}

export class IpsecRotation extends pulumi.ComponentResource {
  /** The key-id record: `rotation=FROM:TO` when this `up` rotates the key. */
  public readonly record: command.local.Command;
  public readonly rotation: pulumi.Output<KeyRotation | undefined>;
  /** What the Secret update must wait for: empty unless rotating. */
  public readonly started: pulumi.Output<pulumi.Resource[]>;
  /** Set by `finish`: the last steps (the ordinary capture waits for them) and the verdict. */
  public done: pulumi.Output<pulumi.Resource[]> = pulumi.output([]);
  public result: pulumi.Output<RotationResult | undefined> = pulumi.output(undefined);
  private readonly args: IpsecRotationArgs;
  private readonly startedSteps: pulumi.Output<Started | undefined>;

  constructor(name: string, args: IpsecRotationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:proof:IpsecRotation', name, {}, opts);
    this.args = args;
    this.record = ipsecKeyRecord(`${name}-key-id`, args.config.ipsecKeyId, { parent: this, dependsOn: args.dependsOn });
    this.rotation = this.record.stdout.apply((out) => parseKeyRecord(out).rotation);
    this.startedSteps = this.rotation.apply((r) => (r ? this.begin(name, r) : undefined));
    this.started = this.startedSteps.apply((s) =>
      s ? [this.record, s.captureStart, s.trafficStart, ...s.factsBefore, ...s.xfrmBefore] : [this.record],
    );
  }

  private begin(name: string, r: KeyRotation): Started {
    const a = this.args;
    const cfg = a.config;
    const tag = `${r.from}:${r.to}`;
    const child = { parent: this };
    const cp = a.nodes.find((n) => n.role === 'control-plane');
    if (!cp) throw new Error('IpsecRotation: no control-plane node in args.nodes');
    const nonceRes = new random.RandomString(
      `${name}-nonce`,
      { length: NONCE_LENGTH - NONCE_PREFIX.length, special: false, upper: false, lower: true, numeric: true, keepers: { rotation: tag } },
      child,
    );
    const nonce = pulumi.interpolate`${NONCE_PREFIX}${nonceRes.result}`;
    const factsBefore = a.nodes.map((n) =>
      runScript(`${name}-facts-before-${n.name}`, { target: n.target, script: 'scripts/vm/facts.sh', env: { PHASE: 'before' }, triggers: [tag] }, child),
    );
    const xfrmBefore = a.nodes
      .filter((n) => n.role === 'worker')
      .map((n) => runScript(`${name}-xfrm-before-${n.name}`, { target: n.target, script: 'scripts/vm/facts-xfrm.sh', triggers: [tag], secretStdout: true }, child));
    const routerFile = nonce.apply((n) => `${ROUTER_CAPTURE_DIR}/${cfg.stack}-rotation-${r.from}-${r.to}-${n}.pcap`);
    const captureStart = captureStartStep(name, a.router, cfg.captureInterface, routerFile, [tag, nonce], { ...child, dependsOn: [...factsBefore, ...xfrmBefore] });
    const windowEnv = { NAMESPACE: PROOF_NAMESPACE, CLIENT_POD, SERVER_POD, HTTP_PORT: String(SERVER_PORT), TAG: `rotation-${r.from}-${r.to}` };
    const trafficStart = runScript(
      `${name}-traffic-start`,
      {
        target: cp.target,
        script: 'scripts/vm/traffic-window.sh',
        env: { ...windowEnv, ACTION: 'start', NONCE: nonce, MAX_SECONDS: String(CAPTURE_MAX_SECONDS) },
        triggers: [tag, nonce, captureStart.stdout],
      },
      { ...child, dependsOn: [captureStart] },
    );
    return { rotation: r, nonce, captureStart, trafficStart, factsBefore, xfrmBefore, windowEnv, routerFile };
  }

  /** The second half, after the Secret changed. `secret` is the key Secret resource. */
  public finish(name: string, secret: pulumi.Resource): void {
    const steps = this.startedSteps.apply((s) => (s ? this.end(name, s, secret) : undefined));
    this.done = steps.apply((e) => (e ? e.done : []));
    this.result = steps.apply((e): pulumi.Output<RotationResult | undefined> => (e ? e.result : pulumi.output(undefined)));
    this.registerOutputs({ rotation: this.rotation, result: this.result });
  }

  private end(name: string, s: Started, secret: pulumi.Resource): { done: pulumi.Resource[]; result: pulumi.Output<RotationResult> } {
    const a = this.args;
    const cfg = a.config;
    const { rotation: r } = s;
    const tag = `${r.from}:${r.to}`;
    const child = { parent: this };
    const cp = a.nodes.find((n) => n.role === 'control-plane') as LabNode;
    const trafficNodes = pickNodes(a.nodes);
    const wait = runScript(
      `${name}-new-key-wait`,
      {
        target: cp.target,
        script: 'scripts/vm/ipsec-wait.sh',
        env: {
          EXPECTED_NODES: a.nodes.map((n) => n.name).join(' '),
          KEY_ID: String(r.to),
          SAS_ONLY: '1',
          // Until the window's traffic (client node <-> server node) has left the old SPI, not only until
          // the new SAs exist: a node sends with the lower of its key id and its peer's while they differ.
          PREVIOUS_KEY_ID: String(r.from),
          TRAFFIC_NODES: [trafficNodes.clientNode.name, trafficNodes.serverNode.name].join(' '),
          TIMEOUT_SECONDS: String(ROTATION_WAIT_SECONDS),
        },
        triggers: [tag, s.trafficStart.stdout],
      },
      { ...child, dependsOn: [secret, s.trafficStart] },
    );
    const xfrmAfter = a.nodes
      .filter((n) => n.role === 'worker')
      .map((n) =>
        runScript(`${name}-xfrm-after-${n.name}`, { target: n.target, script: 'scripts/vm/facts-xfrm.sh', triggers: [tag, wait.stdout], secretStdout: true }, { ...child, dependsOn: [wait] }),
      );
    const trafficStop = runScript(
      `${name}-traffic-stop`,
      {
        target: cp.target,
        script: 'scripts/vm/traffic-window.sh',
        env: { ...s.windowEnv, ACTION: 'stop', SETTLE_SECONDS: String(ROTATION_SETTLE_SECONDS) },
        triggers: [tag, wait.stdout],
      },
      { ...child, dependsOn: [wait, ...xfrmAfter] },
    );
    const captureStop = captureStopStep(name, a.router, s.routerFile, [tag, trafficStop.stdout], { ...child, dependsOn: [trafficStop] });
    const factsAfter = a.nodes.map((n) =>
      runScript(
        `${name}-facts-after-${n.name}`,
        { target: n.target, script: 'scripts/vm/facts.sh', env: { PHASE: 'after' }, triggers: [tag, trafficStop.stdout] },
        { ...child, dependsOn: [trafficStop] },
      ),
    );
    const localPath = rotationCapturePath(cfg.stack, cfg.captureRun);
    const fetch = captureFetchStep(name, a.router, s.routerFile, localPath, [tag, captureStop.stdout], { ...child, dependsOn: [captureStop] });

    const verify = a.verify ?? defaultVerify;
    const xfrmTexts = pulumi.secret(pulumi.all([...s.xfrmBefore, ...xfrmAfter].map((c) => c.stdout)));
    const facts = pulumi.all(
      a.nodes.map((n, i) =>
        pulumi
          .all([pulumi.output(n.ip), s.factsBefore[i].stdout, factsAfter[i].stdout])
          .apply(([ip, b, af]) => nodeFacts({ name: n.name, role: n.role, ip }, b, af)),
      ),
    );
    const result = pulumi
      .all([fetch.stdout, captureStop.stdout, trafficStop.stdout, s.nonce, facts, xfrmTexts])
      .apply(async ([, stopOut, trafficOut, nonce, nodeFacts_, texts]) => {
        const kv = parseKeyValues(trafficOut);
        const n = (k: string) => (/^\d+$/.test(kv[k] ?? '') ? Number(kv[k]) : 0);
        const traffic: WindowTraffic = {
          pingTransmitted: n('ping_transmitted'),
          pingReceived: n('ping_received'),
          pingLost: n('ping_lost'),
          httpTotal: n('http_total'),
          httpAnswered: n('http_answered'),
        };
        const endpoints = [...new Set(nodeFacts_.flatMap((f) => [f.ip, f.ciliumHost]).filter((x): x is string => !!x))];
        const xfrmErrorsGrown = Object.fromEntries(nodeFacts_.filter((f) => Object.keys(f.xfrmErrorsGrown).length > 0).map((f) => [f.name, f.xfrmErrorsGrown]));
        const expectations = { from: r.from, to: r.to, nonce, endpoints, traffic, xfrmErrorsGrown, tcpdump: parseCaptureStop(stopOut) };
        if (pulumi.runtime.isDryRun()) {
          return { pass: false, failures: ['not verified yet: the rotation is verified during pulumi up'], from: r.from, to: r.to, capturePath: localPath } as unknown as RotationResult;
        }
        return runRotationVerification(
          { capturePath: localPath, root: REPO_ROOT, podCidr: cfg.podCidr, expectations, xfrmTexts: texts, writeWireshark: a.verify ? undefined : writeWiresharkForXfrm },
          verify,
        );
      });
    // The xfrm texts make the result secret; it carries no key material (counts, addresses, SPIs, times).
    return { done: [captureStop, fetch, ...factsAfter], result: pulumi.unsecret(result) };
  }
}
