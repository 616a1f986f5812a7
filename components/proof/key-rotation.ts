/**
 * IpsecRotation: raising lab:ipsecKeyId by one performs Cilium's key rotation and proves it on the wire.
 * It is handed Cilium's IPsec key (the key-id record that says this `up` rotates, and the Secret that
 * changes) and builds the steps around the Secret's change:
 *
 *   key-id record (previous id from state) --rotation FROM:TO-->
 *   facts + xfrm state "before" on the nodes, rotation capture start on the router, traffic window start
 *   (ping at a steady rate + HTTP, nonce inside, from the client pod)
 *   -> [the Secret update: Cilium's Secret waits for `started`]
 *   -> bounded wait until every node has SAs for the new SPI in both directions for every peer
 *   -> xfrm state "after"; traffic window stop (after SETTLE_SECONDS more on the new key) -> capture stop
 *   -> fetch captures/<stack>/<run>-rotation.pcap -> facts "after" -> verification.rotation.
 *
 * The steps exist only when the record says this `up` is a rotation: they are created inside an apply on
 * the record's stdout. That is how a first `up` (no earlier key) never takes them, and how the order
 * "capture start before the Secret changes" is a real edge in Pulumi's graph: the Secret's dependsOn is
 * `started`, an Output of the resources made here. After the rotation the steps stay in the state
 * unchanged (the record's stdout keeps FROM:TO), so later `up`s keep verification.rotation without running
 * them again; the next rotation replaces them (every step has the rotation in its triggers).
 *
 * A window that never finished (an `up` that failed between the record and the fetch) is started again by
 * the next `up`: the record notes each window it starts (encryption-records.ts rotationPendingFile), the
 * note goes once the window's pcap is here, and a note still there makes the record count another attempt,
 * which every step has in its triggers. Capture and traffic then run again; they never judge a window
 * that ended. If the failed attempt had already changed the Secret, the new window sees the new key only,
 * and the verdict says the old SPI carried no traffic: proving that rotation needs the next one.
 *
 * The traffic finds the pods by their fixed names (workloads.ts): a rotation happens on a running lab,
 * and depending on the workload resources would close a cycle (workloads -> Cilium -> Secret -> here).
 * Preview cannot show the steps of a pending rotation: the record has not compared the ids yet.
 */
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { waitSeconds, type LabConfig } from '../config';
import { clearPendingRotation, type KeyRotation } from '../encryption-records';
import { commandPath } from '../repo';
import { runScript, type SshTarget } from '../remote';
import { CAPTURE_MAX_SECONDS, REPO_ROOT, ROUTER_CAPTURE_DIR, captureFetchStep, captureStartStep, captureStopStep } from './capture';
import type { LabNode } from '../cluster';
import { nodeFacts, type NodeFacts } from './facts';
import { pickNodes } from './index';
import { NONCE_LENGTH, NONCE_PREFIX } from './nonce';
import { parseCaptureStop, parseKeyValues } from './parse';
import { unverifiedRotation, verifyRotation, type RotationResult, type WindowTraffic } from './judge-rotation';
import { CLIENT_POD, PROOF_NAMESPACE, SERVER_POD, SERVER_PORT } from './workloads';
import { defaultVerify, defaultWriteReport } from './verify-run';
import type { VerifyFn } from './verification';
import { writeWiresharkForXfrm } from './wireshark';

/** Bound of the wait for the new SPI on every node (Cilium: agents take the new key within about a minute). */
export const ROTATION_WAIT_SECONDS = 300;
/** Traffic goes on this long on the new key before the capture stops. */
export const ROTATION_SETTLE_SECONDS = 20;

export function rotationCapturePath(stack: string, run: number): string {
  return path.posix.join('captures', stack, `${run}-rotation.pcap`);
}

/** What keys every step of one window: the rotation, and from the second attempt on, the attempt. */
export function rotationWindowKey(r: KeyRotation): string {
  return r.attempt > 1 ? `${r.from}:${r.to} attempt ${r.attempt}` : `${r.from}:${r.to}`;
}

export interface IpsecRotationArgs {
  config: LabConfig;
  router: SshTarget;
  /** Every cluster node: one control-plane, the client's node and the server's node first among the workers. */
  nodes: LabNode[];
  /** Cilium's IPsec key: the rotation its record says this `up` performs, and the Secret that changes. */
  key: { rotation: pulumi.Output<KeyRotation | undefined>; record: pulumi.Resource; secret: pulumi.Resource };
  /** Where captures/ is written (default: the project root). */
  root?: string;
  /** For tests only: replaces the verifier library call. */
  verify?: VerifyFn;
}

