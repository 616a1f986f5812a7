/**
 * verifyRun: the ordinary capture's verdict as the `verification` stack output, from what the capture
 * steps printed and the nodes' facts. No Pulumi here: the EncryptionProof component calls it from one thin
 * apply during `pulumi up` (previewVerification during a preview), and tests call it as it is.
 *
 * Besides the verdict it keeps the stack's history of modes: every verification is also written next to
 * its pcap (captures/<stack>/<run>-<mode>.json), and after an in-place switch (the encryption-mode record
 * names the mode before it) the last verification in that mode is shown as `before`, the manual method's
 * "before" capture beside the "after" one.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Encryption, LabConfig } from '../config';
import type { Report } from '../verifier';
import { parseIpsecReadiness } from './agents';
import type { NodeFacts } from './facts';
import { modeChecks, withModeEvidence, type ModeVerificationResult } from './mode-checks';
import { parseCaptureStop, parseTraffic } from './parse';
import { expectationsFor, runVerification, type Expectations, type Judgement, type SideOutputs, type VerificationResult, type VerifyFn } from './verification';

/** The version of the `verification` output's shape; a reader refuses shapes it does not know. */
export const VERIFICATION_SCHEMA_VERSION = 1;

/** The `verification` stack output (before a key rotation's verdict is merged in). */
export type LabVerification = ModeVerificationResult & {
  schemaVersion: typeof VERIFICATION_SCHEMA_VERSION;
  /** After an in-place switch: this stack's last verification in the mode before it. */
  before?: LabVerification;
};

export interface RunInput {
  config: Pick<LabConfig, 'stack' | 'encryption' | 'ipsecKeyId' | 'podCidr'>;
  /** Relative to `root`: captures/<stack>/<run>-<mode>.pcap. */
  capturePath: string;
  root: string;
  nonce: string;
  pods: { clientIp: string; serverIp: string; clientNode: string; serverNode: string };
  nodes: NodeFacts[];
  /** What capture-stop.sh and traffic.sh printed. */
  captureStop: string;
  traffic: string;
  /** SECRET: the workers' `ip xfrm state` (ipsec). */
  xfrmTexts: string[];
  /** What ipsec-wait.sh printed when it let the capture start (ipsec); undefined when no readiness wait ran. */
  readiness?: string;
  /** The encryption-mode record's stdout: `previous=<mode>` names the mode before the stack's last switch. */
  modeRecord?: string;
}

/** Pure: the expectations of this run. */
export function runExpectations(input: RunInput): Expectations {
  const nodes = input.nodes;
  return expectationsFor({
    encryption: input.config.encryption,
    spi: input.config.ipsecKeyId,
    pods: [input.pods.clientIp, input.pods.serverIp],
    nodeIps: nodes.map((f) => f.ip),
    ciliumHosts: nodes.map((f) => f.ciliumHost),
    nonce: input.nonce,
    decrypt: input.xfrmTexts.length > 0,
    xfrmErrorsGrown: Object.fromEntries(nodes.filter((f) => Object.keys(f.xfrmErrorsGrown).length > 0).map((f) => [f.name, f.xfrmErrorsGrown])),
    tcpdump: parseCaptureStop(input.captureStop),
    agents: Object.fromEntries(nodes.flatMap((f) => (f.encryptStatus ? [[f.name, f.encryptStatus]] : []))),
  });
}

/** Pure: what a preview exports. It never reads local files or runs the verifier; `pulumi up` fills this in. */
export function previewVerification(input: RunInput): LabVerification {
  const { tcpdump: _t, xfrmErrorsGrown: _g, agents: _a, ...expected } = runExpectations(input);
  return {
    schemaVersion: VERIFICATION_SCHEMA_VERSION,
    pass: false,
    failures: ['not verified yet: the verification runs during pulumi up'],
    capturePath: input.capturePath,
    expected,
  };
}

/** The verification record next to a pcap. */
export function verificationRecordPath(capturePath: string): string {
  return capturePath.replace(/\.pcap(ng)?$/, '') + '.json';
}

/** What the run's verdict was judged from, next to its pcap: captures/<stack>/<run>-<mode>.input.json. */
export function verificationInputPath(capturePath: string): string {
  return capturePath.replace(/\.pcap(ng)?$/, '') + '.input.json';
}

