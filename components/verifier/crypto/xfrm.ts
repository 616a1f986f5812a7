/**
 * Parser for the text of `ip xfrm state` (and `ip -s xfrm state`) as iproute2 prints it (ip/xfrm_state.c,
 * ip/ipxfrm.c). One state is a line starting with "src A dst B" followed by indented lines:
 *
 *   src 10.84.1.32 dst 10.84.0.30
 *   	proto esp spi 0x00000003 reqid 1 mode tunnel              (-s: "spi 0x00000003(3) reqid 1(0x00000001)")
 *   	replay-window 0 flag af-unspec esn                         (-s: "... seq 0x00000000 flag esn (0x10000000)")
 *   	mark 0x3cb23e00/0xffffff00 output-mark 0xe00/0xf00
 *   	aead rfc4106(gcm(aes)) 0x64ad...719f 128                   (-s: "0x64ad...719f (160 bits) 128")
 *   	enc cbc(aes) 0x...   auth-trunc hmac(sha256) 0x... 128      (other algorithms)
 *   	anti-replay context: seq 0x0, oseq 0xc3, bitmap 0x00000000
 *   	anti-replay esn context:\n seq-hi 0x0, seq 0x1d, oseq-hi 0x0, oseq 0x0\n replay_window 128, ...
 *   	sel src 0.0.0.0/0 dst 0.0.0.0/0
 *   	lifetime config: / lifetime current: / stats:              (-s only)
 *
 * Cilium installs per-direction states; the inbound one has src 0.0.0.0 (any source), kept here as written.
 * Lines that are not part of a state (prompts, policies, "Deleted" prefixes) are ignored.
 *
 * Texts as people paste them, seen in public Cilium issues and sysdumps:
 * - redacted keys: cilium-bugtool (cilium/cilium bugtool/cmd/helper.go, hashEncryptionKeys) writes
 *   "[hash:<sha256>]" in place of each key and replaces a key line it cannot hash by "[redacted]" (unindented);
 *   people write "0xXXXX...", elide the middle ("0x64ad...719f") or, like libreswan's test sanitizers
 *   (testing/sanitizers/ipsec-kernel-state.sed), "0xENCAUTHKEY". The state is kept with the key marked
 *   `redacted` (no usable key), so SPIs, addresses and counters survive;
 * - ESN: iproute2 prints "anti-replay esn context:" whenever the kernel keeps an ESN-format replay state, which
 *   IKE daemons also set up for large replay windows without ESN (libreswan issue #1569 shows one with
 *   "flag af-unspec"). ESN is on only when the flags say so: "esn", or bit 0x80 where older iproute2 printed the
 *   flag value in hex;
 * - lost indentation (mail, some issue renderers): attribute lines are recognised by their keyword, so such a
 *   paste parses; attribute lines outside any state fail with the line named, never as 0 states.
 * Error and warning texts name the line and the token's length, never a key's value.
 */

export interface XfrmAlgo {
  /** Kernel algorithm name, e.g. "rfc4106(gcm(aes))", "cbc(aes)", "ecb(cipher_null)". */
  name: string;
  /** Empty when redacted. */
  key: Buffer;
  /** The text had a placeholder ("[hash:...]", "0xXXXX...") instead of the key: there is no usable key. */
  redacted?: boolean;
  /** ICV bits (aead) or truncation bits (auth-trunc). */
  bits?: number;
}

export interface XfrmState {
  src: string;
  dst: string;
  /** "esp", "ah", "comp", ... */
  proto: string;
  spi: number;
  reqid?: number;
  mode?: string;
  replayWindow?: number;
  flags: string[];
  /** Extended sequence numbers: the flags say esn (an "anti-replay esn context" alone does not). */
  esn: boolean;
  /** A key of this state was redacted, or a line of it was replaced by "[redacted]": some key is unusable. */
  redacted: boolean;
  /** High 32 bits of the inbound / outbound sequence counters (ESN context), when printed. */
  seqHi?: number;
  oseqHi?: number;
  seq?: number;
  oseq?: number;
  aead?: XfrmAlgo;
  enc?: XfrmAlgo;
  auth?: XfrmAlgo;
  /** Integrity only: enc ecb(cipher_null) / cipher_null, or AEAD rfc4543 (GMAC): payload NOT confidential. */
  nullEncryption: boolean;
  encap?: { type: string; sport: number; dport: number };
  /** 1-based line number of the "src ... dst ..." line. */
  line: number;
}

