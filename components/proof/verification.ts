/**
 * The verdict as the lab states it: the verifier library (components/verifier) runs on the fetched pcap
 * with everything the lab knows, and `judge` turns its report into pass/fail with one line per failure.
 *
 * - ipsec passes only if: the verdict is `encrypted`, the configured SPI is on the wire, every ESP flow is
 *   between the nodes' addresses (node IPs, cilium_host), zero cleartext pod packets, the nonce never in
 *   cleartext, decryption with the workers' xfrm states succeeded on at least one packet and found the
 *   nonce inside, no XFRM error counter grew on any node, tcpdump dropped nothing.
 * - none (unencrypted) passes only if: the verdict is `cleartext`, the client/server pod pair was seen, the
 *   nonce was seen. This is the sanity check: if the lab cannot see cleartext, its capture is broken and
 *   the ipsec verdict would mean nothing (cilium-cli's "sanity" mode).
 *
 * `judge` is pure; `runVerification` does the I/O (temp xfrm files with mode 0600, removed afterwards;
 * the Wireshark config next to the pcap on ipsec).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Encryption } from '../config';
import type { CaptureCounts, TrafficResult } from './parse';

/** The verifier report fields the lab relies on (the JSON contract in the team brief). */
export interface VerifierReport {
  verdict: 'encrypted' | 'cleartext' | 'partial' | 'inconclusive';
  frames: number;
  warnings: string[];
  esp: {
    packets: number;
    spis: number[];
    flows: {
      src: string;
      dst: string;
      spi: number;
      packets: number;
      firstSeq?: number;
      lastSeq?: number;
      seqIncreasing?: boolean;
      paths?: unknown;
      sizes?: unknown;
    }[];
  };
  cleartext: { podPackets: number; [k: string]: unknown };
  nonce?: { hits: number; [k: string]: unknown };
  decryption?: { ok: number; failed: number; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Expectations {
  encryption: Encryption;
  expect: 'encrypted' | 'cleartext';
  /** ipsec: the key id from lab:ipsecKeyId. */
  spi?: number;
  /** [client pod IP, server pod IP]. */
  pods: string[];
  /** Addresses ESP may run between: node IPs and cilium_host addresses. */
  endpoints: string[];
  nonce: string;
  /** Whether xfrm states were given for decryption (ipsec). */
  decrypt: boolean;
  /** XFRM error counters that grew, per node name. */
  xfrmErrorsGrown: Record<string, Record<string, [number, number]>>;
  /** tcpdump's counts, when known. */
  tcpdump?: CaptureCounts;
}

export interface Judgement {
  pass: boolean;
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
}): Expectations {
  const ipsec = a.encryption === 'ipsec';
  const endpoints = [...new Set([...a.nodeIps, ...a.ciliumHosts].filter((x): x is string => !!x))];
  const e: Expectations = {
    encryption: a.encryption,
    expect: ipsec ? 'encrypted' : 'cleartext',
    pods: a.pods,
    endpoints,
    nonce: a.nonce,
    decrypt: ipsec && a.decrypt,
    xfrmErrorsGrown: a.xfrmErrorsGrown,
  };
  if (ipsec) e.spi = a.spi;
  if (a.tcpdump) e.tcpdump = a.tcpdump;
  return e;
}

/**
 * Nonce hits found inside decrypted packets. The brief's contract leaves the field's name to the
 * verifier; these are the places it may report it.
 */
export function innerNonceHits(r: VerifierReport): number | undefined {
  const d = r.decryption as Record<string, unknown> | undefined;
  const n = r.nonce as Record<string, unknown> | undefined;
  const candidates = [d?.nonceHits, n?.innerHits, n?.decryptedHits, (d?.nonce as { hits?: unknown })?.hits];
  for (const c of candidates) if (typeof c === 'number') return c;
  return undefined;
}

/** Pure: the pass/fail logic. Every failure names what was expected and what was seen. */
export function judge(report: VerifierReport, x: Expectations): Judgement {
  const failures: string[] = [];
  const nonceHits = report.nonce?.hits;
  if (x.tcpdump && x.tcpdump.dropped > 0) {
    failures.push(`tcpdump dropped ${x.tcpdump.dropped} packets (kernel): the capture is incomplete`);
  }
  if (x.encryption === 'ipsec') {
    if (report.verdict !== 'encrypted') failures.push(`verdict is ${report.verdict}, expected encrypted`);
    if (x.spi !== undefined && !report.esp.spis.includes(x.spi)) {
      failures.push(`SPI ${x.spi} (lab:ipsecKeyId) not seen on the wire; SPIs seen: ${report.esp.spis.join(', ') || 'none'}`);
    }
    const allowed = new Set(x.endpoints);
    for (const f of report.esp.flows) {
      const bad = [f.src, f.dst].filter((a) => !allowed.has(a));
      if (bad.length > 0) {
        failures.push(`ESP flow ${f.src} -> ${f.dst} (SPI ${f.spi}, ${f.packets} packets) is not between the nodes' addresses (${x.endpoints.join(', ')})`);
      }
    }
    if (report.cleartext.podPackets !== 0) {
      failures.push(`${report.cleartext.podPackets} cleartext pod packets, expected 0`);
    }
    if (nonceHits === undefined) failures.push('the verifier did not search for the nonce');
    else if (nonceHits !== 0) failures.push(`nonce ${x.nonce} seen in cleartext in ${nonceHits} frames, expected 0`);
    if (x.decrypt) {
      const ok = report.decryption?.ok ?? 0;
      if (ok <= 0) {
        failures.push(`no ESP packet decrypted with the workers' xfrm states (ok ${ok}, failed ${report.decryption?.failed ?? 0})`);
      } else {
        const inner = innerNonceHits(report);
        if (!inner) failures.push(`nonce ${x.nonce} not found inside the ${ok} decrypted packets: the ESP did not carry our traffic`);
      }
    } else {
      failures.push('no xfrm states to decrypt with: cannot show the ESP carried our traffic');
    }
    for (const [node, grown] of Object.entries(x.xfrmErrorsGrown)) {
      for (const [counter, [b, a]] of Object.entries(grown)) {
        failures.push(`node ${node}: XFRM error counter ${counter} grew from ${b} to ${a} during the run`);
      }
    }
  } else {
    if (report.verdict !== 'cleartext') {
      failures.push(`verdict is ${report.verdict}, expected cleartext (sanity check: the lab must see unencrypted pod traffic)`);
    }
    if (report.cleartext.podPackets <= 0) {
      failures.push(`pod pair ${x.pods.join(' <-> ')} not seen in cleartext: the capture misses the pod traffic`);
    }
    if (nonceHits === undefined) failures.push('the verifier did not search for the nonce');
    else if (nonceHits <= 0) failures.push(`nonce ${x.nonce} not seen in cleartext: the capture misses our traffic`);
  }
  return { pass: failures.length === 0, failures };
}

/** Options the lab passes to verifyCapture (a subset of the verifier's AnalyzerOptions). */
export interface VerifyOptions {
  podCidrs?: string[];
  pods?: string[];
  nonce?: string;
  spi?: number;
  endpoints?: string[];
  expect?: 'encrypted' | 'cleartext';
  xfrmFiles?: string[];
  /** Representative frames for the report page (removed from the stack output). */
  samples?: boolean;
}
export type VerifyFn = (capture: string, opts: VerifyOptions) => Promise<VerifierReport>;

/** The `verification` stack output. */
export type VerificationResult = Partial<VerifierReport> & {
  pass: boolean;
  failures: string[];
  /** Relative to the repository root. */
  capturePath: string;
  expected: Omit<Expectations, 'tcpdump' | 'xfrmErrorsGrown'>;
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
  /** Write a Wireshark config dir next to the pcap (ipsec). */
  writeWireshark?: (dir: string, xfrmTexts: string[]) => void | Promise<void>;
  /** Write the report page (captures/<stack>/<run>.html) from the verifier's report and the judgement. */
  writeReport?: (file: string, report: VerifierReport, judgement: Judgement, command: string) => void | Promise<void>;
}

function stripKeys(v: unknown): unknown {
  // Defence in depth: a report never carries key material, but the output is plain: drop any `key` field.
  if (Array.isArray(v)) return v.map(stripKeys);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (!/^(key|keys|aead)$/i.test(k)) o[k] = stripKeys(val);
    return o;
  }
  return v;
}

