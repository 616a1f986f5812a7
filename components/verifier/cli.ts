/**
 * `cilium-ipsec-verify CAPTURE [options]` (bin/cilium-ipsec-verify.js; `npm run verify` in a clone): the verifier's command line,
 * shaped like eslint's lib/cli.js.
 * `execute(argv, io)` parses and validates, runs the verifier, prints, and RETURNS the exit code; it never calls
 * process.exit (testable, embeddable; the bin sets process.exitCode so output drains).
 *
 * Exit codes: 0 the report meets the expectations given (--expect, --spi, --rotation, --endpoints; none: 0), 1 it does not,
 * 2 unusable input or options, or an internal error. Expected failures print exactly one stderr line `verify: <file or option>: <problem>`, never a
 * stack trace (VERIFY_DEBUG=1 adds the stack of an internal error).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { FrameFacts, Report, Verdict } from './analyze/analyzer';
import { CaptureError } from './capture';
import type { WiresharkSa } from './crypto/wireshark';
import { writeWiresharkConfig } from './crypto/wireshark';
import { formatReport } from './format';
import { addressText, CidrError, parseCidr } from './net/cidr';
import { VERDICTS } from './report';
import {
  DEFAULT_GENEVE_PORTS, DEFAULT_POD_CIDRS, DEFAULT_VXLAN_PORTS, DEFAULT_WIREGUARD_PORTS, InputError, loadXfrmFiles, verifyCapture,
  VerifyOptions,
} from './index';

export interface CliIo {
  stdout: { write(s: string): boolean | void; once?(event: 'drain', cb: () => void): unknown };
  stderr: { write(s: string): boolean | void };
}


type OptionGroup = 'Output' | 'Analysis' | 'Decryption (AES-GCM, RFC 4106)' | 'Other';

/** One command-line option: what parseArgs needs, plus what --help prints (help is generated from this table). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's name in --help ("CIDR"). */
  arg?: string;
  group: OptionGroup;
  /** What applies when the option is not given, as --help prints it. */
  default: string;
  help: string;
}

/** Every option of the command. Add a row here and both the parser and --help know it. */
export const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', group: 'Output', default: 'off: a readable summary',
    help: 'print exactly one JSON object (the report) on stdout' },
  frames: { type: 'boolean', group: 'Output', default: 'off',
    help: 'print one JSON object per frame (NDJSON: frame, layers, ips, esp, wireguard, decrypted, nonce, truncated) on stdout, '
      + 'and NOTHING else on stdout; the summary (or, with --json, the report JSON) goes to stderr instead' },
  'pod-cidr': { type: 'string', multiple: true, arg: 'CIDR', group: 'Analysis', default: DEFAULT_POD_CIDRS.join(', '),
    help: 'pod address range (host bits zero), repeatable; given values replace the default' },
  pods: { type: 'string', arg: 'A,B', group: 'Analysis', default: 'none: the pod CIDRs decide',
    help: 'pod addresses: a pod packet has both ends in this list (the CIDRs are then not used)' },
  nonce: { type: 'string', arg: 'TEXT', group: 'Analysis', default: 'none',
    help: 'count frames whose raw bytes contain TEXT (in cleartext it is a leak)' },
  expect: { type: 'string', arg: 'VERDICT', group: 'Analysis', default: 'none: any verdict exits 0',
    help: `${VERDICTS.join(' | ')} (with encrypted, a nonce in cleartext or NULL-encryption ESP also fails it)` },
  spi: { type: 'string', arg: 'N', group: 'Analysis', default: 'none: any SPI',
    help: 'expected ESP SPI (1..4294967295, decimal or 0x hex): no ESP with it, or ESP with another SPI, fails '
      + 'the expectation' },
  rotation: { type: 'string', arg: 'FROM:TO', group: 'Analysis', default: 'none',
    help: 'expected key rotation from SPI FROM to SPI TO (decimal or 0x hex): both carry traffic, every direction '
      + 'switches from FROM to TO, no cleartext pod packet and no nonce in clear; both SPIs (and --spi) are then the '
      + 'expected ones' },
  'rotation-between': { type: 'string', multiple: true, arg: 'A,B[,...]', group: 'Analysis', default: 'none: every direction',
    help: 'with --rotation: judge the rotation only on ESP directions with both ends among these addresses (the nodes '
      + 'the traffic runs between); the other directions of the two SPIs are reported apart and never fail it' },
  endpoints: { type: 'string', multiple: true, arg: 'A,B[,...]', group: 'Analysis', default: 'none: any addresses',
    help: 'expected ESP endpoints (node IPs, cilium_host addresses), two or more, comma-separated or repeated: no '
      + 'ESP between them, or ESP between other addresses, fails the expectation; any of them inside the pod range '
      + 'is a node address, so its traffic counts as host traffic, not pod traffic' },
  'vxlan-port': { type: 'string', multiple: true, arg: 'P', group: 'Analysis', default: DEFAULT_VXLAN_PORTS.join(', '),
    help: 'UDP port decoded as VXLAN, repeatable; given values replace the default' },
  'geneve-port': { type: 'string', multiple: true, arg: 'P', group: 'Analysis', default: DEFAULT_GENEVE_PORTS.join(', '),
    help: 'UDP port decoded as Geneve, repeatable; given values replace the default' },
  'wireguard-port': { type: 'string', multiple: true, arg: 'P', group: 'Analysis', default: `${DEFAULT_WIREGUARD_PORTS.join(', ')} (Cilium's)`,
    help: 'UDP port decoded as WireGuard, repeatable; given values replace the default' },
  key: { type: 'string', multiple: true, arg: 'SPI:HEX40', group: 'Decryption (AES-GCM, RFC 4106)', default: 'none',
    help: 'key for every SA with this SPI: 40 hex digits = 16-byte AES key + 4-byte salt; repeatable' },
  xfrm: { type: 'string', multiple: true, arg: 'FILE', group: 'Decryption (AES-GCM, RFC 4106)', default: 'none',
    help: 'output of "ip xfrm state" (as root) on a node: per-SA keys; repeatable. Redacted keys keep their SAs '
      + '(reported as having no usable key)' },
  wireshark: { type: 'string', arg: 'DIR', group: 'Decryption (AES-GCM, RFC 4106)', default: 'none: nothing written',
    help: 'write esp_sa, preferences and decode_as_entries into DIR, so that WIRESHARK_CONFIG_DIR=DIR wireshark '
      + 'CAPTURE opens it decrypted' },
  html: { type: 'string', arg: 'FILE', group: 'Output', default: 'none: no page',
    help: 'also write the report page: one self-contained HTML file (verdict, timeline, paths, SAs, representative '
      + 'frames dissected, capture facts)' },
  help: { type: 'boolean', short: 'h', group: 'Other', default: 'off', help: 'print this text and exit' },
  version: { type: 'boolean', short: 'V', group: 'Other', default: 'off', help: 'print the version and exit' },
};

