/**
 * Addresses read from packet bytes, as the text people read: dotted quads, RFC 5952 IPv6 and colon-separated MACs.
 * Formatting allocates: the analyzer calls these once per new flow, never per frame.
 */
import * as ipaddr from 'ipaddr.js';

/** "10.0.1.124" from an unsigned 32-bit number. */
export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** "fd00::1" from the 16 octets at `at`. */
export function ipv6Text(buf: Buffer, at: number): string {
  return ipaddr.fromByteArray(Array.from(buf.subarray(at, at + 16))).toString();
}

/** "02:00:00:00:00:01" from the 6 octets at `at`. */
export function macText(buf: Buffer, at: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(buf[at + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}