interface Steps {
  started: pulumi.Resource[];
  done: pulumi.Resource[];
  result: pulumi.Output<RotationResult>;
}

/** Pure: what traffic-window.sh's stop printed, as counts. */
export function parseWindowTraffic(stdout: string): WindowTraffic {
  const kv = parseKeyValues(stdout);
  const n = (k: string) => (/^\d+$/.test(kv[k] ?? '') ? Number(kv[k]) : 0);
  return { pingTransmitted: n('ping_transmitted'), pingReceived: n('ping_received'), pingLost: n('ping_lost'), httpTotal: n('http_total'), httpAnswered: n('http_answered') };
}

/** Pure: the addresses of a node as ESP may carry them (node IP and, with Cilium <= 1.17, cilium_host). */
const addressesOf = (f: NodeFacts | undefined) => [f?.ip, f?.ciliumHost].filter((x): x is string => !!x);

export class IpsecRotation extends pulumi.ComponentResource {
  public readonly rotation: pulumi.Output<KeyRotation | undefined>;
  /** What the Secret update must wait for: the record, and while rotating the window's start. */
  public readonly started: pulumi.Output<pulumi.Resource[]>;
  /** The window's last steps: the ordinary capture waits for them. */
  public readonly done: pulumi.Output<pulumi.Resource[]>;
  /** The verdict (`verification.rotation`), undefined when this stack never rotated. */
  public readonly result: pulumi.Output<RotationResult | undefined>;

  constructor(name: string, args: IpsecRotationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('lab:proof:IpsecRotation', name, {}, opts);
    this.rotation = args.key.rotation;
    const steps = this.rotation.apply((r) => (r ? this.build(name, args, r) : undefined));
    this.started = steps.apply((s) => [args.key.record, ...(s ? s.started : [])]);
    this.done = steps.apply((s) => (s ? s.done : []));
    this.result = steps.apply((s): pulumi.Output<RotationResult | undefined> => (s ? s.result : pulumi.output(undefined)));
    this.registerOutputs({ rotation: this.rotation, result: this.result });
  }