/** The parseArgs configuration, derived from OPTIONS. */
export const PARSE_ARGS_OPTIONS = Object.fromEntries(Object.entries(OPTIONS).map(([name, o]) => [name,
  { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]));

const HELP_WIDTH = 112;
const HELP_COLUMN = 25;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur !== '' && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else {
      cur = cur === '' ? word : `${cur} ${word}`;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

/** The option column of --help: "-h, --help", "--pod-cidr CIDR". */
export function optionLabel(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ''}--${name}${o.arg ? ` ${o.arg}` : ''}`;
}

/** --help, generated from OPTIONS: every option, grouped, each with its default. */
export function helpText(): string {
  const out = [
    'Usage: cilium-ipsec-verify CAPTURE [options]',
    '       npm run -s verify -- CAPTURE [options]         (in a clone of the repository)',
    '',
    'Reads a pcap or pcapng capture (optionally gzip-compressed) and decides whether pod-to-pod traffic in it is',
    'encrypted with IPsec (ESP). A capture cut short at the end is analysed up to its last whole record.',
  ];
  const groups = [...new Set(Object.values(OPTIONS).map((o) => o.group))];
  for (const g of groups) {
    out.push('', `${g}:`);
    for (const [name, o] of Object.entries(OPTIONS)) {
      if (o.group !== g) continue;
      const label = `  ${optionLabel(name, o)}`;
      const text = wrap(`${o.help} [default: ${o.default}]`, HELP_WIDTH - HELP_COLUMN);
      if (label.length < HELP_COLUMN - 1) out.push(label.padEnd(HELP_COLUMN) + text[0]);
      else out.push(label, ' '.repeat(HELP_COLUMN) + text[0]);
      for (const t of text.slice(1)) out.push(' '.repeat(HELP_COLUMN) + t);
    }
  }
  out.push('',
    'Exit codes: 0 the capture meets every expectation given (--expect, --spi, --rotation, --endpoints; none: 0),',
    '1 it does not (the report says why), 2 unusable capture or options (one line on stderr:',
    '"verify: FILE-OR-OPTION: problem").',
    'Verdicts: encrypted (ESP seen, no cleartext pod packet, nonce never in cleartext), cleartext (pod traffic,',
    'no ESP carrying it), partial (both), inconclusive (neither: a capture that saw nothing proves nothing).',
    '');
  return out.join('\n');
}

/** The version in package.json (the nearest one above this file, in the sources and in build/verify alike). */
export function version(): string {
  for (let d = __dirname; ; d = path.dirname(d)) {
    const p = path.join(d, 'package.json');
    if (fs.existsSync(p)) return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version?: string }).version ?? 'unknown';
    if (path.dirname(d) === d) return 'unknown';
  }
}

/** A problem with the command line or an input file: one stderr line, exit 2. */
class UsageError extends Error {
  constructor(readonly subject: string, readonly problem: string) {
    super(`${subject}: ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Validation of single values (exported for tests and for other front ends).

export function parseIp(s: string): string | undefined {
  return addressText(s);
}

/** Canonical "ADDRESS/LEN" (host bits zero), or undefined; see net/cidr.ts for what is accepted. */
export function checkCidr(s: string): string | undefined {
  try {
    return parseCidr(s).text;
  } catch {
    return undefined;
  }
}

function parseUint(s: string): number | undefined {
  const t = s.trim();
  if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : undefined;
}

export function parseSpi(s: string): number | undefined {
  const v = parseUint(s);
  return v !== undefined && v >= 1 && v <= 0xffffffff ? v : undefined;
}

export function parsePort(s: string): number | undefined {
  const v = parseUint(s);
  return v !== undefined && v >= 1 && v <= 65535 ? v : undefined;
}

/** "FROM:TO", two SPIs (decimal or 0x hex) that differ. */
export function parseRotation(s: string): { from: number; to: number } | { problem: string } {
  const parts = s.split(':');
  if (parts.length !== 2) return { problem: `expected FROM:TO (two SPIs), got "${s}"` };
  const [from, to] = parts.map(parseSpi);
  if (from === undefined || to === undefined) {
    return { problem: `SPIs must be integers 1..4294967295 (decimal or 0x hex), got "${s}"` };
  }
  if (from === to) return { problem: `FROM and TO must differ, got "${s}"` };
  return { from, to };
}

export function parseKey(s: string): { spi: number; key: Buffer } | { problem: string } {
  const i = s.indexOf(':');
  // Never echo the value: without its colon it is most likely the key itself.
  if (i < 0) return { problem: `expected SPI:HEX40, got ${s.length} characters without a ":"` };
  const spi = parseSpi(s.slice(0, i));
  if (spi === undefined) return { problem: `SPI must be an integer 1..4294967295, got "${s.slice(0, i)}"` };
  const hex = s.slice(i + 1).trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]*$/.test(hex)) return { problem: 'key must be hexadecimal' };
  if (hex.length !== 40) {
    return { problem: `key must be 40 hex digits (16-byte AES key + 4-byte salt), got ${hex.length}` };
  }
  return { spi, key: Buffer.from(hex, 'hex') };
}

