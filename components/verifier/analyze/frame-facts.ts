/**
 * Per-frame facts for --frames and the tests: built from the layer stack only when a consumer asks for them
 * (they allocate strings), after the collectors have seen the frame.
 */
import { espSeq, espSpi } from '../decode/esp';
import { ipBefore, ipDstText, ipSrcText } from '../decode/ip';
import { L, LayerStack } from '../decode/layers';
import { WG_INVALID, wgCounter, wgReceiverIndex, wgSenderIndex } from '../decode/wireguard';

export interface FrameFacts {
  frame: number;
  /** All decoded layers, decrypted ones included, e.g. "eth/ipv4/udp/vxlan/eth/ipv4/esp/ipv4/icmp". */
  layers: string;
  /** Every IP header, outermost first, including decrypted inner ones. */
  ips: { version: 4 | 6; src: string; dst: string; proto: number }[];
  /** Outermost ESP and the IP header that carried it. */
  esp?: { src: string; dst: string; spi: number; seq: number };
  decrypted?: 'ok' | 'failed';
  /**
   * Outermost WireGuard datagram: its type octet, whether it is a valid message, and the indexes and counter the
   * type carries.
   */
  wireguard?: { type: number; valid: boolean; senderIndex?: number; receiverIndex?: number; counter?: number };
  /** The nonce is in the frame's raw bytes (cleartext). */
  nonce?: boolean;
  /** The nonce is in the decrypted ESP payload. */
  nonceDecrypted?: boolean;
  /** The ESP payload was readable without a key (NULL encryption). */
  nullEsp?: boolean;
  truncated?: boolean;
}

/** What the analyzer learnt about the frame beyond its layers. */
export interface FrameOutcome {
  espIdx: number;
  wgIdx: number;
  /** 0 not tried, 1 ok, 2 failed. */
  decrypted: number;
  /** undefined: no nonce given. */
  nonce: boolean | undefined;
  nonceDecrypted: boolean;
  nullEsp: boolean;
}

export function frameFacts(st: LayerStack, frame: number, o: FrameOutcome): FrameFacts {
  const ips: FrameFacts['ips'] = [];
  for (let i = 0; i < st.count; i++) {
    const t = st.type[i];
    if (t !== L.IPV4 && t !== L.IPV6) continue;
    ips.push({ version: t === L.IPV4 ? 4 : 6, src: ipSrcText(st, i), dst: ipDstText(st, i), proto: st.aux[i] });
  }
  const facts: FrameFacts = { frame, layers: st.path(), ips };
  if (o.espIdx >= 0) {
    const b = st.bufs[st.src[o.espIdx]];
    const off = st.off[o.espIdx];
    const ip = ipBefore(st, o.espIdx);
    facts.esp = { src: ipSrcText(st, ip), dst: ipDstText(st, ip), spi: espSpi(b, off), seq: espSeq(b, off) };
  }
  if (o.wgIdx >= 0) {
    const b = st.bufs[st.src[o.wgIdx]];
    const off = st.off[o.wgIdx];
    const len = st.len[o.wgIdx];
    const type = len > 0 ? b[off] : -1;
    const wg: NonNullable<FrameFacts['wireguard']> = { type, valid: st.aux[o.wgIdx] !== WG_INVALID };
    if (wg.valid) {
      const s = wgSenderIndex(b, off, len, type);
      const r = wgReceiverIndex(b, off, len, type);
      if (s >= 0) wg.senderIndex = s;
      if (r >= 0) wg.receiverIndex = r;
      if (type === 4 && wgCounter(b, off, len) >= 0) wg.counter = wgCounter(b, off, len);
    }
    facts.wireguard = wg;
  }
  if (o.decrypted === 1) facts.decrypted = 'ok';
  else if (o.decrypted === 2) facts.decrypted = 'failed';
  if (o.nonce !== undefined) facts.nonce = o.nonce;
  if (o.nonceDecrypted) facts.nonceDecrypted = true;
  if (o.nullEsp) facts.nullEsp = true;
  if (st.truncated) facts.truncated = true;
  return facts;
}