  private build(name: string, a: IpsecRotationArgs, r: KeyRotation): Steps {
    const cfg = a.config;
    const root = a.root ?? REPO_ROOT;
    const key = rotationWindowKey(r);
    const child = { parent: this };
    const { controlPlane: cp, clientNode, serverNode } = pickNodes(a.nodes);
    const workers = a.nodes.filter((n) => n.role === 'worker');

    // The window's start: facts and the old keys, then tcpdump, then the traffic.
    const nonceRes = new random.RandomString(
      `${name}-nonce`,
      { length: NONCE_LENGTH - NONCE_PREFIX.length, special: false, upper: false, lower: true, numeric: true, keepers: { rotation: key } },
      child,
    );
    const nonce = pulumi.interpolate`${NONCE_PREFIX}${nonceRes.result}`;
    const factsBefore = a.nodes.map((n) =>
      runScript(`${name}-facts-before-${n.name}`, { target: n.target, script: 'scripts/vm/facts.sh', env: { PHASE: 'before' }, triggers: [key] }, child),
    );
    const xfrmBefore = workers.map((n) =>
      runScript(`${name}-xfrm-before-${n.name}`, { target: n.target, script: 'scripts/vm/facts-xfrm.sh', triggers: [key], secretStdout: true }, child),
    );
    const routerFile = nonce.apply((n) => `${ROUTER_CAPTURE_DIR}/${cfg.stack}-rotation-${r.from}-${r.to}-${n}.pcap`);
    const captureStart = captureStartStep(name, a.router, cfg.captureInterface, routerFile, [key, nonce], { ...child, dependsOn: [...factsBefore, ...xfrmBefore] });
    const windowEnv = { NAMESPACE: PROOF_NAMESPACE, CLIENT_POD, SERVER_POD, HTTP_PORT: String(SERVER_PORT), TAG: `rotation-${r.from}-${r.to}` };
    const trafficStart = runScript(
      `${name}-traffic-start`,
      {
        target: cp.target,
        script: 'scripts/vm/traffic-window.sh',
        env: { ...windowEnv, ACTION: 'start', NONCE: nonce, MAX_SECONDS: String(CAPTURE_MAX_SECONDS) },
        triggers: [key, nonce, captureStart.stdout],
      },
      { ...child, dependsOn: [captureStart] },
    );

    // The window's end, after the Secret changed.
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
          TRAFFIC_NODES: [clientNode.name, serverNode.name].join(' '),
          TIMEOUT_SECONDS: String(waitSeconds(cfg, ROTATION_WAIT_SECONDS)),
        },
        triggers: [key, trafficStart.stdout],
      },
      { ...child, dependsOn: [a.key.secret, trafficStart] },
    );
    const xfrmAfter = workers.map((n) =>
      runScript(`${name}-xfrm-after-${n.name}`, { target: n.target, script: 'scripts/vm/facts-xfrm.sh', triggers: [key, wait.stdout], secretStdout: true }, { ...child, dependsOn: [wait] }),
    );
    const trafficStop = runScript(
      `${name}-traffic-stop`,
      { target: cp.target, script: 'scripts/vm/traffic-window.sh', env: { ...windowEnv, ACTION: 'stop', SETTLE_SECONDS: String(ROTATION_SETTLE_SECONDS) }, triggers: [key, wait.stdout] },
      { ...child, dependsOn: [wait, ...xfrmAfter] },
    );
    const captureStop = captureStopStep(name, a.router, routerFile, [key, trafficStop.stdout], { ...child, dependsOn: [trafficStop] });
    const factsAfter = a.nodes.map((n) =>
      runScript(
        `${name}-facts-after-${n.name}`,
        { target: n.target, script: 'scripts/vm/facts.sh', env: { PHASE: 'after' }, triggers: [key, trafficStop.stdout] },
        { ...child, dependsOn: [trafficStop] },
      ),
    );
    const localPath = rotationCapturePath(cfg.stack, cfg.captureRun);
    const fetch = captureFetchStep(name, a.router, routerFile, commandPath(root, localPath), [key, captureStop.stdout], { ...child, dependsOn: [captureStop] });

    const xfrmTexts = pulumi.secret(pulumi.all([...xfrmBefore, ...xfrmAfter].map((c) => c.stdout)));
    const facts = pulumi.all(
      a.nodes.map((n, i) =>
        pulumi.all([pulumi.output(n.ip), factsBefore[i].stdout, factsAfter[i].stdout]).apply(([ip, b, af]) => nodeFacts({ name: n.name, role: n.role, ip }, b, af)),
      ),
    );
    // As soon as the window's pcap is here, a later `up` must not start this attempt's window again.
    const fetched = fetch.stdout.apply((out) => {
      if (!pulumi.runtime.isDryRun()) clearPendingRotation(root, cfg.stack, r);
      return out;
    });
    const verify = a.verify ?? defaultVerify;
    const result = pulumi.all([fetched, captureStop.stdout, trafficStop.stdout, nonce, facts, xfrmTexts]).apply(async ([, stopOut, trafficOut, n, nodes, texts]) => {
      const x = {
        from: r.from,
        to: r.to,
        nonce: n,
        endpoints: [...new Set(nodes.flatMap(addressesOf))],
        clientNode: addressesOf(nodes.find((f) => f.name === clientNode.name)),
        serverNode: addressesOf(nodes.find((f) => f.name === serverNode.name)),
        traffic: parseWindowTraffic(trafficOut),
        xfrmErrorsGrown: Object.fromEntries(nodes.filter((f) => Object.keys(f.xfrmErrorsGrown).length > 0).map((f) => [f.name, f.xfrmErrorsGrown])),
        tcpdump: parseCaptureStop(stopOut),
      };
      if (pulumi.runtime.isDryRun()) return unverifiedRotation(x, localPath, 'not verified yet: the rotation is verified during pulumi up');
      return verifyRotation(
        {
          capturePath: localPath,
          root,
          podCidr: cfg.podCidr,
          expectations: x,
          xfrmTexts: texts,
          writeWireshark: a.verify ? undefined : writeWiresharkForXfrm,
          writeReport: a.verify ? undefined : defaultWriteReport,
        },
        verify,
      );
    });
    // The xfrm texts make the result secret; it carries no key material (counts, addresses, SPIs, times).
    return {
      started: [captureStart, trafficStart, ...factsBefore, ...xfrmBefore],
      done: [captureStop, fetch, ...factsAfter],
      result: pulumi.unsecret(result),
    };
  }
}