/**
 * The run's input as it is recorded: everything but the machine-local root and the secret `ip xfrm state`
 * texts (their count is kept). With the pcap and those texts, verifyRun gives the same verdict again
 * (test/verifier/real-captures.test.ts does so on real captures).
 */
export type RecordedRunInput = Omit<RunInput, 'root' | 'xfrmTexts'> & { xfrmTextCount: number };

export function recordedRunInput(input: RunInput): RecordedRunInput {
  const { root: _root, xfrmTexts, ...rest } = input;
  return { ...rest, xfrmTextCount: xfrmTexts.length };
}

/** The mode the stack ran before its last switch, from the encryption-mode record (encryption-mode.sh). */
export function modeBeforeSwitch(modeRecord: string | undefined): Encryption | undefined {
  const m = /^previous=(none|ipsec|wireguard)\s*$/m.exec(modeRecord ?? '');
  return m ? (m[1] as Encryption) : undefined;
}

/** This stack's last verification in `mode` (the most recently written record of that mode), if any. */
export function lastVerificationIn(root: string, stack: string, mode: Encryption): LabVerification | undefined {
  const dir = path.join(root, 'captures', stack);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => new RegExp(`^\\d+-${mode}\\.json$`).test(n));
  } catch {
    return undefined;
  }
  const newest = names.map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t)[0];
  if (!newest) return undefined;
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, newest.n), 'utf8')) as LabVerification;
    return v.schemaVersion === VERIFICATION_SCHEMA_VERSION ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface RunDeps extends SideOutputs {
  verify: VerifyFn;
}

/** The ordinary capture's verification, judged by the lab checks of its mode, with its evidence and history. */
export async function verifyRun(input: RunInput, deps: RunDeps): Promise<LabVerification> {
  const cfg = input.config;
  const x = runExpectations(input);
  const traffic = parseTraffic(input.traffic);
  const readiness = parseIpsecReadiness(input.readiness ?? '');
  const mode = modeChecks(cfg, input.nodes, { clientNode: input.pods.clientNode, serverNode: input.pods.serverNode }, traffic, readiness, input.readiness !== undefined);
  const result: VerificationResult = await runVerification(
    {
      capturePath: input.capturePath,
      root: input.root,
      podCidr: cfg.podCidr,
      expectations: x,
      xfrmTexts: input.xfrmTexts,
      traffic,
      checks: mode.checks,
      writeWireshark: cfg.encryption === 'ipsec' ? deps.writeWireshark : undefined,
      writeReport: deps.writeReport,
    },
    deps.verify,
  );
  const v: LabVerification = { schemaVersion: VERIFICATION_SCHEMA_VERSION, ...withModeEvidence(result, cfg.encryption, x, mode.wireguard, readiness) };
  const record = verificationRecordPath(input.capturePath);
  const inputRecord = verificationInputPath(input.capturePath);
  try {
    fs.writeFileSync(path.resolve(input.root, record), JSON.stringify(v, null, 2) + '\n');
    fs.writeFileSync(path.resolve(input.root, inputRecord), JSON.stringify(recordedRunInput(input), null, 2) + '\n');
  } catch (e) {
    v.warnings = [...(v.warnings ?? []), `could not write the verification records ${record}, ${inputRecord}: ${e instanceof Error ? e.message : String(e)}`];
  }
  const previous = modeBeforeSwitch(input.modeRecord);
  if (previous && previous !== cfg.encryption) {
    const before = lastVerificationIn(input.root, cfg.stack, previous);
    if (before) v.before = before;
  }
  return v;
}

/** The verifier library (loaded lazily: it is only needed during `pulumi up`). */
export const defaultVerify: VerifyFn = async (capture, opts) => {
  const v = await import('../verifier');
  return v.verifyCapture(capture, opts);
};

/** The report page (loaded lazily, like the verifier: the page's charting libraries are only needed after a capture). */
export async function defaultWriteReport(file: string, report: Report, judgement: Judgement, command: string): Promise<void> {
  const { writeReportPage } = await import('../report/page');
  await writeReportPage(file, report, { capture: path.basename(file).replace(/\.html$/, '.pcap'), command, judgement });
}
