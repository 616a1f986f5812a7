/**
 * Loads the scapy-made fixtures (test/fixtures/captures, written by scripts/fixtures/make-fixtures.py) and
 * turns their expected facts into library options, CLI arguments and comparisons. The expected facts come
 * from the generator (it built the frames), never from our verifier.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { REPO_ROOT } from '../../../components/repo';
export const REPO = REPO_ROOT;
export const CAPTURES = path.join(REPO, 'test', 'fixtures', 'captures');
export const GENERATOR = path.join(REPO, 'scripts', 'fixtures', 'make-fixtures.py');
export const PYTHON = '/usr/bin/python3';

export interface IpFact { version: 4 | 6; src: string; dst: string; proto: number }
export interface EspFact { src: string; dst: string; spi: number; seq: number }
export interface FlowFact { src: string; dst: string; spi: number; packets: number; firstSeq: number; lastSeq: number; seqIncreasing: boolean }

export interface ExpectedFrame {
  frame: number;
  ips: IpFact[];
  esp?: EspFact;
  innerIps?: IpFact[];
  innerNonce?: boolean;
  nonce: boolean;
  pod: boolean;
  truncated: boolean;
  caplen?: number;
  nullEncryption?: boolean;
  sa?: { spi: number; src: string; dst: string };
  wireguard?: WireguardFrameFact;
}

export interface RunOptions {
  nonce?: string;
  podCidrs?: string[];
  pods?: string[];
  keys?: { spi: number; key: string }[];
  xfrm?: string[];
  vxlanPorts?: number[];
  genevePorts?: number[];
  wireguardPorts?: number[];
  rotation?: { from: number; to: number };
}

export interface WindowFact { start: number; end: number; packets: number }
export interface RotationFacts {
  from: number; to: number; met: boolean; cleartextWindows: WindowFact[];
  directions: { src: string; dst: string; oldPackets: number; newPackets: number; lastOld: number | null; firstNew: number | null; oldAfterSwitch: number; switched: boolean }[];
}

export interface WireguardFlowFact { src: string; dst: string; receiverIndex: number; packets: number; firstCounter: number; lastCounter: number; counterIncreasing: boolean }
export interface WireguardFacts {
  packets: number; dataPackets: number; keepalives: number; handshakes: number; cookieReplies: number; invalid: number;
  flows: WireguardFlowFact[];
}
export interface WireguardFrameFact { port: number; type: number; valid: boolean; senderIndex?: number; receiverIndex?: number; counter?: number; keepalive?: boolean }

export interface ExpectedRun {
  name: string;
  options: RunOptions;
  verdict: string;
  acceptVerdicts?: string[];
  esp: { packets: number; spis: number[]; flows: FlowFact[] };
  cleartext: { podPackets: number | null; windows?: WindowFact[] };
  wireguard?: WireguardFacts;
  /** Frames per timeline class (esp, wireguard, podCleartext, host, other). */
  classes?: Record<string, number>;
  rotation?: RotationFacts;
  nonce?: { hits: number };
  nonceDecryptedFrames?: number[];
  decryption?: { ok: number; failed: number };
  decryptedFrames?: { ok: number[]; failed: number[] };
  /** frames whose tunnel is not decoded with these options (port not configured): IP headers visible */
  visibleIps?: Record<string, number>;
}

export interface KeyFact { spi: number; src: string; dst: string; xfrmSrc: string; key: string; esn: boolean; algorithm: string }

export interface Expected {
  name: string;
  capture: string;
  path: string;
  description: string;
  nonce: string;
  reader: { format: 'pcap' | 'pcapng'; gzip?: boolean; byteOrder?: string; resolution?: string; modified?: boolean };
  linkTypes: number[];
  truncated: boolean;
  frames: number;
  keys: KeyFact[];
  xfrm: string | null;
  runs: ExpectedRun[];
  frameFacts: ExpectedFrame[];
}

export function loadFixtures(): Expected[] {
  const index = JSON.parse(fs.readFileSync(path.join(CAPTURES, 'index.json'), 'utf8')) as { name: string }[];
  return index.map(({ name }) => {
    const e = JSON.parse(fs.readFileSync(path.join(CAPTURES, `${name}.expected.json`), 'utf8')) as Expected;
    e.name = name;
    e.path = path.join(CAPTURES, e.capture);
    return e;
  });
}

