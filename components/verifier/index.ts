/**
 * The capture verifier as a library: `verifyCapture(path, opts)` reads a pcap / pcapng (optionally gzip) capture
 * and returns the Report (verdict, ESP findings, cleartext pod traffic, nonce hits, decryption results).
 *
 * Pure TypeScript on node:* and one npm package, ipaddr.js (address and CIDR parsing, net/cidr.ts): nothing here
 * (or anywhere under components/verifier) imports the Pulumi SDK, so the same code runs in the CLI, in tests and
 * inside the Pulumi program.
 */
import * as fs from 'node:fs';
import { Analyzer } from './analyze/analyzer';
import type { AnalyzerOptions, Report } from './analyze/analyzer';
import { withDefaults } from './analyze/options';
import { readCapture } from './capture';
import { parseXfrmText, XfrmParseError } from './crypto/xfrm';
import type { XfrmState } from './crypto/xfrm';
import type { ArgOptions } from './argv';

export { parseEncryptStatus } from './status';
export type { EncryptStatus, EncryptionKind, WireguardInterfaceStatus } from './status';
export { readCapture, CaptureError, MAXIMUM_SNAPLEN } from './capture';
export type { Frame, CaptureSummary, ReadCaptureOptions, FrameCallback } from './capture';
export { Analyzer, DEFAULT_ANALYZER_OPTIONS, withDefaults } from './analyze/analyzer';
export { DEFAULT_POD_CIDRS } from './analyze/options';
export {
  DEFAULT_GENEVE_PORTS, DEFAULT_VXLAN_PORTS, DEFAULT_WIREGUARD_PORTS, ESP_IN_UDP_PORT, GENEVE_PORT, VXLAN_PORT_CILIUM, VXLAN_PORT_IANA,
  WIREGUARD_PORT_CILIUM,
} from './decode/ports';
export type { AnalyzerOptions, FrameFacts, Report, Verdict } from './analyze/analyzer';
export type { Expectations } from './analyze/options';
export { evidenceWarnings, expectationFailures, judgeFindings, rotationFailures, verdictOf, verdictReasons } from './analyze/verdict';
export type { Findings, RotationFindings } from './analyze/verdict';
export { parseXfrmState, parseXfrmText, XfrmParseError } from './crypto/xfrm';
export type { XfrmState } from './crypto/xfrm';
export { writeWiresharkConfig } from './crypto/wireshark';
export type { WiresharkSa } from './crypto/wireshark';
export {
  fromArgs, OptionError, parseKey, parsePort, parseRotation, parseSpi, shellWord, toArgs, VERIFY_OPTIONS, verifyCommandLine,
} from './argv';
export type { ArgOptions, OptionCodec, OptionGroup, OptionSpec } from './argv';
export { FRAME_CLASSES, VERDICTS } from './report';
export type { ClassCounts, FrameClass, FrameSample, TimeWindow, Timeline, WireguardFlowReport, WireguardReport } from './report';

/** A named input other than the capture (an --xfrm file) cannot be used. `file` names it, `problem` says why. */
export class InputError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
  }
}

/** The analyzer's options (ArgOptions are those with a command-line twin), the xfrm files and the reader's. */
export type VerifyOptions = Partial<AnalyzerOptions> & ArgOptions & {
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
  const analyzer = new Analyzer(withDefaults({ ...rest, xfrm: [...(rest.xfrm ?? []), ...loaded.states] }));
  const summary = await readCapture(path, (f) => analyzer.addFrame(f), {
    onWarning: (w) => warnings.push(w), maxCaplen, bufferSize, pause,
  });
  return analyzer.report(summary, warnings);
}
