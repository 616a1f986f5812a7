/**
 * The capture verifier as a library: `verifyCapture(path, opts)` reads a pcap / pcapng (optionally gzip) capture
 * and returns the Report (verdict, ESP findings, cleartext pod traffic, nonce hits, decryption results).
 *
 * Pure TypeScript on node:* and one npm package, ipaddr.js (address and CIDR parsing, net/cidr.ts): nothing here
 * (or anywhere under components/verifier) imports the Pulumi SDK, so the same code runs in the CLI, in tests and
 * inside the Pulumi program.
 */
import * as fs from 'node:fs';
import { Analyzer, DEFAULT_ANALYZER_OPTIONS } from './analyze/analyzer';
import type { AnalyzerOptions, Report } from './analyze/analyzer';
import { readCapture } from './capture';
import { parseXfrmText, XfrmParseError } from './crypto/xfrm';
import type { XfrmState } from './crypto/xfrm';

export { parseEncryptStatus } from './status';
export type { EncryptStatus, EncryptionKind, WireguardInterfaceStatus } from './status';
export { readCapture, CaptureError, MAXIMUM_SNAPLEN } from './capture';
export type { Frame, CaptureSummary, ReadCaptureOptions, FrameCallback } from './capture';
export { Analyzer, DEFAULT_ANALYZER_OPTIONS } from './analyze/analyzer';
export type { AnalyzerOptions, FrameFacts, Report, Verdict } from './analyze/analyzer';
export { parseXfrmState, parseXfrmText, XfrmParseError } from './crypto/xfrm';
export type { XfrmState } from './crypto/xfrm';
export { writeWiresharkConfig } from './crypto/wireshark';
export type { WiresharkSa } from './crypto/wireshark';
export { formatReport } from './format';
export { FRAME_CLASSES, VERDICTS } from './report';
export type { ClassCounts, FrameClass, FrameSample, TimeWindow, Timeline, WireguardFlowReport, WireguardReport } from './report';

/** Defaults applied by verifyCapture (and the CLI) when an option is not given. */
// (The analyzer's own defaults: one source of truth. 10.0.0.0/8, [8472, 4789], [6081].)
export const DEFAULT_POD_CIDRS: readonly string[] = DEFAULT_ANALYZER_OPTIONS.podCidrs;
export const DEFAULT_VXLAN_PORTS: readonly number[] = DEFAULT_ANALYZER_OPTIONS.vxlanPorts;
export const DEFAULT_GENEVE_PORTS: readonly number[] = DEFAULT_ANALYZER_OPTIONS.genevePorts;
export const DEFAULT_WIREGUARD_PORTS: readonly number[] = DEFAULT_ANALYZER_OPTIONS.wireguardPorts;

/** A named input other than the capture (an --xfrm file) cannot be used. `file` names it, `problem` says why. */
export class InputError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
  }
}

export type VerifyOptions = Partial<AnalyzerOptions> & {
  /** Files holding `ip xfrm state` output (run as root on the nodes); their states are added to opts.xfrm. */
  xfrmFiles?: string[];
  /** Reader options (see readCapture). */
  maxCaplen?: number;
  bufferSize?: number;
  /** Awaited between read chunks: lets a consumer of onFrameFacts apply back-pressure. */
  pause?: () => Promise<void> | undefined;
  /** Warnings gathered before the capture is read (they come first in report.warnings). */
  warnings?: string[];
};

/** Reads and parses xfrm state files. Throws InputError naming the file (and the line, for a parse error). */
export async function loadXfrmFiles(files: readonly string[]): Promise<{ states: XfrmState[]; warnings: string[] }> {
  const sources: XfrmSource[] = [];
  for (const file of files) {
    try {
      sources.push({ name: file, text: await fs.promises.readFile(file, 'utf8') });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new InputError(file, err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory'
        : err.code === 'EACCES' ? 'permission denied' : err.message);
    }
  }
  return xfrmStatesOf(sources);
}

/** One `ip xfrm state` text and what to call it in warnings and errors (a file, a node). */
export interface XfrmSource {
  name: string;
  text: string;
}

/**
 * Parses `ip xfrm state` texts already in memory (a caller holding them as secrets need not write them to files).
 * Throws InputError naming the source (and the line, for a parse error); warnings are prefixed with its name.
 */
export function xfrmStatesOf(sources: readonly XfrmSource[]): { states: XfrmState[]; warnings: string[] } {
  const states: XfrmState[] = [];
  const warnings: string[] = [];
  for (const { name, text } of sources) {
    let parsed: XfrmState[];
    try {
      const r = parseXfrmText(text);
      parsed = r.states;
      warnings.push(...r.warnings.map((w) => `${name}: ${w}`));
    } catch (e) {
      if (e instanceof XfrmParseError) throw new InputError(name, e.message);
      throw e;
    }
    if (parsed.length === 0) warnings.push(`${name}: no xfrm states found (is it the output of "ip xfrm state" run as root?)`);
    states.push(...parsed);
  }
  return { states, warnings };
}

/** Completes partial options with the defaults (pod CIDR 10.0.0.0/8, VXLAN 8472+4789, Geneve 6081, WireGuard 51871, no keys). */
export function analyzerOptions(opts: Partial<AnalyzerOptions>): AnalyzerOptions {
  return {
    ...opts,
    podCidrs: opts.podCidrs ?? [...DEFAULT_POD_CIDRS],
    vxlanPorts: opts.vxlanPorts ?? [...DEFAULT_VXLAN_PORTS],
    genevePorts: opts.genevePorts ?? [...DEFAULT_GENEVE_PORTS],
    wireguardPorts: opts.wireguardPorts ?? [...DEFAULT_WIREGUARD_PORTS],
    keys: opts.keys ?? [],
    xfrm: opts.xfrm ?? [],
  };
}

/**
 * Verifies one capture. Rejects with CaptureError (capture unusable: missing, not a capture, corrupt header,
 * impossible record length) or InputError (an --xfrm file unusable); a capture cut short at the end is analysed
 * up to its last whole record and reported in `warnings`.
 */
export async function verifyCapture(path: string, opts: VerifyOptions = {}): Promise<Report> {
  const { xfrmFiles, maxCaplen, bufferSize, pause, warnings: early, ...rest } = opts;
  const warnings: string[] = [...(early ?? [])];
  const loaded = await loadXfrmFiles(xfrmFiles ?? []);
  warnings.push(...loaded.warnings);
  const aopts = analyzerOptions({ ...rest, xfrm: [...(rest.xfrm ?? []), ...loaded.states] });
  const analyzer = new Analyzer(aopts);
  const summary = await readCapture(path, (f) => analyzer.addFrame(f), {
    onWarning: (w) => warnings.push(w), maxCaplen, bufferSize, pause,
  });
  return analyzer.report(summary, warnings);
}
