/**
 * The verdict as the lab states it. One set of rules: the verifier (components/verifier) runs on the
 * fetched pcap with the lab's expectations, exactly the options `npm run verify` takes (`verifierArgs`
 * prints them), and its own `expectationFailures` are the first failures. `judge` adds only what the
 * verifier cannot know, as a list of lab checks (LAB_CHECKS):
 *
 * - tcpdump dropped nothing (an incomplete capture proves no absence);
 * - our traffic is in the capture: ipsec, the nonce was found inside the ESP after decrypting it with the
 *   workers' xfrm states; none, the client/server pair and the nonce were seen in cleartext (the sanity
 *   check: a lab that cannot see cleartext has a broken capture, and its ipsec verdict would mean
 *   nothing; cilium-cli's "sanity" mode);
 * - no XFRM error counter grew on any node during the run (ipsec);
 * - on ipsec, mode-checks.ts adds the agents' checks (agents.ts: every agent reports IPsec, no XFRM error
 *   counter grown since the readiness wait; the configured key id installed).
 *
 * The verifier's expectations: --expect encrypted|cleartext, and on ipsec --spi (the key id: any other
 * SPI on the wire fails), --endpoints (node IPs + cilium_host: ESP between other addresses fails) and
 * --pod-cidr (no cleartext between ANY two pod addresses); on none --pods (exactly the client/server
 * pair). --nonce always: with --expect encrypted, the nonce in cleartext fails.
 *
 * Another encryption mode passes its own list to `judge` / `runVerification` (`checks`), built from the
 * exported checks and its own (e.g. `[tcpdumpComplete, wireguardTrafficCaptured, ...]`); a check names
 * itself and returns its failures, [] when it passes.
 *
 * `judge` is pure. `runVerifier` is the one runner every verification goes through (the ordinary capture
 * here, the key rotation in judge-rotation.ts, the VM suite): it parses the secret xfrm texts in memory and
 * hands the verifier the states (no key reaches a file), judges with the checks it is handed, and writes
 * the side outputs next to the pcap once (the Wireshark config on ipsec, the report page).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Report, VerifyOptions } from '../verifier';
import { toArgs } from '../verifier/argv';
import type { Encryption } from '../config';
import type { CaptureCounts, EncryptStatus, TrafficResult } from './parse';

export interface Expectations {
  encryption: Encryption;
  expect: 'encrypted' | 'cleartext';
  /** ipsec: the key id from lab:ipsecKeyId. */
  spi?: number;
  /** [client pod IP, server pod IP]. */
  pods: string[];
  /** ipsec: the addresses ESP may run between (node IPs and cilium_host addresses); none: empty. */
  endpoints: string[];
  nonce: string;
  /** Whether xfrm states were given for decryption (ipsec). */
  decrypt: boolean;
  /** XFRM error counters that grew, per node name. */
  xfrmErrorsGrown: Record<string, Record<string, [number, number]>>;
  /** tcpdump's counts, when known. */
  tcpdump?: CaptureCounts;
  /** `cilium-dbg encrypt status` per node name, when the agents were asked (ipsec). */
  agents?: Record<string, EncryptStatus>;
}

export interface Judgement {
  pass: boolean;
  /** The verifier's expectation failures first, then the lab checks' failures. */
  failures: string[];
}

/** Pure: expectations from what the lab knows. */
export function expectationsFor(a: {
  encryption: Encryption;
  spi: number;
  pods: string[];
  nodeIps: string[];
  ciliumHosts: (string | undefined)[];
  nonce: string;
  decrypt: boolean;
  xfrmErrorsGrown: Record<string, Record<string, [number, number]>>;
  tcpdump?: CaptureCounts;
  agents?: Record<string, EncryptStatus>;
}): Expectations {
  const ipsec = a.encryption === 'ipsec';
  // WireGuard runs between the node IPs (UDP 51871); IPsec also between cilium_host addresses (<= 1.17).
  const hosts = ipsec ? a.ciliumHosts : [];
  const endpoints = a.encryption === 'none' ? [] : [...new Set([...a.nodeIps, ...hosts].filter((x): x is string => !!x))];
  const e: Expectations = {
    encryption: a.encryption,
    expect: a.encryption === 'none' ? 'cleartext' : 'encrypted',
    pods: a.pods,
    endpoints,
    nonce: a.nonce,
    decrypt: ipsec && a.decrypt,
    xfrmErrorsGrown: a.xfrmErrorsGrown,
  };
  if (ipsec) e.spi = a.spi;
  if (a.tcpdump) e.tcpdump = a.tcpdump;
  if (a.agents) e.agents = a.agents;
  return e;
}