// ---------------------------------------------------------------------------------------------------------

interface Parsed {
  capture: string;
  json: boolean;
  frames: boolean;
  wireshark?: string;
  html?: string;
  xfrmFiles: string[];
  opts: VerifyOptions;
}

function list(option: string, value: string, min: number, max: number): string[] {
  const items = value.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length < min || items.length > max) {
    throw new UsageError(option, min === max ? `expected ${min} comma-separated addresses, got "${value}"`
      : `expected at least ${min} comma-separated address(es), got "${value}"`);
  }
  for (const a of items) {
    if (parseIp(a) === undefined) throw new UsageError(option, `"${a}" is not an IPv4 or IPv6 address`);
  }
  return items;
}

function statKind(p: string): 'file' | 'dir' | 'missing' | 'other' {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** Parses and validates argv; throws UsageError on the first problem. Returns 'help' / 'version' for those. */
export function parseCommandLine(argv: string[]): Parsed | 'help' | 'version' {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: PARSE_ARGS_OPTIONS,
    }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const opt = /'(-[^' ]*)/.exec(err.message)?.[1] ?? 'arguments';
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(opt, 'unknown option (see --help)');
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new UsageError(opt, /does not take an argument/.test(err.message) ? 'takes no value' : 'needs a value');
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError('arguments', 'unexpected argument');
      default:
        throw new UsageError(opt, err.message.split('\n')[0]);
    }
  }
  if (values.help) return 'help';
  if (values.version) return 'version';

  const str = (k: string): string | undefined => values[k] as string | undefined;
  const strs = (k: string): string[] => (values[k] as string[] | undefined) ?? [];
  // A value that looks like an option means the real value was forgotten ("--spi --json").
  for (const [k, o] of Object.entries(OPTIONS)) {
    if (o.type !== 'string') continue;
    const given = o.multiple ? strs(k) : [str(k)];
    if (given.some((v) => v !== undefined && /^--[a-z]/.test(v))) throw new UsageError(`--${k}`, 'needs a value');
  }

  if (positionals.length === 0) throw new UsageError('CAPTURE', 'missing: give the capture file to verify (see --help)');
  if (positionals.length > 1) {
    throw new UsageError(positionals[1], 'unexpected argument: give exactly one capture file');
  }
  const capture = positionals[0];
  const opts: VerifyOptions = {};

  if (values['pod-cidr'] !== undefined) {
    opts.podCidrs = strs('pod-cidr').map((c) => {
      try {
        return parseCidr(c).text;
      } catch (e) {
        if (e instanceof CidrError) throw new UsageError('--pod-cidr', e.message);
        throw e;
      }
    });
  }
  const pods = str('pods');
  if (pods !== undefined) opts.pods = list('--pods', pods, 1, 1024);
  const nonce = str('nonce');
  if (nonce !== undefined) {
    if (nonce === '') throw new UsageError('--nonce', 'must not be empty');
    opts.nonce = nonce;
  }
  const spi = str('spi');
  if (spi !== undefined) {
    const v = parseSpi(spi);
    if (v === undefined) throw new UsageError('--spi', `must be an integer 1..4294967295, got "${spi}"`);
    opts.spi = v;
  }
  const rotation = str('rotation');
  if (rotation !== undefined) {
    const r = parseRotation(rotation);
    if ('problem' in r) throw new UsageError('--rotation', r.problem);
    opts.rotation = r;
  }
  if (values['rotation-between'] !== undefined) {
    if (opts.rotation === undefined) throw new UsageError('--rotation-between', 'needs --rotation FROM:TO');
    opts.rotation.between = [...new Set(list('--rotation-between', strs('rotation-between').join(','), 2, 1024))];
  }
  if (values.endpoints !== undefined) {
    // Comma-separated, repeated, or both: the lab passes every node IP and cilium_host address.
    const all = list('--endpoints', strs('endpoints').join(','), 2, 1024);
    opts.endpoints = [...new Set(all)];
  }
  const expect = str('expect');
  if (expect !== undefined) {
    if (!(VERDICTS as readonly string[]).includes(expect)) {
      throw new UsageError('--expect', `must be one of ${VERDICTS.join(', ')}, got "${expect}"`);
    }
    opts.expect = expect as Verdict;
  }
  for (const [k, field] of [['vxlan-port', 'vxlanPorts'], ['geneve-port', 'genevePorts'], ['wireguard-port', 'wireguardPorts']] as const) {
    if (values[k] === undefined) continue;
    opts[field] = strs(k).map((p) => {
      const v = parsePort(p);
      if (v === undefined) throw new UsageError(`--${k}`, `must be a UDP port 1..65535, got "${p}"`);
      return v;
    });
  }
  if (values.key !== undefined) {
    opts.keys = strs('key').map((k) => {
      const r = parseKey(k);
      if ('problem' in r) throw new UsageError('--key', r.problem);
      return r;
    });
  }
  const xfrmFiles = strs('xfrm');
  for (const f of xfrmFiles) {
    const kind = statKind(f);
    if (kind !== 'file') throw new UsageError(f, kind === 'missing' ? 'no such file (--xfrm)' : 'not a regular file (--xfrm)');
  }
  const wireshark = str('wireshark');
  if (wireshark !== undefined) {
    const kind = statKind(wireshark);
    if (kind !== 'dir' && kind !== 'missing') throw new UsageError(wireshark, 'exists and is not a directory (--wireshark)');
  }
  const kind = statKind(capture);
  if (kind === 'missing') throw new UsageError(capture, 'no such file');
  if (kind === 'dir') throw new UsageError(capture, 'is a directory, not a capture');

  const html = str('html');
  if (html !== undefined && statKind(html) === 'dir') throw new UsageError(html, 'is a directory (--html wants a file name)');

  return { capture, json: values.json === true, frames: values.frames === true, wireshark, html, xfrmFiles, opts };
}