/** Options for verifyCapture (library). */
export function libraryOptions(o: RunOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.nonce !== undefined) out.nonce = o.nonce;
  if (o.podCidrs) out.podCidrs = o.podCidrs;
  if (o.pods) out.pods = o.pods;
  if (o.vxlanPorts) out.vxlanPorts = o.vxlanPorts;
  if (o.genevePorts) out.genevePorts = o.genevePorts;
  if (o.wireguardPorts) out.wireguardPorts = o.wireguardPorts;
  if (o.rotation) out.rotation = o.rotation;
  if (o.keys) out.keys = o.keys.map((k) => ({ spi: k.spi, key: Buffer.from(k.key, 'hex') }));
  if (o.xfrm) out.xfrmFiles = o.xfrm.map((x) => path.join(CAPTURES, x));
  return out;
}

/** CLI arguments (after the capture path) for the same options. */
export function cliArgs(o: RunOptions): string[] {
  const a: string[] = [];
  if (o.nonce !== undefined) a.push('--nonce', o.nonce);
  for (const c of o.podCidrs ?? []) a.push('--pod-cidr', c);
  if (o.pods) a.push('--pods', o.pods.join(','));
  for (const p of o.vxlanPorts ?? []) a.push('--vxlan-port', String(p));
  for (const p of o.genevePorts ?? []) a.push('--geneve-port', String(p));
  for (const p of o.wireguardPorts ?? []) a.push('--wireguard-port', String(p));
  if (o.rotation) a.push('--rotation', `${o.rotation.from}:${o.rotation.to}`);
  for (const k of o.keys ?? []) a.push('--key', `${k.spi}:${k.key}`);
  for (const x of o.xfrm ?? []) a.push('--xfrm', path.join(CAPTURES, x));
  return a;
}