/** The verifier options the lab uses (the subset of VerifyOptions with a command-line twin; the xfrm states aside). */
export type LabVerifyOptions = Pick<VerifyOptions, 'podCidrs' | 'pods' | 'nonce' | 'spi' | 'endpoints' | 'expect' | 'rotation'>;
/** What the runner asks of the verifier: the lab's options, the parsed xfrm states (and their parse warnings),
 *  and representative frames for the report page. */
export type VerifyFnOptions = LabVerifyOptions & Pick<VerifyOptions, 'xfrm' | 'warnings' | 'samples'>;

/** Pure: the verifier options for the lab's expectations. */
export function verifierOptions(x: Expectations, podCidr: string): LabVerifyOptions {
  // ipsec and wireguard: no cleartext between ANY two pod-CIDR addresses (the pair included) may cross the router
  // (--pod-cidr); none: cleartext between exactly the client/server pair must be seen (--pods). The
  // verifier ignores the CIDR when pods are given, so give one or the other.
  const opts: LabVerifyOptions = {
    ...(x.encryption !== 'none' ? { podCidrs: [podCidr] } : { pods: x.pods }),
    nonce: x.nonce,
    expect: x.expect,
  };
  if (x.spi !== undefined) opts.spi = x.spi;
  // --endpoints is an ESP expectation (no ESP between them fails it): on wireguard the lab's own check
  // keeps every WireGuard flow between the node IPs instead.
  if (x.encryption === 'ipsec' && x.endpoints.length > 0) opts.endpoints = x.endpoints;
  return opts;
}

/**
 * Pure: the same options as `npm run verify -- CAPTURE ...` arguments, written by the verifier's own
 * options table (components/verifier/argv.ts toArgs), so the lab's record and the command cannot differ.
 */
export function verifierArgs(opts: LabVerifyOptions): string[] {
  return toArgs(opts);
}

/** A rule only the lab can judge (it knows things the capture does not), on the expectations X of a capture. */
export interface LabCheck<X = Expectations> {
  name: string;
  /** Failures, each naming what was expected and what was seen; [] = passed. */
  failures(report: Report, x: X): string[];
}

/** The ordinary capture and the key rotation's capture both need it. */
export const tcpdumpComplete: LabCheck<{ tcpdump?: CaptureCounts }> = {
  name: 'tcpdump dropped nothing',
  failures: (_r, x) => (x.tcpdump && x.tcpdump.dropped > 0 ? [`tcpdump dropped ${x.tcpdump.dropped} packets (kernel): the capture is incomplete`] : []),
};

export const ourTrafficCaptured: LabCheck = {
  name: 'the nonce of this run is in the capture',
  failures: (r, x) => {
    if (!r.nonce) return ['the verifier did not search for the nonce'];
    if (x.encryption === 'none') {
      return [
        ...(r.cleartext.podPackets > 0 ? [] : [`pod pair ${x.pods.join(' <-> ')} not seen in cleartext: the capture misses the pod traffic`]),
        ...(r.nonce.hits > 0 ? [] : [`nonce ${x.nonce} not seen in cleartext: the capture misses our traffic`]),
      ];
    }
    if (!x.decrypt) return ['no xfrm states to decrypt with: cannot show the ESP carried our traffic'];
    const ok = r.decryption?.ok ?? 0;
    if (ok <= 0) return [`no ESP packet decrypted with the workers' xfrm states (ok ${ok}, failed ${r.decryption?.failed ?? 0})`];
    if (r.nonce.decryptedHits <= 0) return [`nonce ${x.nonce} not found inside the ${ok} decrypted packets: the ESP did not carry our traffic`];
    return [];
  },
};

