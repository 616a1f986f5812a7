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
 */

export interface XfrmAlgo {
  /** Kernel algorithm name, e.g. "rfc4106(gcm(aes))", "cbc(aes)", "ecb(cipher_null)". */
  name: string;
  key: Buffer;
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
  /** Extended sequence numbers (flag esn, or an "anti-replay esn context"). */
  esn: boolean;
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

function parseNum(tok: string | undefined): number | undefined {
  if (tok === undefined) return undefined;
  const m = /^(0x[0-9a-fA-F]+|\d+)/.exec(tok); // "0x00000003(3)" and "1(0x00000001)" -> first number
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}

function parseKey(tok: string | undefined, line: number, what: string): Buffer {
  const m = tok === undefined ? null : HEX_KEY.exec(tok);
  if (!m || m[1].length % 2 !== 0) {
    throw new XfrmParseError(line, `${what} key ${JSON.stringify(tok ?? '')} is not 0x followed by hex (was the output taken with "nokeys"?)`);
  }
  return Buffer.from(m[1], 'hex');
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
 * Parse every state in `text`. Throws XfrmParseError (with a line number) on a state that names an algorithm
 * but whose key is not hex; states without keys (`nokeys`) parse with empty keys.
 */
export function parseXfrmState(text: string): XfrmState[] {
  const lines = text.split(/\r?\n/);
  const states: XfrmState[] = [];
  let cur: XfrmState | undefined;
  let inEsnContext = false;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    const lineNo = n + 1;
    if (raw.trim() === '') continue;
    const indented = /^\s/.test(raw);
    const toks = raw.trim().split(/\s+/);
    if (!indented) {
      inEsnContext = false;
      cur = undefined;
      // A state header: "src A dst B" (policies print "src A/len dst B/len" and are skipped below).
      const start = toks[0] === 'Deleted' || toks[0] === 'Updated' ? 1 : 0;
      if (toks[start] === 'src' && toks[start + 2] === 'dst' && toks[start + 1] && toks[start + 3]
        && !toks[start + 1].includes('/') && !toks[start + 3].includes('/')) {
        cur = { src: toks[start + 1], dst: toks[start + 3], proto: '', spi: 0, flags: [], esn: false,
          nullEncryption: false, line: lineNo };
        states.push(cur);
      }
      continue;
    }
    if (!cur) continue;
    const k = toks[0];
    if (k === 'proto') {
      cur.proto = toks[1];
      for (let i = 2; i < toks.length; i += 2) {
        if (toks[i] === 'spi') cur.spi = (parseNum(toks[i + 1]) ?? 0) >>> 0;
        else if (toks[i] === 'reqid') cur.reqid = parseNum(toks[i + 1]);
        else if (toks[i] === 'mode') cur.mode = toks[i + 1];
      }
      inEsnContext = false;
    } else if (k === 'replay-window' || k === 'flag') {
      for (let i = 0; i < toks.length; i++) {
        if (toks[i] === 'replay-window') {
          // the -s "stats:" block repeats "replay-window N" as a counter: keep the first (the setting)
          const v = parseNum(toks[++i]);
          if (cur.replayWindow === undefined) cur.replayWindow = v;
        }
        else if (toks[i] === 'seq') i++;
        else if (toks[i] === 'flag') {
          for (let j = i + 1; j < toks.length; j++) if (!toks[j].startsWith('(')) cur.flags.push(toks[j]);
          break;
        }
      }
      if (cur.flags.includes('esn')) cur.esn = true;
    } else if (k === 'aead') {
      const key = parseKey(toks[2], lineNo, 'aead');
      cur.aead = { name: toks[1], key, bits: bitsAfterKey(toks, 3) };
      if (isNullCipher(toks[1])) cur.nullEncryption = true;
    } else if (k === 'enc') {
      cur.enc = { name: toks[1], key: parseKey(toks[2], lineNo, 'enc') };
      if (isNullCipher(toks[1])) cur.nullEncryption = true;
    } else if (k === 'auth' || k === 'auth-trunc') {
      cur.auth = { name: toks[1], key: parseKey(toks[2], lineNo, k), bits: k === 'auth-trunc' ? bitsAfterKey(toks, 3) : undefined };
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
      // "anti-replay context: seq 0x0, oseq 0xc3, bitmap 0x0" or "anti-replay esn context:" (+ next lines)
      if (toks[1] === 'esn') {
        cur.esn = true;
        inEsnContext = true;
      }
      readCounters(cur, toks);
    } else if (inEsnContext && (k === 'seq-hi' || k === 'seq' || k === 'oseq-hi' || k === 'oseq')) {
      readCounters(cur, toks);
    } else if (k === 'replay_window' || /^[0-9a-f]{8}$/.test(k)) {
      // ESN context detail lines (window size, bitmap words): nothing we need
    } else {
      inEsnContext = false;
    }
  }
  return states.filter((s) => s.proto !== '');
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