export class XfrmParseError extends Error {
  constructor(readonly line: number, readonly problem: string) {
    super(`line ${line}: ${problem}`);
    this.name = 'XfrmParseError';
  }
}

const HEX_KEY = /^0x([0-9a-fA-F]*)$/;

/** Placeholders that stand for a key which was deliberately left out of the text. */
const REDACTED_KEY = [
  /^\[hash:[0-9a-fA-F]*\]$/, // cilium-bugtool
  /^[[<(]?redacted[\]>)]?$/i,
  /^0x[xX]{2,}(\.{2,}|\u2026)?$/, // 0xXXXX, 0xXXXX...
  /^0x[0-9a-fA-F]*(\.{2,}|\u2026)[0-9a-fA-F]*$/, // 0x64ad...719f
  /^0x[A-Z]*KEY$/, // libreswan sanitizers: 0xENCAUTHKEY, 0xENCKEY, 0xHASHKEY
  /^\*{3,}$/,
];

export function isRedactedKey(tok: string): boolean {
  return REDACTED_KEY.some((re) => re.test(tok));
}

function parseNum(tok: string | undefined): number | undefined {
  if (tok === undefined) return undefined;
  const m = /^(0x[0-9a-fA-F]+|\d+)/.exec(tok); // "0x00000003(3)" and "1(0x00000001)" -> first number
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}

/** The key token: its bytes, or redacted. Throws naming the line and the token's length, never its text. */
function parseKey(tok: string | undefined, line: number, what: string): { key: Buffer; redacted?: boolean } {
  if (tok !== undefined && isRedactedKey(tok)) return { key: Buffer.alloc(0), redacted: true };
  const m = tok === undefined ? null : HEX_KEY.exec(tok);
  if (!m || m[1].length % 2 !== 0) {
    const got = tok === undefined ? 'nothing' : `a token of ${tok.length} characters`;
    throw new XfrmParseError(line, `${what} key is not 0x followed by an even number of hex digits (got ${got}); `
      + 'a redacted key reads as [hash:...] or 0xXXXX...');
  }
  return { key: Buffer.from(m[1], 'hex') };
}

/** First words of the lines inside a state (ip/xfrm_state.c, ip/ipxfrm.c), told apart without their indentation. */
const STATE_LINE = new Set(['proto', 'replay-window', 'flag', 'extra_flag', 'mark', 'output-mark', 'if_id', 'aead', 'enc',
  'auth', 'auth-trunc', 'comp', 'encap', 'coa', 'tfcpad', 'security', 'anti-replay', 'seq-hi', 'replay_window', 'sel',
  'lifetime', 'limit:', 'expire', 'add', 'stats:', 'lastused', 'dir', 'crypto', 'offload', '[redacted]']);
/** First words of a policy's own lines (ip/xfrm_policy.c), which a paste without indentation leaves at column 0. */
const POLICY_LINE = new Set(['tmpl', 'level', 'enc-mask', 'socket', 'ptype', 'action']);
/** Lines that say a state's key was there (an orphan one means a state lost its "src A dst B" line). */
const KEY_OR_PROTO = new Set(['proto', 'aead', 'enc', 'auth', 'auth-trunc']);

function isStateLine(k: string): boolean {
  return STATE_LINE.has(k) || /^[0-9a-f]{8}$/.test(k) || /^\d+\(bytes\),?$/.test(k);
}

/** Flags that turn ESN on: the name, or the 0x80 bit of a flag value printed in hex ("80", "(0x00000080)"). */
function esnFlag(flags: readonly string[], raw: readonly string[]): boolean {
  if (flags.includes('esn')) return true;
  return raw.some((t) => {
    const m = /^\(?(?:0x)?([0-9a-fA-F]+)\)?$/.exec(t);
    return m !== null && (parseInt(m[1], 16) & 0x80) !== 0;
  });
}