export const noXfrmErrorGrowth: LabCheck = {
  name: 'no XFRM error counter grew',
  failures: (_r, x) =>
    Object.entries(x.xfrmErrorsGrown).flatMap(([node, grown]) =>
      Object.entries(grown).map(([counter, [b, a]]) => `node ${node}: XFRM error counter ${counter} grew from ${b} to ${a} during the run`),
    ),
};

/** The lab's own checks, in the order their failures are listed (ipsec adds the agents' checks: mode-checks.ts). */
export const LAB_CHECKS: readonly LabCheck[] = [tcpdumpComplete, ourTrafficCaptured, noXfrmErrorGrowth];

/**
 * Pure: the pass/fail. The report must have been made with verifierOptions(x, ...): its expectation
 * failures are the verifier's judgement of those options, and come first.
 */
export function judge(report: Report, x: Expectations, checks?: readonly LabCheck[]): Judgement;
export function judge<X>(report: Report, x: X, checks: readonly LabCheck<X>[]): Judgement;
export function judge(report: Report, x: unknown, checks: readonly LabCheck<unknown>[] = LAB_CHECKS): Judgement {
  const failures = [...report.expectationFailures, ...checks.flatMap((c) => c.failures(report, x))];
  return { pass: report.meetsExpectation && failures.length === 0, failures };
}

/** Runs the verifier library (the CLI's options as an object). */
export type VerifyFn = (capture: string, opts: VerifyFnOptions) => Promise<Report>;

/** The `verification` stack output. */
export type VerificationResult = Partial<Report> & {
  pass: boolean;
  failures: string[];
  /** Relative to the repository root. */
  capturePath: string;
  expected: Omit<Expectations, 'tcpdump' | 'xfrmErrorsGrown' | 'agents'>;
  /** `npm run verify -- CAPTURE ARGS` reproduces the verifier's part of this verdict (xfrm files aside). */
  verifierArgs?: string[];
  tcpdump?: CaptureCounts;
  traffic?: TrafficResult;
  /** ipsec: directory for WIRESHARK_CONFIG_DIR that opens the pcap decrypted (holds keys, mode 0600). */
  wiresharkConfigDir?: string;
  /** The report page next to the capture, relative to the repository root. */
  reportPage?: string;
};

/** What the lab writes next to a capture besides its verdict; each is written once, by runVerifier. */
export interface SideOutputs {
  /** Write a Wireshark config dir next to the pcap from the xfrm texts (ipsec). */
  writeWireshark?: (dir: string, xfrmTexts: string[]) => void | Promise<void>;
  /** Write the report page next to the pcap from the verifier's report and the judgement. */
  writeReport?: (file: string, report: Report, judgement: Judgement, command: string) => void | Promise<void>;
}

export interface VerificationInput extends SideOutputs {
  /** Relative to `root`. */
  capturePath: string;
  root: string;
  podCidr: string;
  expectations: Expectations;
  /** SECRET texts of `ip xfrm state`; parsed in memory, never written to a file. */
  xfrmTexts: string[];
  traffic?: TrafficResult;
  /** The lab checks judge applies (default LAB_CHECKS); another encryption mode passes its own list. */
  checks?: readonly LabCheck[];
}

/** How the xfrm texts are named in the verifier's warnings and in the command that repeats the verification. */
const xfrmName = (i: number) => `node${i + 1}.xfrm`;

/** The `npm run verify` command line that repeats a verification (xfrm files named, never their keys). */
export function verifyCommand(capture: string, o: LabVerifyOptions, xfrmCount: number): string {
  const args = [capture, ...verifierArgs(o)];
  for (let i = 0; i < xfrmCount; i++) args.push('--xfrm', xfrmName(i));
  return `npm run verify -- ${args.join(' ')}${xfrmCount > 0 ? '   # nodeN.xfrm: `ip xfrm state` run as root on each worker' : ''}`;
}

/** One run of the verifier on a fetched capture, judged by the checks it is handed. */
export interface VerifierRun<J extends Judgement> extends SideOutputs {
  /** Relative to `root`. */
  capturePath: string;
  root: string;
  /** What the capture is called in failures ("capture", "rotation capture"). */
  label: string;
  /** Appended to the failure when the capture is missing (how to capture again). */
  missingHint?: string;
  options: LabVerifyOptions;
  /** SECRET `ip xfrm state` texts. */
  xfrmTexts: string[];
  judge: (report: Report) => J;
}