/** SAs for --wireshark: every --key (any address) and every RFC 4106 ESP state of the --xfrm files. */
function wiresharkSas(p: Parsed, xfrm: Awaited<ReturnType<typeof loadXfrmFiles>>['states']): WiresharkSa[] {
  const sas: WiresharkSa[] = [];
  for (const s of xfrm) {
    if (s.proto === 'esp' && s.aead && /^rfc4106\(gcm\(aes\)\)$/.test(s.aead.name) && s.aead.key.length > 0) {
      sas.push({ src: s.src, dst: s.dst, spi: s.spi, key: s.aead.key, icvBits: s.aead.bits ?? 128 });
    }
  }
  for (const k of p.opts.keys ?? []) sas.push({ spi: k.spi, key: k.key });
  return sas;
}

/**
 * Whether the report meets the expectations given (--expect, --spi, --endpoints): the analyzer's own judgement
 * (report.meetsExpectation) when it gives one, else verdict equality with --expect (none given: met).
 */
export function meetsExpectation(report: Report, expect: Verdict | undefined): boolean {
  const own = (report as unknown as { meetsExpectation?: unknown }).meetsExpectation;
  if (typeof own === 'boolean') return own;
  return expect === undefined || report.verdict === expect;
}

/** Runs the CLI. Resolves the exit code (0, 1, 2); never rejects, never exits the process. */
export async function execute(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }):
  Promise<number> {
  try {
    const p = parseCommandLine(argv);
    if (p === 'help' || p === 'version') {
      io.stdout.write(p === 'help' ? helpText() : `cilium-ipsec-verify ${version()}\n`);
      return 0;
    }
    const { states, warnings: xfrmWarnings } = await loadXfrmFiles(p.xfrmFiles);

    // --frames: NDJSON on stdout, written in batches; the reader pauses between chunks until stdout drains.
    let pending: string[] = [];
    let pendingBytes = 0;
    let blocked = false;
    const flush = (): void => {
      if (pending.length === 0) return;
      const ok = io.stdout.write(pending.join(''));
      pending = [];
      pendingBytes = 0;
      if (ok === false) blocked = true;
    };
    const opts: VerifyOptions = { ...p.opts, xfrm: states, warnings: xfrmWarnings };
    if (p.frames) {
      opts.onFrameFacts = (facts: FrameFacts) => {
        const line = JSON.stringify(facts) + '\n';
        pending.push(line);
        pendingBytes += line.length;
        if (pendingBytes >= 1 << 16) flush();
      };
      opts.pause = () => {
        flush();
        if (!blocked || io.stdout.once === undefined) return undefined;
        blocked = false;
        return new Promise<void>((resolve) => io.stdout.once!('drain', resolve));
      };
    }
    // Representative frames for the page and the text summary's excerpt (a few frames' bytes, not per packet).
    if (p.html !== undefined || !p.json) opts.samples = true;
    const report = await verifyCapture(p.capture, opts);
    flush();
    if (p.html !== undefined) {
      // Loaded only here: the page's charting libraries are not part of the CLI's start-up.
      const { writeReportPage, reproduceCommand } = await import('../report/page');
      try {
        await writeReportPage(p.html, report, { capture: p.capture, command: reproduceCommand(argv), vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts, wireguardPorts: opts.wireguardPorts });
      } catch (e) {
        throw new UsageError(p.html, `cannot write the report page: ${(e as Error).message}`);
      }
    }
    if (p.wireshark !== undefined) {
      try {
        writeWiresharkConfig(p.wireshark, wiresharkSas(p, states), { vxlanPorts: opts.vxlanPorts ?? DEFAULT_VXLAN_PORTS });
      } catch (e) {
        throw new UsageError(p.wireshark, `cannot write the Wireshark configuration: ${(e as Error).message}`);
      }
    }
    const out = p.frames ? io.stderr : io.stdout;
    if (p.json) out.write(JSON.stringify(report, null, 2) + '\n');
    else {
      const { frameExcerpt } = await import('../report/excerpt');
      const excerpt = frameExcerpt(report, { vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts, wireguardPorts: opts.wireguardPorts });
      out.write(formatReport(report) + (excerpt ? `\n${excerpt}` : ''));
    }
    return meetsExpectation(report, p.opts.expect) ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`verify: ${e.subject}: ${e.problem}\n`);
    } else if (e instanceof InputError || e instanceof CaptureError) {
      io.stderr.write(`verify: ${e.file}: ${e.problem}\n`);
    } else {
      const err = e as Error;
      io.stderr.write(`verify: internal error: ${(err?.message ?? String(e)).split('\n')[0]}\n`);
      if (process.env.VERIFY_DEBUG) io.stderr.write(`${err?.stack}\n`);
    }
    return 2;
  }
}
