/**
 * The verifier's options on a command line, both ways. One table (VERIFY_OPTIONS) gives every option that sets a
 * verifier option: its `--name`, the field it sets, the parser of its value(s) and the way back to arguments.
 * `fromArgs` reads parsed command-line values into options (what `cilium-ipsec-verify` does); `toArgs` writes
 * options as the arguments that give them (what the lab records as `verifierArgs`, and what a report page prints
 * as the command that repeats its verdict). Adding a row teaches the parser, --help and toArgs at once.
 *
 * Key material never leaves as text: toArgs writes a key as `--key SPI:KEY`, a placeholder that names the SPI
 * (a command line is logged, shared and shown on pages; keys are not).
 */
import { DEFAULT_POD_CIDRS, type AnalyzerOptions } from './analyze/options';
import { DEFAULT_GENEVE_PORTS, DEFAULT_VXLAN_PORTS, DEFAULT_WIREGUARD_PORTS } from './decode/ports';
import { addressText, CidrError, parseCidr } from './net/cidr';
import { VERDICTS, type Verdict } from './report';

/** The options a command line can set: the analyzer's, and the `ip xfrm state` files to read keys from. */
export type ArgOptions = Partial<Pick<AnalyzerOptions, 'podCidrs' | 'pods' | 'nonce' | 'expect' | 'spi' | 'endpoints' | 'rotation'
  | 'vxlanPorts' | 'genevePorts' | 'wireguardPorts' | 'keys'>> & {
  /** Files holding `ip xfrm state` output (run as root on the nodes). */
  xfrmFiles?: string[];
  /**
   * `--rotation-between` on its own row; fromArgs moves it into rotation.between (it needs --rotation) and
   * toArgs reads it from there, so options never carry it.
   */
  rotationBetween?: string[];
};

export type OptionGroup = 'Output' | 'Analysis' | 'Decryption (AES-GCM, RFC 4106)' | 'Other';

/** One command-line option: what node:util parseArgs needs, plus what --help prints. */
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

/** An option that sets a verifier option: the field, and its value's parser and printer. */
export interface OptionCodec<K extends keyof ArgOptions = keyof ArgOptions> extends OptionSpec {
  type: 'string';
  field: K;
  /** Every value given, in order (one for an option that is not repeatable). Throws OptionError. */
  parse(values: readonly string[]): NonNullable<ArgOptions[K]>;
  /** The values that give `v` back. */
  format(v: NonNullable<ArgOptions[K]>): string[];
}

/** A bad option value: `option` names it ("--spi"), `problem` says what was expected and what came. */
export class OptionError extends Error {
  constructor(readonly option: string, readonly problem: string) {
    super(`${option}: ${problem}`);
    this.name = 'OptionError';
  }
}

function parseUint(s: string): number | undefined {
  const t = s.trim();
  if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** An SPI, 1..4294967295, decimal or 0x hex; undefined when it is not one. */
export function parseSpi(s: string): number | undefined {
  const v = parseUint(s);
  return v !== undefined && v >= 1 && v <= 0xffffffff ? v : undefined;
}

/** A UDP port, 1..65535; undefined when it is not one. */
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

/** "SPI:HEX40": an SPI and 20 octets of AES-GCM key and salt. A problem never quotes the key. */
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

/** Comma-separated addresses, between min and max of them. */
function addresses(option: string, value: string, min: number, max: number): string[] {
  const items = value.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length < min || items.length > max) {
    throw new OptionError(option, min === max ? `expected ${min} comma-separated addresses, got "${value}"`
      : `expected at least ${min} comma-separated address(es), got "${value}"`);
  }
  for (const a of items) {
    if (addressText(a) === undefined) throw new OptionError(option, `"${a}" is not an IPv4 or IPv6 address`);
  }
  return items;
}

function ports(option: string, values: readonly string[]): number[] {
  return values.map((p) => {
    const v = parsePort(p);
    if (v === undefined) throw new OptionError(option, `must be a UDP port 1..65535, got "${p}"`);
    return v;
  });
}

/** A row of the table, typed by its field. */
function codec<K extends keyof ArgOptions>(c: OptionCodec<K>): OptionCodec<K> {
  return c;
}

const DECRYPTION: OptionGroup = 'Decryption (AES-GCM, RFC 4106)';

