/**
 * The verdict on an IPsec key rotation, from the rotation capture (router, from before the Secret changed
 * until the agents ran on the new key for a while) and what the lab measured around it.
 *
 * A rotation passes only if: both SPIs carried traffic; in every direction the traffic moved from the old
 * SPI to the new one (the verifier's `rotation` findings: last old, first new, old-SPI packets after the
 * switchover, per direction); no cleartext pod packet and no nonce in clear anywhere in the window; the
 * nodes' xfrm states read before and after decrypt both generations with no failure, and the nonce is found
 * inside; every ESP flow is between node addresses; no XFRM error counter grew, except those Cilium's
 * documentation says are not mistakes; tcpdump dropped nothing. Pings lost during the window are counted
 * and reported next to the verdict.
 *
 * `judgeRotation` is pure; `runRotationVerification` does the I/O (0600 temp files for the xfrm texts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import type { Report } from '../verifier';
import type { RotationReport } from '../verifier/report';
import type { CaptureCounts } from './parse';
import { verifierArgs, type LabVerifyOptions } from './verification';

/**
 * Cilium's IPsec documentation (encryption-ipsec.rst, Troubleshooting): "All XFRM errors correspond to a
 * packet drop in the kernel. Except for XfrmFwdHdrError and XfrmInError, all XFRM errors indicate a bug in
 * Cilium or an operational mistake." The same page names XfrmInNoStates after a rotation (old key removed
 * before the new one is everywhere) and XfrmInStateProtoError (key changed without a new SPI) as such
 * mistakes. So these two may grow during a correct rotation; any other growth fails it.
 */
export const ROTATION_TOLERATED_XFRM_COUNTERS = ['XfrmInError', 'XfrmFwdHdrError'] as const;

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
  traffic: WindowTraffic;
  /** XFRM error counters that grew during the window, per node: { node: { counter: [before, after] } }. */
  xfrmErrorsGrown: Record<string, Record<string, [number, number]>>;
  tcpdump?: CaptureCounts;
}

/** The `verification.rotation` stack output. */
export interface RotationResult {
  pass: boolean;
  failures: string[];
  from: number;
  to: number;
  /** Relative to the repository root: captures/<stack>/<run>-rotation.pcap. */
  capturePath: string;
  spis: number[];
  /** Per direction: capture times (seconds since the epoch) of the last old-SPI and first new-SPI packet. */
  directions: RotationFindings['directions'];
  cleartextWindows: RotationFindings['cleartextWindows'];
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
}

function perSpi(report: Report, spi: number): { ok: number; failed: number; packets: number } {
  let ok = 0;
  let failed = 0;
  let packets = 0;
  for (const f of report.esp.flows) {
    if (f.spi !== spi) continue;
    packets += f.packets;
    ok += f.decryption?.ok ?? 0;
    failed += f.decryption?.failed ?? 0;
  }
  return { ok, failed, packets };
}

const fmtTime = (t: number | null | undefined) => (t === undefined || t === null ? 'never' : new Date(t * 1000).toISOString());