/** Runs the real CLI bin (scripts/verify.ts through ts-node, as `npm run verify` does). */
export function runCli(args: string[], timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(REPO, 'scripts', 'verify.ts'), ...args], {
    cwd: REPO, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function parseNdjson<T>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

// --- Comparisons --------------------------------------------------------------------------------------

type AnyReport = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const flowKey = (f: { src: string; dst: string; spi: number } | AnyReport): string => `${f.src}>${f.dst}#${f.spi}`;

/** Compares a Report (JSON contract fields) with a run's expected facts; every mismatch is listed. */
export function compareReport(e: Expected, run: ExpectedRun, report: AnyReport): string[] {
  const bad: string[] = [];
  const want = (what: string, got: unknown, exp: unknown) => {
    try {
      assert.deepStrictEqual(got, exp);
    } catch {
      bad.push(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
    }
  };
  const verdicts = run.acceptVerdicts ?? [run.verdict];
  if (!verdicts.includes(report.verdict)) bad.push(`verdict: got ${JSON.stringify(report.verdict)}, expected ${verdicts.join(' or ')}`);
  want('frames', report.frames, e.frames);
  if (!Array.isArray(report.warnings) || report.warnings.some((w: unknown) => typeof w !== 'string')) {
    bad.push(`warnings: not a string[]: ${JSON.stringify(report.warnings)}`);
  }
  if (e.truncated && !(report.warnings ?? []).some((w: string) => /trunc|cut|short|incomplete|partial record/i.test(w))) {
    bad.push(`warnings: the capture is cut short at the end but no warning says so: ${JSON.stringify(report.warnings)}`);
  }
  want('esp.packets', report.esp?.packets, run.esp.packets);
  want('esp.spis', report.esp?.spis, run.esp.spis);
  const flows: AnyReport[] = Array.isArray(report.esp?.flows) ? report.esp.flows : [];
  want('esp.flows (src>dst#spi)', flows.map(flowKey).sort(), run.esp.flows.map(flowKey).sort());
  for (const f of run.esp.flows) {
    const g = flows.find((x) => flowKey(x) === flowKey(f));
    if (!g) continue;
    want(`esp.flows[${flowKey(f)}] packets/firstSeq/lastSeq`,
      { packets: g.packets, firstSeq: g.firstSeq, lastSeq: g.lastSeq },
      { packets: f.packets, firstSeq: f.firstSeq, lastSeq: f.lastSeq });
    // strictly growing sequence numbers must read as such (a repeated one may be judged either way)
    if (f.seqIncreasing) want(`esp.flows[${flowKey(f)}].seqIncreasing`, g.seqIncreasing, true);
  }
  if (run.cleartext.podPackets !== null) want('cleartext.podPackets', report.cleartext?.podPackets, run.cleartext.podPackets);
  // capture times: the file's resolution (microseconds for most) against the generator's nanoseconds
  const near = (a: unknown, b: number | null) => (b === null ? a === null : typeof a === 'number' && Math.abs(a - b) < 2e-6);
  const windows = (what: string, got: unknown, exp: WindowFact[]) => {
    const g = Array.isArray(got) ? got as WindowFact[] : [];
    if (g.length !== exp.length || exp.some((w, i) => !near(g[i].start, w.start) || !near(g[i].end, w.end) || g[i].packets !== w.packets)) {
      bad.push(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
    }
  };
  if (run.cleartext.windows) windows('cleartext.windows', report.cleartext?.windows, run.cleartext.windows);
  if (run.classes) {
    const totals: Record<string, number> = Object.fromEntries(Object.keys(run.classes).map((k) => [k, 0]));
    for (const b of report.timeline?.buckets ?? []) for (const k of Object.keys(totals)) totals[k] += b.counts?.[k] ?? 0;
    want('timeline frames per class', totals, run.classes);
  }
  if (run.rotation) {
    const g = report.rotation ?? {};
    want('rotation from/to/met', { from: g.from, to: g.to, met: g.met }, { from: run.rotation.from, to: run.rotation.to, met: run.rotation.met });
    windows('rotation.cleartextWindows', g.cleartextWindows, run.rotation.cleartextWindows);
    const gd: AnyReport[] = Array.isArray(g.directions) ? g.directions : [];
    want('rotation.directions (src>dst)', gd.map((d) => `${d.src}>${d.dst}`), run.rotation.directions.map((d) => `${d.src}>${d.dst}`));
    run.rotation.directions.forEach((d, i) => {
      const x = gd[i];
      if (!x) return;
      want(`rotation.directions[${d.src}>${d.dst}] counts`, { oldPackets: x.oldPackets, newPackets: x.newPackets, oldAfterSwitch: x.oldAfterSwitch, switched: x.switched },
        { oldPackets: d.oldPackets, newPackets: d.newPackets, oldAfterSwitch: d.oldAfterSwitch, switched: d.switched });
      if (!near(x.lastOld, d.lastOld) || !near(x.firstNew, d.firstNew)) {
        bad.push(`rotation.directions[${d.src}>${d.dst}] lastOld/firstNew: got ${x.lastOld}/${x.firstNew}, expected ${d.lastOld}/${d.firstNew}`);
      }
    });
    // not met: the reasons are expectation failures (the CLI exits 1)
    if (!run.rotation.met && !(report.expectationFailures ?? []).some((m: string) => /^rotation/.test(m))) {
      bad.push(`rotation not met but no "rotation" expectation failure: ${JSON.stringify(report.expectationFailures)}`);
    }
    if (run.rotation.met && (report.expectationFailures ?? []).length > 0) bad.push(`rotation met but expectation failures ${JSON.stringify(report.expectationFailures)}`);
  }
  if (run.wireguard) {
    const w = report.wireguard ?? {};
    const { flows: wantFlows, ...counts } = run.wireguard;
    want('wireguard counts', Object.fromEntries(Object.keys(counts).map((k) => [k, w[k]])), counts);
    const wkey = (f: AnyReport) => `${f.src}>${f.dst}#${f.receiverIndex}`;
    const got: AnyReport[] = Array.isArray(w.flows) ? w.flows : [];
    want('wireguard.flows', got.map((f) => ({ src: f.src, dst: f.dst, receiverIndex: f.receiverIndex, packets: f.packets,
      firstCounter: f.firstCounter, lastCounter: f.lastCounter, counterIncreasing: f.counterIncreasing })).sort((a, b) => (wkey(a) < wkey(b) ? -1 : 1)),
    [...wantFlows].sort((a, b) => (wkey(a) < wkey(b) ? -1 : 1)));
  }
  if (run.nonce) want('nonce.hits', report.nonce?.hits, run.nonce.hits);
  if (run.decryption) {
    want('decryption.ok', report.decryption?.ok, run.decryption.ok);
    want('decryption.failed', report.decryption?.failed, run.decryption.failed);
  }
  return bad;
}

export interface FrameFactsLike {
  frame: number;
  layers?: string;
  ips: IpFact[];
  esp?: EspFact;
  decrypted?: 'ok' | 'failed';
  nonce?: boolean;
  truncated?: boolean;
  wireguard?: { type: number; valid: boolean; senderIndex?: number; receiverIndex?: number; counter?: number };
}

const ipStr = (h: IpFact) => `v${h.version} ${h.src}>${h.dst}`;

/** Expected IP headers of a frame for a run: the outer ones, plus the plaintext ones when it decrypts. */
export function expectedIps(f: ExpectedFrame, run: ExpectedRun): IpFact[] {
  const ok = run.decryptedFrames?.ok.includes(f.frame);
  const outer = f.ips.slice(0, run.visibleIps?.[String(f.frame)] ?? f.ips.length);
  return ok ? [...outer, ...(f.innerIps ?? [])] : outer;
}

/** Compares --frames facts with the generator's per-frame facts (IP headers, ESP header, decryption, nonce). */
export function compareFrames(e: Expected, run: ExpectedRun, facts: FrameFactsLike[]): string[] {
  const bad: string[] = [];
  const byFrame = new Map<number, FrameFactsLike>();
  for (const f of facts) {
    if (byFrame.has(f.frame)) bad.push(`frame ${f.frame}: facts printed twice`);
    byFrame.set(f.frame, f);
    if (f.frame < 1 || f.frame > e.frames) bad.push(`frame ${f.frame}: no such frame (capture has ${e.frames})`);
  }
  for (const x of e.frameFacts) {
    const g = byFrame.get(x.frame);
    const ips = expectedIps(x, run);
    if (!g) {
      if (ips.length > 0) bad.push(`frame ${x.frame}: no facts printed (expected IP headers ${ips.map(ipStr).join(', ')})`);
      continue;
    }
    const gotIps = (g.ips ?? []).map(ipStr);
    // NULL encryption: the plaintext is on the wire; decoding it (as Wireshark's heuristic does) is allowed
    const nullInner = x.nullEncryption && JSON.stringify(gotIps) === JSON.stringify([...ips, ...(x.innerIps ?? [])].map(ipStr));
    if (!nullInner && JSON.stringify(gotIps) !== JSON.stringify(ips.map(ipStr))) {
      bad.push(`frame ${x.frame}: ips ${JSON.stringify(gotIps)}, expected ${JSON.stringify(ips.map(ipStr))}`);
    } else {
      // IPv4 protocol numbers are unambiguous (IPv6 "proto" may name the first extension header or the upper layer)
      ips.forEach((h, i) => {
        if (h.version === 4 && g.ips[i].proto !== h.proto) bad.push(`frame ${x.frame}: ips[${i}].proto ${g.ips[i].proto}, expected ${h.proto}`);
      });
    }
    const gotEsp = g.esp ? { src: g.esp.src, dst: g.esp.dst, spi: g.esp.spi, seq: g.esp.seq } : undefined;
    if (JSON.stringify(gotEsp) !== JSON.stringify(x.esp ? { src: x.esp.src, dst: x.esp.dst, spi: x.esp.spi, seq: x.esp.seq } : undefined)) {
      bad.push(`frame ${x.frame}: esp ${JSON.stringify(gotEsp)}, expected ${JSON.stringify(x.esp)}`);
    }
    // WireGuard: decoded only on the ports configured for the run
    const wgPorts = run.options.wireguardPorts ?? [51871];
    const wx = x.wireguard && wgPorts.includes(x.wireguard.port)
      ? { type: x.wireguard.type, valid: x.wireguard.valid, senderIndex: x.wireguard.senderIndex, receiverIndex: x.wireguard.receiverIndex, counter: x.wireguard.counter }
      : undefined;
    const wg = g.wireguard ? { type: g.wireguard.type, valid: g.wireguard.valid, senderIndex: g.wireguard.senderIndex, receiverIndex: g.wireguard.receiverIndex, counter: g.wireguard.counter } : undefined;
    if (JSON.stringify(wg) !== JSON.stringify(wx)) bad.push(`frame ${x.frame}: wireguard ${JSON.stringify(wg)}, expected ${JSON.stringify(wx)}`);
    const dec = run.decryptedFrames?.ok.includes(x.frame) ? 'ok' : run.decryptedFrames?.failed.includes(x.frame) ? 'failed' : undefined;
    if (g.decrypted !== dec) bad.push(`frame ${x.frame}: decrypted ${JSON.stringify(g.decrypted)}, expected ${JSON.stringify(dec)}`);
    // nonce: true when the raw bytes contain it; false when neither the bytes nor a decrypted plaintext do
    // (a frame whose decrypted plaintext carries it may say either)
    const innerOnly = !x.nonce && dec === 'ok' && x.innerNonce;
    if (run.options.nonce !== undefined && !innerOnly && Boolean(g.nonce) !== x.nonce) {
      bad.push(`frame ${x.frame}: nonce ${JSON.stringify(g.nonce)}, expected ${x.nonce} (raw bytes ${x.nonce ? 'contain' : 'do not contain'} it)`);
    }
  }
  return bad;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The CLI's own code path (components/verifier-cli/cli.ts `execute`) in this process, output captured. */
export async function runCliInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = require('../../../components/verifier-cli/cli') as { execute: (argv: string[], io: unknown) => Promise<number> };
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => { stdout += s; return true; } },
    stderr: { write: (s: string) => { stderr += s; return true; } },
  };
  const code = await cli.execute(args, io);
  return { code, stdout, stderr };
}

/** The real bin, asynchronously (several may run at once). */
export function runCliAsync(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFile } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(REPO, 'scripts', 'verify.ts'), ...args],
      { cwd: REPO, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout, stderr });
      });
  });
}