/**
 * Every option that sets a verifier option, in the order --help lists them and toArgs writes them. The CLI adds
 * its output options (--json, --frames, --html, --wireshark) and --help / --version around them.
 */
export const VERIFY_OPTIONS = {
  'pod-cidr': codec({ field: 'podCidrs', type: 'string', multiple: true, arg: 'CIDR', group: 'Analysis', default: DEFAULT_POD_CIDRS.join(', '),
    help: 'pod address range (host bits zero), repeatable; given values replace the default',
    parse: (vs) => vs.map((c) => {
      try {
        return parseCidr(c).text;
      } catch (e) {
        if (e instanceof CidrError) throw new OptionError('--pod-cidr', e.message);
        throw e;
      }
    }),
    format: (v) => [...v] }),
  pods: codec({ field: 'pods', type: 'string', arg: 'A,B', group: 'Analysis', default: 'none: the pod CIDRs decide',
    help: 'pod addresses: a pod packet has both ends in this list (the CIDRs are then not used)',
    parse: ([v]) => addresses('--pods', v, 1, 1024), format: (v) => [v.join(',')] }),
  nonce: codec({ field: 'nonce', type: 'string', arg: 'TEXT', group: 'Analysis', default: 'none',
    help: 'count frames whose raw bytes contain TEXT (in cleartext it is a leak)',
    parse: ([v]) => {
      if (v === '') throw new OptionError('--nonce', 'must not be empty');
      return v;
    },
    format: (v) => [v] }),
  expect: codec({ field: 'expect', type: 'string', arg: 'VERDICT', group: 'Analysis', default: 'none: any verdict exits 0',
    help: `${VERDICTS.join(' | ')} (with encrypted, a nonce in cleartext or NULL-encryption ESP also fails it)`,
    parse: ([v]) => {
      if (!(VERDICTS as readonly string[]).includes(v)) throw new OptionError('--expect', `must be one of ${VERDICTS.join(', ')}, got "${v}"`);
      return v as Verdict;
    },
    format: (v) => [v] }),
  spi: codec({ field: 'spi', type: 'string', arg: 'N', group: 'Analysis', default: 'none: any SPI',
    help: 'expected ESP SPI (1..4294967295, decimal or 0x hex): no ESP with it, or ESP with another SPI, fails the expectation',
    parse: ([v]) => {
      const spi = parseSpi(v);
      if (spi === undefined) throw new OptionError('--spi', `must be an integer 1..4294967295, got "${v}"`);
      return spi;
    },
    format: (v) => [String(v)] }),
  endpoints: codec({ field: 'endpoints', type: 'string', multiple: true, arg: 'A,B[,...]', group: 'Analysis', default: 'none: any addresses',
    help: 'expected ESP endpoints (node IPs, cilium_host addresses), two or more, comma-separated or repeated: no '
      + 'ESP between them, or ESP between other addresses, fails the expectation; any of them inside the pod range '
      + 'is a node address, so its traffic counts as host traffic, not pod traffic',
    // Comma-separated, repeated, or both: the lab passes every node IP and cilium_host address.
    parse: (vs) => [...new Set(addresses('--endpoints', vs.join(','), 2, 1024))],
    format: (v) => [v.join(',')] }),
  rotation: codec({ field: 'rotation', type: 'string', arg: 'FROM:TO', group: 'Analysis', default: 'none',
    help: 'expected key rotation from SPI FROM to SPI TO (decimal or 0x hex): both carry traffic, every direction '
      + 'switches from FROM to TO, no cleartext pod packet and no nonce in clear; both SPIs (and --spi) are then the '
      + 'expected ones',
    parse: ([v]) => {
      const r = parseRotation(v);
      if ('problem' in r) throw new OptionError('--rotation', r.problem);
      return r;
    },
    format: (v) => [`${v.from}:${v.to}`] }),
  'rotation-between': codec({ field: 'rotationBetween', type: 'string', multiple: true, arg: 'A,B[,...]', group: 'Analysis',
    default: 'none: every direction',
    help: 'with --rotation: judge the rotation only on ESP directions with both ends among these addresses (the nodes '
      + 'the traffic runs between); the other directions of the two SPIs are reported apart and never fail it',
    parse: (vs) => [...new Set(addresses('--rotation-between', vs.join(','), 2, 1024))],
    format: (v) => [v.join(',')] }),
  'vxlan-port': codec({ field: 'vxlanPorts', type: 'string', multiple: true, arg: 'P', group: 'Analysis', default: DEFAULT_VXLAN_PORTS.join(', '),
    help: 'UDP port decoded as VXLAN, repeatable; given values replace the default',
    parse: (vs) => ports('--vxlan-port', vs), format: (v) => v.map(String) }),
  'geneve-port': codec({ field: 'genevePorts', type: 'string', multiple: true, arg: 'P', group: 'Analysis', default: DEFAULT_GENEVE_PORTS.join(', '),
    help: 'UDP port decoded as Geneve, repeatable; given values replace the default',
    parse: (vs) => ports('--geneve-port', vs), format: (v) => v.map(String) }),
  'wireguard-port': codec({ field: 'wireguardPorts', type: 'string', multiple: true, arg: 'P', group: 'Analysis',
    default: `${DEFAULT_WIREGUARD_PORTS.join(', ')} (Cilium's)`,
    help: 'UDP port decoded as WireGuard, repeatable; given values replace the default',
    parse: (vs) => ports('--wireguard-port', vs), format: (v) => v.map(String) }),
  key: codec({ field: 'keys', type: 'string', multiple: true, arg: 'SPI:HEX40', group: DECRYPTION, default: 'none',
    help: 'key for every SA with this SPI: 40 hex digits = 16-byte AES key + 4-byte salt; repeatable',
    parse: (vs) => vs.map((k) => {
      const r = parseKey(k);
      if ('problem' in r) throw new OptionError('--key', r.problem);
      return r;
    }),
    format: (v) => v.map((k) => `${k.spi}:KEY`) }),
  xfrm: codec({ field: 'xfrmFiles', type: 'string', multiple: true, arg: 'FILE', group: DECRYPTION, default: 'none',
    help: 'output of "ip xfrm state" (as root) on a node: per-SA keys; repeatable. Redacted keys keep their SAs '
      + '(reported as having no usable key)',
    parse: (vs) => [...vs], format: (v) => [...v] }),
} as const satisfies Record<string, OptionCodec<keyof ArgOptions>>;