/** The `npm run verify` command line that repeats the lab's verification (xfrm files named, never their keys). */
export function verifyCommand(capture: string, o: VerifyOptions): string {
  const a = [capture];
  for (const c of o.podCidrs ?? []) a.push('--pod-cidr', c);
  if (o.pods) a.push('--pods', o.pods.join(','));
  if (o.nonce) a.push('--nonce', o.nonce);
  if (o.expect) a.push('--expect', o.expect);
  if (o.spi !== undefined) a.push('--spi', String(o.spi));
  if (o.endpoints) a.push('--endpoints', o.endpoints.join(','));
  (o.xfrmFiles ?? []).forEach((_f, i) => a.push('--xfrm', `node${i + 1}.xfrm`));
  return `npm run verify -- ${a.join(' ')}${o.xfrmFiles?.length ? '   # nodeN.xfrm: `ip xfrm state` run as root on each worker' : ''}`;
}

/** Runs the verifier on the fetched capture and judges it. Never throws: problems become failures. */
export async function runVerification(input: VerificationInput, verify: VerifyFn): Promise<VerificationResult> {
  const x = input.expectations;
  const { tcpdump, xfrmErrorsGrown: _grown, ...expected } = x;
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
    // unencrypted: cleartext between exactly the client/server pair must be seen (--pods).
    // ipsec: stricter, no cleartext between ANY two pod-CIDR addresses (the pair included) may cross the
    // router (--pod-cidr); the verifier ignores the CIDR when pods are given, so give one or the other.
    const opts: VerifyOptions = {
      ...(x.encryption === 'ipsec' ? { podCidrs: [input.podCidr] } : { pods: x.pods }),
      nonce: x.nonce,
      endpoints: x.endpoints,
      expect: x.expect,
    };
    if (x.spi !== undefined) opts.spi = x.spi;
    if (xfrmFiles.length > 0) opts.xfrmFiles = xfrmFiles;
    if (input.writeReport) opts.samples = true;
    const { samples: _samples, ...report } = (stripKeys(await verify(abs, opts)) as VerifierReport);
    const j = judge(report, x);
    const result: VerificationResult = { ...report, ...base, pass: j.pass, failures: j.failures };
    if (input.writeReport) {
      const page = input.capturePath.replace(/\.pcap(ng)?$/, '') + '.html';
      try {
        await input.writeReport(path.resolve(input.root, page), { ...report, samples: _samples }, j, verifyCommand(input.capturePath, opts));
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
