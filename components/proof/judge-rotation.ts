/**
 * The verdict on an IPsec key rotation, from the rotation capture (router, from before the Secret changed
 * until the agents ran on the new key for a while) and what the lab measured around it.
 *
 * One judge: the verifier's `rotation` expectation (`--rotation FROM:TO --rotation-between <the client's
 * and the server's node addresses>`) decides whether the wire shows a rotation: both SPIs carried traffic,
 * every direction between those nodes switched from the old SPI to the new one and stayed there, no
 * cleartext pod packet and no nonce in clear in the window, ESP only between node addresses (`--endpoints`),
 * no other SPI. ESP directions the lab's traffic does not drive (a control-plane's health probes to a
 * worker, say) may show one SPI alone inside the window: the verifier reports them apart and never fails on
 * them. Its expectation failures come first; the lab then adds, as checks, only what it alone knows
 * (ROTATION_CHECKS, the way `judge` works for the ordinary capture):
 *
 * - tcpdump dropped nothing;
 * - traffic was sent during the window, and it crossed both ways between the client's and the server's node;
 * - the nodes' xfrm states read before and after the Secret changed decrypt both key generations on those
 *   directions with no ICV failure, and the nonce is found inside;
 * - no XFRM error counter grew on a node, except those Cilium's documentation says are not mistakes
 *   (reported apart).
 *
 * Pings lost during the window are counted and reported next to the verdict, not judged.
 *
 * `judgeRotation` is pure; `verifyRotation` runs the verifier through the one runner (verification.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import type { Report } from '../verifier';
import type { RotationReport } from '../verifier/report';
import type { CaptureCounts } from './parse';
import { judgeXfrmGrowth } from './xfrm-counters';
import { judge, runVerifier, tcpdumpComplete, type LabCheck, type LabVerifyOptions, type SideOutputs, type VerifyFn } from './verification';


/** The verifier's `rotation` findings (`--rotation FROM:TO`). */
export type RotationFindings = RotationReport;

/** What traffic-window.sh counted from the client pod during the window. */
export interface WindowTraffic {
  pingTransmitted: number;
  pingReceived: number;
  pingLost: number;
  httpTotal: number;
  httpAnswered: number;
}

export interface RotationExpectations {
  from: number;
  to: number;
  nonce: string;
  /** Node IPs and cilium_host addresses: where ESP may run. */
  endpoints: string[];
  /** The client pod's and the server pod's node addresses (IP and cilium_host): the directions the window's
   *  traffic drives, the only ones the rotation is judged on. */
  clientNode: string[];
  serverNode: string[];
  traffic: WindowTraffic;
  /** XFRM error counters that grew during the window, per node: { node: { counter: [before, after] } }. */
  xfrmErrorsGrown: Record<string, Record<string, [number, number]>>;
  tcpdump?: CaptureCounts;
}

/** The `verification.rotation` stack output. */
export interface RotationResult {
  pass: boolean;
  /** The verifier's expectation failures, then the lab checks' own. */
  failures: string[];
  from: number;
  to: number;
  /** Relative to the repository root: captures/<stack>/<run>-rotation.pcap. */
  capturePath: string;
  spis: number[];
  /** Per judged direction (client's node <-> server's node): capture times (seconds since the epoch) of the
   *  last old-SPI and first new-SPI packet. */
  directions: RotationFindings['directions'];
  /** ESP directions of the two SPIs the lab's traffic does not drive: reported, never judged. */
  otherDirections: RotationFindings['directions'];
  cleartextWindows: RotationFindings['cleartextWindows'];
  /** Per key generation, on the judged directions. */
  decryption: Record<'from' | 'to', { ok: number; failed: number }>;
  nonce: { cleartextHits?: number; decryptedHits?: number };
  traffic: WindowTraffic;
  /** Counters that grew: failing ones, and the tolerated ones separately. */
  xfrmErrorsGrown: Record<string, Record<string, [number, number]>>;
  xfrmErrorsTolerated: Record<string, Record<string, [number, number]>>;
  tcpdump?: CaptureCounts;
  warnings: string[];
  /** `npm run verify -- CAPTURE <verifierArgs> --xfrm FILE...` reproduces the verifier's part. */
  verifierArgs?: string[];
  /** Directory for WIRESHARK_CONFIG_DIR that opens the rotation pcap decrypted, both key generations
   *  (holds keys, mode 0600). */
  wiresharkConfigDir?: string;
  /** The report page of the rotation capture, relative to the repository root. */
  reportPage?: string;
}

