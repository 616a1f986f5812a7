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
 * `judge` is pure; `runVerification` does the I/O (temp xfrm files with mode 0600, removed afterwards;
 * the Wireshark config next to the pcap on ipsec).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Report, VerifyOptions } from '../verifier';
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

/** The verifier options the lab uses (the subset of VerifyOptions with a command-line twin). */
export type LabVerifyOptions = Pick<VerifyOptions, 'podCidrs' | 'pods' | 'nonce' | 'spi' | 'endpoints' | 'expect' | 'xfrmFiles'>;
/** What runVerification asks of the verifier: the lab's options, and representative frames for the report page. */
export type VerifyFnOptions = LabVerifyOptions & Pick<VerifyOptions, 'samples'>;

/** Pure: the verifier options for the lab's expectations. */
export function verifierOptions(x: Expectations, podCidr: string, xfrmFiles: string[] = []): LabVerifyOptions {
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
  if (xfrmFiles.length > 0) opts.xfrmFiles = xfrmFiles;
  return opts;
}

/** Pure: the same options as `npm run verify -- CAPTURE ...` arguments (components/verifier/cli.ts). */
export function verifierArgs(opts: LabVerifyOptions): string[] {
  const args: string[] = [];
  for (const c of opts.podCidrs ?? []) args.push('--pod-cidr', c);
  if (opts.pods) args.push('--pods', opts.pods.join(','));
  if (opts.nonce !== undefined) args.push('--nonce', opts.nonce);
  if (opts.expect !== undefined) args.push('--expect', opts.expect);
  if (opts.spi !== undefined) args.push('--spi', String(opts.spi));
  if (opts.endpoints) args.push('--endpoints', opts.endpoints.join(','));
  for (const f of opts.xfrmFiles ?? []) args.push('--xfrm', f);
  return args;
}

/** A rule only the lab can judge (it knows things the capture does not). */
export interface LabCheck {
  name: string;
  /** Failures, each naming what was expected and what was seen; [] = passed. */
  failures(report: Report, x: Expectations): string[];
}

export const tcpdumpComplete: LabCheck = {
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

export const xfrmErrorsStill: LabCheck = {
  name: 'no XFRM error counter grew',
  failures: (_r, x) =>
    Object.entries(x.xfrmErrorsGrown).flatMap(([node, grown]) =>
      Object.entries(grown).map(([counter, [b, a]]) => `node ${node}: XFRM error counter ${counter} grew from ${b} to ${a} during the run`),
    ),
};

/** The lab's own checks, in the order their failures are listed (ipsec adds the agents' checks: mode-checks.ts). */
export const LAB_CHECKS: readonly LabCheck[] = [tcpdumpComplete, ourTrafficCaptured, xfrmErrorsStill];

/**
 * Pure: the pass/fail. The report must have been made with verifierOptions(x, ...): its expectation
 * failures are the verifier's judgement of those options, and come first.
 */
export function judge(report: Report, x: Expectations, checks: readonly LabCheck[] = LAB_CHECKS): Judgement {
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

export interface VerificationInput {
  /** Relative to `root`. */
  capturePath: string;
  root: string;
  podCidr: string;
  expectations: Expectations;
  /** SECRET texts of `ip xfrm state`; written to 0600 temp files for the verifier, then deleted. */
  xfrmTexts: string[];
  traffic?: TrafficResult;
  /** The lab checks judge applies (default LAB_CHECKS); another encryption mode passes its own list. */
  checks?: readonly LabCheck[];
  /** Write a Wireshark config dir next to the pcap (ipsec). */
  writeWireshark?: (dir: string, xfrmTexts: string[]) => void | Promise<void>;
  /** Write the report page (captures/<stack>/<run>.html) from the verifier's report and the judgement. */
  writeReport?: (file: string, report: Report, judgement: Judgement, command: string) => void | Promise<void>;
}

/** The `npm run verify` command line that repeats the lab's verification (xfrm files named, never their keys). */
export function verifyCommand(capture: string, o: LabVerifyOptions): string {
  const args = [capture, ...verifierArgs({ ...o, xfrmFiles: undefined })];
  (o.xfrmFiles ?? []).forEach((_f, i) => args.push('--xfrm', `node${i + 1}.xfrm`));
  return `npm run verify -- ${args.join(' ')}${o.xfrmFiles?.length ? '   # nodeN.xfrm: `ip xfrm state` run as root on each worker' : ''}`;
}

/** Runs the verifier on the fetched capture and judges it. Never throws: problems become failures. */
export async function runVerification(input: VerificationInput, verify: VerifyFn): Promise<VerificationResult> {
  const x = input.expectations;
  const { tcpdump, xfrmErrorsGrown: _grown, agents: _agents, ...expected } = x;
  const base = { capturePath: input.capturePath, expected, tcpdump, traffic: input.traffic };
  const abs = path.resolve(input.root, input.capturePath);
  if (!fs.existsSync(abs)) {
    return { ...base, pass: false, failures: [`capture ${input.capturePath} is missing on this machine: raise lab:captureRun to capture again`] };
  }
  let tmp: string | undefined;
  try {
    const xfrmFiles: string[] = [];
    if (input.xfrmTexts.length > 0) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-xfrm-'));
      fs.chmodSync(tmp, 0o700);
      input.xfrmTexts.forEach((t, i) => {
        const f = path.join(tmp as string, `node${i}.xfrm`);
        fs.writeFileSync(f, t, { mode: 0o600 });
        xfrmFiles.push(f);
      });
    }
    const opts = verifierOptions(x, input.podCidr, xfrmFiles);
    // The samples carry raw frames for the report page only; the stack output stays small.
    const { samples, ...report } = await verify(abs, input.writeReport ? { ...opts, samples: true } : opts);
    const j = judge(report, x, input.checks);
    const result: VerificationResult = {
      ...report,
      ...base,
      pass: j.pass,
      failures: j.failures,
      verifierArgs: verifierArgs({ ...opts, xfrmFiles: undefined }),
    };
    if (input.writeReport) {
      const page = input.capturePath.replace(/\.pcap(ng)?$/, '') + '.html';
      try {
        await input.writeReport(path.resolve(input.root, page), { ...report, samples }, j, verifyCommand(input.capturePath, opts));
        result.reportPage = page;
      } catch (e) {
        result.warnings = [...(result.warnings ?? []), `could not write the report page ${page}: ${e instanceof Error ? e.message : String(e)}`];
      }
    }
    if (input.writeWireshark && input.xfrmTexts.length > 0) {
      const dir = input.capturePath.replace(/\.pcap$/, '') + '.wireshark';
      try {
        await input.writeWireshark(path.resolve(input.root, dir), input.xfrmTexts);
        result.wiresharkConfigDir = dir;
      } catch (e) {
        // Not part of the verdict: say so next to the verifier's own warnings.
        result.warnings = [...(result.warnings ?? []), `could not write the Wireshark config ${dir}: ${e instanceof Error ? e.message : String(e)}`];
      }
    }
    return result;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ...base, pass: false, failures: [`verifier could not read ${input.capturePath}: ${msg}`] };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
