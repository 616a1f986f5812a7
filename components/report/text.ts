/**
 * A dissected frame as plain text, indented like `tshark -V` (layer lines flush left, fields four spaces in),
 * followed by the hex/ASCII pane of the bytes the nonce or the payload is in. Used by the CLI's summary.
 */
import type { Dissection } from './dissect';
import { hexRows, hexText } from './hexdump';

export interface TextOptions {
  /** Show the frame line's own fields (arrival time, lengths). Default false: the title says the lengths. */
  frameFields?: boolean;
  /** Hex pane: 'none', or the bytes of the innermost payload (default), or the whole frame. */
  hex?: 'none' | 'payload' | 'frame';
  /** Bytes of hex shown at most. */
  hexLimit?: number;
  /** Only the fields people look for (VNI, SPI, sequence, ICMP type, the HTTP request line): a terminal excerpt. */
  compact?: boolean;
}

const KEY_FIELDS = /^(VXLAN Network Identifier|Virtual Network Identifier|ESP SPI|ESP Sequence|Type: \d+ \(|Type: (Handshake|Cookie|Transport)|Receiver:|Counter:|Interface index|\[Decrypted)|^[A-Z]+ \S+ HTTP\/1\.\d|^HTTP\/1\.\d \d{3}/;

export function dissectionText(d: Dissection, opts: TextOptions = {}): string[] {
  const out: string[] = [d.title];
  if (opts.frameFields) for (const f of d.frameFields) out.push(`    ${f}`);
  let inPlaintext = false;
  for (const l of d.layers) {
    if (l.buffer === 'plaintext' && !inPlaintext) {
      inPlaintext = true;
      out.push('[Decrypted ESP payload]');
    }
    out.push(l.title);
    for (const f of l.fields) if (!opts.compact || KEY_FIELDS.test(f)) out.push(`    ${f}`);
  }
  if (d.truncated) out.push('[Frame cut short: decoded as far as its bytes go]');
  if (d.malformed) out.push('[Inconsistent header: decoding stopped there]');
  const mode = opts.hex ?? 'payload';
  if (mode === 'none') return out;
  const pane = hexPane(d, mode);
  out.push('');
  if (pane.label) out.push(pane.label);
  out.push(...hexText(hexRows(pane.bytes, pane.marks, opts.hexLimit ?? 256)));
  return out;
}

/**
 * Which bytes the hex pane shows: for 'payload', the bytes after the last header (what Wireshark's "Data" or
 * "TCP payload" tab shows: the ICMP data or the HTTP request with the nonce), from the decrypted payload when
 * there is one; for 'frame', all captured bytes.
 */
export function hexPane(d: Dissection, mode: 'payload' | 'frame'): { label?: string; bytes: Buffer; marks: { start: number; end: number }[] } {
  if (mode === 'frame' || d.layers.length === 0) {
    return { bytes: d.data, marks: d.nonce.filter((m) => m.buffer === 'frame') };
  }
  const last = d.layers[d.layers.length - 1];
  const src = last.buffer === 'plaintext' && d.plaintext ? d.plaintext : d.data;
  // The payload starts after the last header; for HTTP and Data layers the layer is the payload itself.
  const start = last.layer === 'http' || last.layer === 'data' || last.layer === 'wireguard' ? last.start : headerEnd(d, last);
  const end = last.layer === 'esp' ? last.end : Math.max(start, last.end);
  const bytes = src.subarray(start, end > start ? end : src.length);
  const marks = d.nonce.filter((m) => m.buffer === last.buffer && m.end > start)
    .map((m) => ({ start: Math.max(0, m.start - start), end: m.end - start }));
  const what = last.layer === 'esp' ? 'ESP payload (encrypted)' : last.layer === 'wireguard' ? 'WireGuard message' : last.buffer === 'plaintext' ? 'decrypted payload' : 'payload';
  return { label: `${what}, ${bytes.length} bytes${marks.length ? ` (nonce marked ^)` : ''}:`, bytes, marks };
}

/** End of a layer's own header: ICMP 8 octets, ESP 8, others their pushed length. */
function headerEnd(d: Dissection, l: Dissection['layers'][number]): number {
  if (l.layer === 'icmp' || l.layer === 'icmpv6' || l.layer === 'esp') return l.start + 8;
  return l.end;
}