const isJudged = (report: Report) => {
  const judged = new Set((report.rotation?.directions ?? []).map((d) => `${d.src} ${d.dst}`));
  return (src: string, dst: string) => judged.has(`${src} ${dst}`);
};

/** Decryption of one key generation on the judged directions. */
function generation(report: Report, spi: number): { ok: number; failed: number; packets: number } {
  const judged = isJudged(report);
  let ok = 0;
  let failed = 0;
  let packets = 0;
  for (const f of report.esp.flows) {
    if (f.spi !== spi || !judged(f.src, f.dst)) continue;
    packets += f.packets;
    ok += f.decryption?.ok ?? 0;
    failed += f.decryption?.failed ?? 0;
  }
  return { ok, failed, packets };
}

/** XFRM counters that grew, per node, split by the lab's one rule (xfrm-counters.ts) into failing and tolerated. */
function splitXfrmGrowth(x: RotationExpectations): Pick<RotationResult, 'xfrmErrorsGrown' | 'xfrmErrorsTolerated'> {
  const grown: RotationResult['xfrmErrorsGrown'] = {};
  const tolerated: RotationResult['xfrmErrorsTolerated'] = {};
  for (const [node, counters] of Object.entries(x.xfrmErrorsGrown)) {
    const j = judgeXfrmGrowth(counters);
    if (Object.keys(j.failing).length > 0) grown[node] = j.failing;
    if (Object.keys(j.tolerated).length > 0) tolerated[node] = j.tolerated;
  }
  return { xfrmErrorsGrown: grown, xfrmErrorsTolerated: tolerated };
}

const windowHadTraffic: LabCheck<RotationExpectations> = {
  name: 'traffic was sent during the rotation window',
  failures: (_r, x) =>
    x.traffic.pingTransmitted === 0 && x.traffic.httpTotal === 0 ? ['no traffic was sent during the rotation window: a window without traffic proves nothing'] : [],
};

const bothWays: LabCheck<RotationExpectations> = {
  name: "the window's traffic crossed both ways between the client's and the server's node",
  failures: (r, x) => {
    const dirs = r.rotation?.directions ?? [];
    const crossed = (from: string[], to: string[]) => dirs.some((d) => from.includes(d.src) && to.includes(d.dst));
    const out: string[] = [];
    for (const [a, b, what] of [[x.clientNode, x.serverNode, "the client's node to the server's"], [x.serverNode, x.clientNode, "the server's node to the client's"]] as const) {
      if (!crossed(a, b)) out.push(`no ESP of SPI ${x.from} or ${x.to} from ${what} (${a.join(', ')} -> ${b.join(', ')}) in the rotation window`);
    }
    return out;
  },
};

const bothGenerationsDecrypted: LabCheck<RotationExpectations> = {
  name: "the nodes' xfrm states decrypt both key generations, and the nonce is inside",
  failures: (r, x) => {
    const out: string[] = [];
    for (const spi of [x.from, x.to]) {
      const g = generation(r, spi);
      if (g.packets === 0) continue; // the verifier already says this SPI carried no traffic
      if (g.ok === 0) out.push(`no packet of SPI ${spi} decrypted with the nodes' xfrm states (read before and after the rotation)`);
      if (g.failed > 0) out.push(`${g.failed} packets of SPI ${spi} failed to decrypt (ICV) with the nodes' xfrm states`);
    }
    if (!r.nonce?.decryptedHits) out.push(`nonce ${x.nonce} not found inside the decrypted packets: the ESP did not carry the window's traffic`);
    return out;
  },
};

const xfrmErrorsAllowed: LabCheck<RotationExpectations> = {
  name: 'no XFRM error counter grew beyond those Cilium does not count as mistakes',
  failures: (_r, x) =>
    Object.entries(splitXfrmGrowth(x).xfrmErrorsGrown).flatMap(([node, counters]) =>
      Object.entries(counters).map(([counter, [b, a]]) => `node ${node}: XFRM error counter ${counter} grew from ${b} to ${a} during the rotation (packets dropped)`),
    ),
};

/** The lab's own checks of a rotation, in the order their failures are listed. */
export const ROTATION_CHECKS: readonly LabCheck<RotationExpectations>[] = [tcpdumpComplete, windowHadTraffic, bothWays, bothGenerationsDecrypted, xfrmErrorsAllowed];

