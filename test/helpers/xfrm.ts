/**
 * `ip xfrm state` texts of Cilium's IPsec states, as iproute2 prints them (ip/ipxfrm.c
 * xfrm_state_info_print and xfrm_xfrma_print): one block per state,
 *
 *   src 192.168.211.128 dst 192.168.44.128
 *   	proto esp spi 0x00000003 reqid 1 mode tunnel
 *   	replay-window 0 flag af-unspec esn
 *   	mark 0x3e00/0xff00 output-mark 0xe00/0xf00
 *   	aead rfc4106(gcm(aes)) 0x<40 hex digits: 16-byte key + 4-byte salt> 128
 *   	anti-replay esn context:
 *   	 seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x1d
 *   	 replay_window 1024, bitmap-length 32
 *   	 00000000 00000000 ... (8 words a line, each followed by a space)
 *   	sel src 0.0.0.0/0 dst 0.0.0.0/0
 *
 * Cilium installs its states with ESN and a 1024-packet replay window (cilium/cilium
 * pkg/datapath/linux/ipsec/ipsec_linux.go ipSecNewState, v1.18.4 and v1.19.0): the "esn context" form.
 * Without ESN iproute2 prints one line, "anti-replay context: seq 0x0, oseq 0x1d, bitmap 0x00000000",
 * and the window in "replay-window N" (older Cilium states: replay-window 0). `oseq` is the output
 * sequence number: it moves with every packet an out state sends, and stays 0 on an in state.
 */
import { createHash } from 'crypto';

export interface XfrmSa {
  src: string;
  dst: string;
  spi: number;
  /** 40 hex digits (key + salt), as a Buffer or hex; default: derived from src, dst and spi (distinct per SA). */
  key?: Buffer | string;
  /** The key token exactly as printed, instead of 0x + key (a redacted or damaged key). */
  keyText?: string;
  /** ESN state with its multi-line replay context (Cilium's); default false (the one-line form). */
  esn?: boolean;
  seq?: number;
  oseq?: number;
  seqHi?: number;
  oseqHi?: number;
  /** ESN replay window (default 1024, Cilium's). */
  replayWindow?: number;
  /** The mark line's value (default 0x<spi>e00/0xff00 out-style); null: no mark line. */
  mark?: string | null;
  reqid?: number;
  /** Print the "flag af-unspec" of Cilium's states (default true). */
  afUnspec?: boolean;
  /** Print the replay context at all (default true). */
  replayContext?: boolean;
  /** Print the selector line (default true). */
  selector?: boolean;
}

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** A key (40 hex digits) distinct for every (src, dst, spi), as Cilium's per node-pair keys are. */
export function derivedKey(src: string, dst: string, spi: number): string {
  return createHash('sha256').update(`${src}>${dst}#${spi}`).digest('hex').slice(0, 40);
}

/** One state's block, ending in a newline. */
export function xfrmStateText(sa: XfrmSa): string {
  const esn = sa.esn ?? false;
  const key = sa.keyText ?? `0x${sa.key === undefined ? derivedKey(sa.src, sa.dst, sa.spi) : Buffer.isBuffer(sa.key) ? sa.key.toString('hex') : sa.key}`;
  const flags = [...(sa.afUnspec ?? true ? ['af-unspec'] : []), ...(esn ? ['esn'] : [])];
  const lines = [
    `src ${sa.src} dst ${sa.dst}`,
    `\tproto esp spi ${hex8(sa.spi)} reqid ${sa.reqid ?? 1} mode tunnel`,
    `\treplay-window 0 ${flags.length ? `flag ${flags.join(' ')}` : ''}`,
  ];
  const mark = sa.mark === undefined ? `0x${sa.spi.toString(16)}e00/0xff00 output-mark 0xe00/0xf00` : sa.mark;
  if (mark !== null) lines.push(`\tmark ${mark}`);
  lines.push(`\taead rfc4106(gcm(aes)) ${key} 128`);
  if (sa.replayContext ?? true) {
    const [seq, oseq, seqHi, oseqHi] = [sa.seq ?? 0, sa.oseq ?? 0, sa.seqHi ?? 0, sa.oseqHi ?? 0].map((n) => n.toString(16));
    if (esn) {
      const window = sa.replayWindow ?? 1024;
      const words = Math.ceil(window / 32);
      lines.push('\tanti-replay esn context:', `\t seq-hi 0x${seqHi}, seq 0x${seq}, oseq-hi 0x${oseqHi}, oseq 0x${oseq}`, `\t replay_window ${window}, bitmap-length ${words}`);
      for (let i = 0; i < words; i += 8) lines.push(`\t ${'00000000 '.repeat(Math.min(8, words - i))}`);
    } else {
      lines.push(`\tanti-replay context: seq 0x${seq}, oseq 0x${oseq}, bitmap 0x00000000`);
    }
  }
  if (sa.selector ?? true) lines.push('\tsel src 0.0.0.0/0 dst 0.0.0.0/0 ');
  return lines.join('\n') + '\n';
}

/** Several states, in order. */
export function xfrmStatesText(sas: XfrmSa[]): string {
  return sas.map(xfrmStateText).join('');
}
