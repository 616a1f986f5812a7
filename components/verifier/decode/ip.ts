/**
 * The addresses of an IP header in the layer stack, whichever version it is (allocates: for naming a new flow and
 * for per-frame facts, never per frame on the hot path).
 */
import { ipv4Text, ipv6Text } from '../net/address-text';
import { ipv4Dst, ipv4Src } from './ipv4';
import { IPV6_DST, IPV6_SRC } from './ipv6';
import { L, type LayerStack } from './layers';

/** Source address of the IPv4 or IPv6 header at stack index i. */
export function ipSrcText(st: LayerStack, i: number): string {
  const b = st.bufs[st.src[i]];
  return st.type[i] === L.IPV4 ? ipv4Text(ipv4Src(b, st.off[i])) : ipv6Text(b, st.off[i] + IPV6_SRC);
}

/** Destination address of the IPv4 or IPv6 header at stack index i. */
export function ipDstText(st: LayerStack, i: number): string {
  const b = st.bufs[st.src[i]];
  return st.type[i] === L.IPV4 ? ipv4Text(ipv4Dst(b, st.off[i])) : ipv6Text(b, st.off[i] + IPV6_DST);
}

/** Index of the nearest IPv4 or IPv6 header before stack index i, or -1. */
export function ipBefore(st: LayerStack, i: number): number {
  let ip = i - 1;
  while (ip >= 0 && st.type[ip] !== L.IPV4 && st.type[ip] !== L.IPV6) ip--;
  return ip;
}