/** Pure: the rotation's pass/fail. Every failure names what was expected and what was seen. */
export function judgeRotation(report: Report, x: RotationExpectations, capturePath: string): RotationResult {
  const failures: string[] = [];
  const warnings: string[] = [];
  const rot = report.rotation;
  const spis = report.esp.spis;
  for (const spi of [x.from, x.to]) {
    if (!spis.includes(spi)) failures.push(`SPI ${spi} (${spi === x.from ? 'old' : 'new'} key) carried no traffic in the rotation window; SPIs seen: ${spis.join(', ') || 'none'}`);
  }
  if (!rot) {
    failures.push('the verifier reported no rotation findings (run with the rotation expectation FROM:TO)');
  } else {
    if (rot.directions.length < 2) failures.push(`ESP in ${rot.directions.length} direction(s) during the rotation, expected both directions between the nodes`);
    for (const d of rot.directions) {
      if (d.lastOld == null) failures.push(`${d.src} -> ${d.dst}: no packet on the old SPI ${x.from} before the switch (the window started too late)`);
      else if (d.firstNew == null) failures.push(`${d.src} -> ${d.dst}: never switched to the new SPI ${x.to} (last old-SPI packet ${fmtTime(d.lastOld)})`);
      else if (d.switched === false) failures.push(`${d.src} -> ${d.dst}: went back to the old SPI ${x.from} after switching (last old-SPI packet ${fmtTime(d.lastOld)}, first new ${fmtTime(d.firstNew)})`);
    }
    for (const w of rot.cleartextWindows) {
      failures.push(`${w.packets} cleartext pod packets from ${fmtTime(w.start)} to ${fmtTime(w.end)}: the rotation let traffic out unencrypted`);
    }
    if (!rot.met && failures.length === 0) failures.push(`the verifier says the rotation ${x.from}:${x.to} was not met: ${report.expectationFailures.join('; ') || 'no reason given'}`);
  }
  if (report.cleartext.podPackets !== 0 && !(rot && rot.cleartextWindows.length > 0)) {
    failures.push(`${report.cleartext.podPackets} cleartext pod packets in the rotation window, expected 0`);
  }
  const hits = report.nonce?.hits;
  if (hits === undefined) failures.push('the verifier did not search for the nonce');
  else if (hits !== 0) failures.push(`nonce ${x.nonce} seen in cleartext in ${hits} frames of the rotation window, expected 0`);
  const dec = { from: perSpi(report, x.from), to: perSpi(report, x.to) };
  for (const [gen, spi] of [['from', x.from], ['to', x.to]] as const) {
    const d = dec[gen];
    if (d.packets === 0) continue; // already a failure above
    if (d.ok === 0) failures.push(`no packet of SPI ${spi} decrypted with the nodes' xfrm states (read before and after the rotation)`);
    if (d.failed > 0) failures.push(`${d.failed} packets of SPI ${spi} failed to decrypt (ICV) with the nodes' xfrm states`);
  }
  const inner = report.nonce?.decryptedHits;
  if (!inner) failures.push(`nonce ${x.nonce} not found inside the decrypted packets: the ESP did not carry the window's traffic`);
  const allowed = new Set(x.endpoints);
  for (const f of report.esp.flows) {
    const bad = [f.src, f.dst].filter((a) => !allowed.has(a));
    if (bad.length > 0) failures.push(`ESP flow ${f.src} -> ${f.dst} (SPI ${f.spi}) is not between the nodes' addresses (${x.endpoints.join(', ')})`);
  }
  const grown: RotationResult['xfrmErrorsGrown'] = {};
  const tolerated: RotationResult['xfrmErrorsTolerated'] = {};
  for (const [node, counters] of Object.entries(x.xfrmErrorsGrown)) {
    for (const [counter, [b, a]] of Object.entries(counters)) {
      const bucket = (ROTATION_TOLERATED_XFRM_COUNTERS as readonly string[]).includes(counter) ? tolerated : grown;
      (bucket[node] ??= {})[counter] = [b, a];
      if (bucket === grown) failures.push(`node ${node}: XFRM error counter ${counter} grew from ${b} to ${a} during the rotation (packets dropped)`);
    }
  }
  if (x.tcpdump && x.tcpdump.dropped > 0) failures.push(`tcpdump dropped ${x.tcpdump.dropped} packets (kernel): the rotation capture is incomplete`);
  const t = x.traffic;
  if (t.pingTransmitted === 0 && t.httpTotal === 0) failures.push('no traffic was sent during the rotation window: a window without traffic proves nothing');
  if (t.pingLost > 0) warnings.push(`${t.pingLost} of ${t.pingTransmitted} pings were lost during the rotation window`);
  if (t.httpAnswered < t.httpTotal) warnings.push(`${t.httpTotal - t.httpAnswered} of ${t.httpTotal} HTTP requests got no answer during the rotation window`);
  const result: RotationResult = {
    pass: failures.length === 0,
    failures,
    from: x.from,
    to: x.to,
    capturePath,
    spis,
    directions: rot?.directions ?? [],
    cleartextWindows: rot?.cleartextWindows ?? [],
    decryption: { from: { ok: dec.from.ok, failed: dec.from.failed }, to: { ok: dec.to.ok, failed: dec.to.failed } },
    nonce: { cleartextHits: hits, decryptedHits: inner },
    traffic: t,
    xfrmErrorsGrown: grown,
    xfrmErrorsTolerated: tolerated,
    warnings,
  };
  if (x.tcpdump) result.tcpdump = x.tcpdump;
  return result;
}

/** The lab's verifier options plus the rotation expectation (`--rotation FROM:TO`). */
export type RotationVerifyOptions = LabVerifyOptions & { rotation: { from: number; to: number } };
export type RotationVerifyFn = (capture: string, opts: RotationVerifyOptions) => Promise<Report>;

export interface RotationVerificationInput {
  /** Relative to `root`. */
  capturePath: string;
  root: string;
  podCidr: string;
  expectations: RotationExpectations;
  /** SECRET `ip xfrm state` texts of the workers, before and after the Secret changed (both key generations). */
  xfrmTexts: string[];
  /** Write a Wireshark config dir next to the pcap. */
  writeWireshark?: (dir: string, xfrmTexts: string[]) => void | Promise<void>;
}

/** Runs the verifier on the rotation capture and judges it. Never throws: problems become failures. */
export async function runRotationVerification(input: RotationVerificationInput, verify: RotationVerifyFn): Promise<RotationResult> {
  const x = input.expectations;
  const failed = (why: string): RotationResult => ({
    ...judgeRotation({ esp: { packets: 0, spis: [], flows: [] }, cleartext: { podPackets: 0 }, expectationFailures: [] } as unknown as Report, x, input.capturePath),
    pass: false,
    failures: [why],
  });
  const abs = path.resolve(input.root, input.capturePath);
  if (!fs.existsSync(abs)) return failed(`rotation capture ${input.capturePath} is missing on this machine`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-rotation-xfrm-'));
  try {
    fs.chmodSync(tmp, 0o700);
    const xfrmFiles = input.xfrmTexts.map((t, i) => {
      const f = path.join(tmp, `state${i}.xfrm`);
      fs.writeFileSync(f, t, { mode: 0o600 });
      return f;
    });
    const opts: RotationVerifyOptions = {
      podCidrs: [input.podCidr],
      nonce: x.nonce,
      endpoints: x.endpoints,
      expect: 'encrypted',
      xfrmFiles,
      rotation: { from: x.from, to: x.to },
    };
    const report = await verify(abs, opts);
    const args = [...verifierArgs({ ...opts, xfrmFiles: undefined }), '--rotation', `${x.from}:${x.to}`];
    const result: RotationResult = { ...judgeRotation(report, x, input.capturePath), verifierArgs: args };
    if (input.writeWireshark) {
      const dir = input.capturePath.replace(/\.pcap$/, '') + '.wireshark';
      try {
        await input.writeWireshark(path.resolve(input.root, dir), input.xfrmTexts);
        result.wiresharkConfigDir = dir;
      } catch (e) {
        result.warnings.push(`could not write the Wireshark config ${dir}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return result;
  } catch (e) {
    return failed(`verifier could not read ${input.capturePath}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
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