/** Pure: the rotation's pass/fail from the verifier's report (made with rotationVerifierOptions) and the lab checks. */
export function judgeRotation(report: Report, x: RotationExpectations, capturePath: string): RotationResult {
  const j = judge(report, x, ROTATION_CHECKS);
  const warnings: string[] = [];
  const t = x.traffic;
  if (t.pingLost > 0) warnings.push(`${t.pingLost} of ${t.pingTransmitted} pings were lost during the rotation window`);
  if (t.httpAnswered < t.httpTotal) warnings.push(`${t.httpTotal - t.httpAnswered} of ${t.httpTotal} HTTP requests got no answer during the rotation window`);
  const from = generation(report, x.from);
  const to = generation(report, x.to);
  const result: RotationResult = {
    pass: j.pass,
    failures: j.failures,
    from: x.from,
    to: x.to,
    capturePath,
    spis: report.esp.spis,
    directions: report.rotation?.directions ?? [],
    otherDirections: report.rotation?.otherDirections ?? [],
    cleartextWindows: report.rotation?.cleartextWindows ?? [],
    decryption: { from: { ok: from.ok, failed: from.failed }, to: { ok: to.ok, failed: to.failed } },
    nonce: { cleartextHits: report.nonce?.hits, decryptedHits: report.nonce?.decryptedHits },
    traffic: t,
    ...splitXfrmGrowth(x),
    warnings,
  };
  if (x.tcpdump) result.tcpdump = x.tcpdump;
  return result;
}

/** Pure: a rotation the verifier did not judge (preview, or a capture it could not read): it fails, saying why. */
export function unverifiedRotation(x: RotationExpectations, capturePath: string, why: string): RotationResult {
  const none = { ok: 0, failed: 0 };
  const result: RotationResult = {
    pass: false,
    failures: [why],
    from: x.from,
    to: x.to,
    capturePath,
    spis: [],
    directions: [],
    otherDirections: [],
    cleartextWindows: [],
    decryption: { from: none, to: none },
    nonce: {},
    traffic: x.traffic,
    ...splitXfrmGrowth(x),
    warnings: [],
  };
  if (x.tcpdump) result.tcpdump = x.tcpdump;
  return result;
}

/** Pure: the verifier options of a rotation capture (`--rotation FROM:TO --rotation-between ...`). */
export function rotationVerifierOptions(x: RotationExpectations, podCidr: string): LabVerifyOptions {
  return {
    podCidrs: [podCidr],
    nonce: x.nonce,
    expect: 'encrypted',
    endpoints: x.endpoints,
    rotation: { from: x.from, to: x.to, between: [...new Set([...x.clientNode, ...x.serverNode])] },
  };
}

export interface RotationVerificationInput extends SideOutputs {
  /** Relative to `root`. */
  capturePath: string;
  root: string;
  podCidr: string;
  expectations: RotationExpectations;
  /** SECRET `ip xfrm state` texts of the workers, before and after the Secret changed (both key generations). */
  xfrmTexts: string[];
}

/** Runs the verifier on the rotation capture and judges it. Never throws: problems become failures. */
export async function verifyRotation(input: RotationVerificationInput, verify: VerifyFn): Promise<RotationResult> {
  const x = input.expectations;
  const r = await runVerifier(
    {
      capturePath: input.capturePath,
      root: input.root,
      label: 'rotation capture',
      options: rotationVerifierOptions(x, input.podCidr),
      xfrmTexts: input.xfrmTexts,
      judge: (report) => judgeRotation(report, x, input.capturePath),
      writeWireshark: input.writeWireshark,
      writeReport: input.writeReport,
    },
    verify,
  );
  if ('failure' in r) return unverifiedRotation(x, input.capturePath, r.failure);
  const result: RotationResult = { ...r.judgement, warnings: [...r.report.warnings, ...r.judgement.warnings], verifierArgs: r.verifierArgs };
  if (r.wiresharkConfigDir) result.wiresharkConfigDir = r.wiresharkConfigDir;
  if (r.reportPage) result.reportPage = r.reportPage;
  return result;
}

/** Pure: the verification with the rotation's verdict beside it; the stack passes only if both do. */
export function mergeRotation<V extends { pass: boolean; failures: string[] }>(v: V, r: RotationResult | undefined): V & { rotation?: RotationResult } {
  if (!r) return v;
  return { ...v, rotation: r, pass: v.pass && r.pass, failures: [...v.failures, ...r.failures.map((f) => `rotation ${r.from} -> ${r.to}: ${f}`)] };
}

export function withRotation<V extends { pass: boolean; failures: string[] }>(
  v: pulumi.Output<V>,
  r: pulumi.Output<RotationResult | undefined> | undefined,
): pulumi.Output<V & { rotation?: RotationResult }> {
  return r ? pulumi.all([v, r]).apply(([a, b]) => mergeRotation(a as V, b)) : v;
}