export type VerifierRunResult<J extends Judgement> =
  | {
      /** The verifier's report (its samples went to the report page only) with the side outputs' warnings. */
      report: Report;
      judgement: J;
      /** `npm run verify -- CAPTURE <verifierArgs> --xfrm FILE...` reproduces the verifier's part. */
      verifierArgs: string[];
      wiresharkConfigDir?: string;
      reportPage?: string;
    }
  | { failure: string };

/** Runs the verifier on the fetched capture and judges it. Never throws: problems become the failure. */
export async function runVerifier<J extends Judgement>(run: VerifierRun<J>, verify: VerifyFn): Promise<VerifierRunResult<J>> {
  const abs = path.resolve(run.root, run.capturePath);
  if (!fs.existsSync(abs)) return { failure: `${run.label} ${run.capturePath} is missing on this machine${run.missingHint ?? ''}` };
  try {
    // Loaded lazily, like the verifier itself: the program needs it only during `pulumi up`.
    const { xfrmStatesOf } = await import('../verifier');
    const xfrm = xfrmStatesOf(run.xfrmTexts.map((text, i) => ({ name: xfrmName(i), text })));
    const opts: VerifyFnOptions = { ...run.options, ...(run.xfrmTexts.length > 0 ? { xfrm: xfrm.states, warnings: xfrm.warnings } : {}) };
    // The samples carry raw frames for the report page only; the stack output stays small.
    const { samples, ...report } = await verify(abs, run.writeReport ? { ...opts, samples: true } : opts);
    const judgement = run.judge(report);
    const out: VerifierRunResult<J> = { report: { ...report, warnings: [...report.warnings] }, judgement, verifierArgs: verifierArgs(run.options) };
    // Not part of the verdict: a side output that cannot be written is a warning next to the verifier's own.
    const side = async (what: string, file: string, write: () => void | Promise<void>): Promise<boolean> => {
      try {
        await write();
        return true;
      } catch (e) {
        out.report.warnings.push(`could not write the ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
    };
    const stem = run.capturePath.replace(/\.pcap(ng)?$/, '');
    if (run.writeReport) {
      const page = `${stem}.html`;
      const command = verifyCommand(run.capturePath, run.options, run.xfrmTexts.length);
      if (await side('report page', page, () => run.writeReport!(path.resolve(run.root, page), { ...report, samples }, judgement, command))) out.reportPage = page;
    }
    if (run.writeWireshark && run.xfrmTexts.length > 0) {
      const dir = `${stem}.wireshark`;
      if (await side('Wireshark config', dir, () => run.writeWireshark!(path.resolve(run.root, dir), run.xfrmTexts))) out.wiresharkConfigDir = dir;
    }
    return out;
  } catch (e) {
    return { failure: `verifier could not read ${run.capturePath}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The ordinary capture's verification: the verifier with the lab's expectations, judged by the lab checks. */
export async function runVerification(input: VerificationInput, verify: VerifyFn): Promise<VerificationResult> {
  const x = input.expectations;
  const { tcpdump, xfrmErrorsGrown: _grown, agents: _agents, ...expected } = x;
  const base = { capturePath: input.capturePath, expected, tcpdump, traffic: input.traffic };
  const r = await runVerifier(
    {
      capturePath: input.capturePath,
      root: input.root,
      label: 'capture',
      missingHint: ': raise lab:captureRun to capture again',
      options: verifierOptions(x, input.podCidr),
      xfrmTexts: input.xfrmTexts,
      judge: (report) => judge(report, x, input.checks),
      writeWireshark: input.writeWireshark,
      writeReport: input.writeReport,
    },
    verify,
  );
  if ('failure' in r) return { ...base, pass: false, failures: [r.failure] };
  const result: VerificationResult = { ...r.report, ...base, pass: r.judgement.pass, failures: r.judgement.failures, verifierArgs: r.verifierArgs };
  if (r.reportPage) result.reportPage = r.reportPage;
  if (r.wiresharkConfigDir) result.wiresharkConfigDir = r.wiresharkConfigDir;
  return result;
}