/** Rows of any field, for iterating the table (each row's parse and format agree on its own field). */
type AnyCodec = { [K in keyof ArgOptions]-?: OptionCodec<K> }[keyof ArgOptions];
const ROWS = Object.entries(VERIFY_OPTIONS) as [string, AnyCodec][];

/**
 * Options from command-line values as node:util parseArgs returns them (a string, or a string[] for a
 * repeatable option; other keys are ignored). Throws OptionError on the first bad value, in table order.
 */
export function fromArgs(values: Readonly<Record<string, unknown>>): ArgOptions {
  const out: Record<string, unknown> = {};
  for (const [name, row] of ROWS) {
    const given = values[name];
    if (given === undefined) continue;
    out[row.field] = row.parse(Array.isArray(given) ? given.map(String) : [String(given)]);
  }
  const opts = out as ArgOptions;
  if (opts.rotationBetween !== undefined) {
    if (opts.rotation === undefined) throw new OptionError('--rotation-between', 'needs --rotation FROM:TO');
    opts.rotation = { ...opts.rotation, between: opts.rotationBetween };
    delete opts.rotationBetween;
  }
  return opts;
}

/**
 * The arguments that give `opts` (the inverse of fromArgs, keys aside: a key is written `SPI:KEY`). Fields that are
 * not command-line options (the analyzer's parsed xfrm states, callbacks) are ignored; so are empty lists.
 */
export function toArgs(opts: ArgOptions): string[] {
  const args: string[] = [];
  const view: ArgOptions = { ...opts, rotationBetween: opts.rotation?.between };
  for (const [name, row] of ROWS) {
    const v = view[row.field];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    for (const value of (row.format as (x: typeof v) => string[])(v)) args.push(`--${name}`, value);
  }
  return args;
}

/** A shell word: quoted only when it needs to be. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `npm run verify -- CAPTURE ARGS`: the command, from a clone of the repository, that repeats the verdict on `opts`. */
export function verifyCommandLine(capture: string, opts: ArgOptions): string {
  return `npm run verify -- ${[capture, ...toArgs(opts)].map(shellWord).join(' ')}`;
}
