/**
 * `cilium-ipsec-verify CAPTURE [options]` (bin/cilium-ipsec-verify.js; `npm run verify` in a clone): the verifier's command line,
 * shaped like eslint's lib/cli.js: the library (components/verifier) knows no output, the formatters beside this
 * file write it (text, JSON, NDJSON frames, the HTML page, the Wireshark directory).
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
import { fromArgs, OptionError, VERIFY_OPTIONS, type ArgOptions, type OptionSpec } from '../verifier/argv';
import { CaptureError } from '../verifier/capture';
import { InputError, loadXfrmFiles, verifyCapture, type VerifyOptions } from '../verifier';
import { FrameLines } from './formatters/frames';

export type { OptionSpec } from '../verifier/argv';

export interface CliIo {
  stdout: { write(s: string): boolean | void; once?(event: 'drain', cb: () => void): unknown };
  stderr: { write(s: string): boolean | void };
}

/**
 * Every option of the command: the verifier's own (components/verifier/argv.ts, which also writes them back as
 * arguments) and the command's output options. --help and the parser are generated from this table.
 */
export const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', group: 'Output', default: 'off: a readable summary',
    help: 'print exactly one JSON object (the report) on stdout' },
  frames: { type: 'boolean', group: 'Output', default: 'off',
    help: 'print one JSON object per frame (NDJSON: frame, layers, ips, esp, wireguard, decrypted, nonce, truncated) on stdout, '
      + 'and NOTHING else on stdout; the summary (or, with --json, the report JSON) goes to stderr instead' },
  ...VERIFY_OPTIONS,
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

interface Parsed {
  capture: string;
  json: boolean;
  frames: boolean;
  wireshark?: string;
  html?: string;
  /** The verifier's options, as given (the --xfrm files not read yet). */
  opts: ArgOptions;
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
  let opts: ArgOptions;
  try {
    opts = fromArgs(values);
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.option, e.problem);
    throw e;
  }
  for (const f of opts.xfrmFiles ?? []) {
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

  return { capture, json: values.json === true, frames: values.frames === true, wireshark, html, opts };
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
    const { xfrmFiles, ...given } = p.opts;
    const { states, warnings: xfrmWarnings } = await loadXfrmFiles(xfrmFiles ?? []);
    const opts: VerifyOptions = { ...given, xfrm: states, warnings: xfrmWarnings };
    const frameLines = p.frames ? new FrameLines(io.stdout) : undefined;
    if (frameLines) {
      opts.onFrameFacts = frameLines.add;
      opts.pause = frameLines.pause;
    }
    // Representative frames for the page and the text summary's excerpt (a few frames' bytes, not per packet).
    if (p.html !== undefined || !p.json) opts.samples = true;
    const report = await verifyCapture(p.capture, opts);
    frameLines?.flush();
    if (p.html !== undefined) {
      const { writeHtml } = await import('./formatters/html');
      try {
        await writeHtml(p.html, report, p.capture, p.opts);
      } catch (e) {
        throw new UsageError(p.html, `cannot write the report page: ${(e as Error).message}`);
      }
    }
    if (p.wireshark !== undefined) {
      const { writeWireshark } = await import('./formatters/wireshark');
      try {
        writeWireshark(p.wireshark, states, given.keys ?? [], given.vxlanPorts);
      } catch (e) {
        throw new UsageError(p.wireshark, `cannot write the Wireshark configuration: ${(e as Error).message}`);
      }
    }
    // Formatters are loaded by name, as eslint loads its own: the page's and the dissector's code only when used.
    const out = p.frames ? io.stderr : io.stdout;
    if (p.json) out.write((await import('./formatters/json')).formatJson(report));
    else out.write((await import('./formatters/text')).formatText(report, given));
    return report.meetsExpectation ? 0 : 1;
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
