/**
 * Per-frame facts for --frames and the tests: built from the layer stack only when a consumer asks for them
 * (they allocate strings), after the collectors have seen the frame.
 */
import { L, LayerStack } from '../decode/layers';
import { WG_INVALID, wgCounter, wgReceiverIndex, wgSenderIndex } from '../decode/wireguard';
import { formatV4, formatV6 } from './addr';

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
    const b = st.bufs[st.src[i]];
    const off = st.off[i];
    if (t === L.IPV4) ips.push({ version: 4, src: formatV4(b.readUInt32BE(off + 12)), dst: formatV4(b.readUInt32BE(off + 16)), proto: st.aux[i] });
    else ips.push({ version: 6, src: formatV6(b, off + 8), dst: formatV6(b, off + 24), proto: st.aux[i] });
  }
  const facts: FrameFacts = { frame, layers: st.path(), ips };
  if (o.espIdx >= 0) {
    const b = st.bufs[st.src[o.espIdx]];
    const off = st.off[o.espIdx];
    let ip = o.espIdx - 1;
    while (ip >= 0 && st.type[ip] !== L.IPV4 && st.type[ip] !== L.IPV6) ip--;
    const ib = st.bufs[st.src[ip]];
    const io = st.off[ip];
    const v4 = st.type[ip] === L.IPV4;
    facts.esp = {
      src: v4 ? formatV4(ib.readUInt32BE(io + 12)) : formatV6(ib, io + 8),
      dst: v4 ? formatV4(ib.readUInt32BE(io + 16)) : formatV6(ib, io + 24),
      spi: b.readUInt32BE(off), seq: b.readUInt32BE(off + 4),
    };
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