export interface XfrmParseResult {
  states: XfrmState[];
  /** Said once per text: redacted keys, states that lost their header, ... (no key material). */
  warnings: string[];
}

/** The number after the key, skipping iproute2 -s "(160 bits)". */
function bitsAfterKey(toks: string[], i: number): number | undefined {
  let j = i;
  if (toks[j] === '(' || (toks[j] && toks[j].startsWith('('))) {
    while (j < toks.length && !toks[j].endsWith(')')) j++;
    j++;
  }
  return parseNum(toks[j]);
}

function isNullCipher(name: string): boolean {
  return /cipher_null/.test(name) || /^rfc4543\(/.test(name);
}

/**
 * Parse every state in `text`. Throws XfrmParseError (with a line number) on a key that is neither hex nor a
 * redaction placeholder, and on state lines outside any state when no state was found (a paste that lost its
 * "src A dst B" lines); states without keys (`nokeys`) parse with empty keys.
 */
export function parseXfrmState(text: string): XfrmState[] {
  return parseXfrmText(text).states;
}

/** parseXfrmState, plus warnings to pass on to the user. */
export function parseXfrmText(text: string): XfrmParseResult {
  const lines = text.split(/\r?\n/);
  const states: XfrmState[] = [];
  const orphans: number[] = [];
  let cur: XfrmState | undefined;
  let inPolicy = false;
  let inEsnContext = false;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    const lineNo = n + 1;
    if (raw.trim() === '') continue;
    const indented = /^\s/.test(raw);
    const toks = raw.trim().split(/\s+/);
    const k = toks[0];
    const start = k === 'Deleted' || k === 'Updated' ? 1 : 0;
    if (toks[start] === 'src' && toks[start + 2] === 'dst' && toks[start + 1] && toks[start + 3]) {
      inEsnContext = false;
      cur = undefined;
      // A state header "src A dst B"; policies print "src A/len dst B/len" and are skipped with their lines.
      inPolicy = toks[start + 1].includes('/') || toks[start + 3].includes('/');
      if (!inPolicy) {
        cur = { src: toks[start + 1], dst: toks[start + 3], proto: '', spi: 0, flags: [], esn: false, redacted: false,
          nullEncryption: false, line: lineNo };
        states.push(cur);
      }
      continue;
    }
    if (!indented && inPolicy && POLICY_LINE.has(k)) continue;
    if (!indented && !isStateLine(k)) {
      // A prompt, a heading, another command's output: the state (if any) ends here.
      cur = undefined;
      inPolicy = false;
      inEsnContext = false;
      continue;
    }
    if (!cur) {
      if (!inPolicy && KEY_OR_PROTO.has(k)) orphans.push(lineNo);
      continue;
    }
    if (k === 'proto') {
      cur.proto = toks[1];
      for (let i = 2; i < toks.length; i += 2) {
        if (toks[i] === 'spi') cur.spi = (parseNum(toks[i + 1]) ?? 0) >>> 0;
        else if (toks[i] === 'reqid') cur.reqid = parseNum(toks[i + 1]);
        else if (toks[i] === 'mode') cur.mode = toks[i + 1];
      }
      inEsnContext = false;
    } else if (k === 'replay-window' || k === 'flag') {
      const rawFlags: string[] = [];
      for (let i = 0; i < toks.length; i++) {
        if (toks[i] === 'replay-window') {
          // the -s "stats:" block repeats "replay-window N" as a counter: keep the first (the setting)
          const v = parseNum(toks[++i]);
          if (cur.replayWindow === undefined) cur.replayWindow = v;
        }
        else if (toks[i] === 'seq') i++;
        else if (toks[i] === 'flag') {
          for (let j = i + 1; j < toks.length; j++) {
            if (/^\(?(0x)?[0-9a-fA-F]+\)?$/.test(toks[j]) && !/^[a-z]+(-[a-z]+)*$/.test(toks[j])) rawFlags.push(toks[j]);
            else cur.flags.push(toks[j]);
          }
          break;
        }
      }
      if (esnFlag(cur.flags, rawFlags)) cur.esn = true;
    } else if (k === 'aead') {
      const { key, redacted } = parseKey(toks[2], lineNo, 'aead');
      cur.aead = { name: toks[1], key, bits: bitsAfterKey(toks, 3), ...(redacted ? { redacted } : {}) };
      if (redacted) cur.redacted = true;
      if (isNullCipher(toks[1])) cur.nullEncryption = true;
    } else if (k === 'enc') {
      const { key, redacted } = parseKey(toks[2], lineNo, 'enc');
      cur.enc = { name: toks[1], key, ...(redacted ? { redacted } : {}) };
      if (redacted) cur.redacted = true;
      if (isNullCipher(toks[1])) cur.nullEncryption = true;
    } else if (k === 'auth' || k === 'auth-trunc') {
      const { key, redacted } = parseKey(toks[2], lineNo, k);
      cur.auth = { name: toks[1], key, bits: k === 'auth-trunc' ? bitsAfterKey(toks, 3) : undefined, ...(redacted ? { redacted } : {}) };
      if (redacted) cur.redacted = true;
    } else if (k === '[redacted]') {
      // cilium-bugtool put this in place of a whole key line whose key it could not hash.
      cur.redacted = true;
    } else if (k === 'encap') {
      // encap type espinudp sport 4500 dport 4500 addr 0.0.0.0
      const e = { type: '', sport: 0, dport: 0 };
      for (let i = 1; i < toks.length; i += 2) {
        if (toks[i] === 'type') e.type = toks[i + 1];
        else if (toks[i] === 'sport') e.sport = parseNum(toks[i + 1]) ?? 0;
        else if (toks[i] === 'dport') e.dport = parseNum(toks[i + 1]) ?? 0;
      }
      cur.encap = e;
    } else if (k === 'anti-replay') {
      // "anti-replay context: seq 0x0, oseq 0xc3, bitmap 0x0" or "anti-replay esn context:" (+ next lines); the
      // ESN context alone does not mean ESN (see the module comment)
      inEsnContext = toks[1] === 'esn';
      readCounters(cur, toks);
    } else if (inEsnContext && (k === 'seq-hi' || k === 'seq' || k === 'oseq-hi' || k === 'oseq')) {
      readCounters(cur, toks);
    } else if (k === 'replay_window' || /^[0-9a-f]{8}$/.test(k)) {
      // ESN context detail lines (window size, bitmap words): nothing we need
    } else {
      inEsnContext = false;
    }
  }
  const parsed = states.filter((s) => s.proto !== '');
  const warnings: string[] = [];
  if (orphans.length > 0) {
    if (parsed.length === 0) {
      throw new XfrmParseError(orphans[0], 'a state\'s "proto", "aead" or "enc" line with no "src A dst B" line before it: '
        + 'is this the complete output of "ip xfrm state"?');
    }
    warnings.push(`line${orphans.length > 1 ? 's' : ''} ${orphans.slice(0, 5).join(', ')}: state lines with no "src A dst B" line before them were skipped`);
  }
  const headless = states.filter((s) => s.proto === '');
  if (headless.length > 0) {
    warnings.push(`line${headless.length > 1 ? 's' : ''} ${headless.slice(0, 5).map((s) => s.line).join(', ')}: "src A dst B" with no "proto ... spi ..." line after it: skipped`);
  }
  const redacted = parsed.filter((s) => s.redacted);
  if (redacted.length > 0) {
    warnings.push(`${redacted.length} of ${parsed.length} states have redacted keys (first at line ${redacted[0].line}): `
      + 'their SAs are kept, with no usable key');
  }
  return { states: parsed, warnings };
}

function readCounters(s: XfrmState, toks: string[]): void {
  for (let i = 0; i < toks.length - 1; i++) {
    const name = toks[i];
    const v = parseNum(toks[i + 1]?.replace(/,$/, ''));
    if (v === undefined) continue;
    if (name === 'seq-hi') s.seqHi = v;
    else if (name === 'oseq-hi') s.oseqHi = v;
    else if (name === 'seq') s.seq = v;
    else if (name === 'oseq') s.oseq = v;
  }
}

/** True for a wildcard address as Cilium writes it in inbound states (0.0.0.0 / ::). */
export function isWildcardAddress(a: string): boolean {
  return a === '0.0.0.0' || a === '::' || a === '*';
}
