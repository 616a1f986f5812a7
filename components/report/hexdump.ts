/**
 * The hex/ASCII pane under a dissected frame, as Wireshark's packet bytes pane lays it out:
 * "0000  63 69 6c 61 62 2d 6e 6f 6e 63 65 2d 35 65 31 66   cilab-nonce-5e1f". Each byte carries a mark
 * (the nonce, the payload) so the HTML page can colour it and the text form can underline it.
 */

export interface HexByte { value: number; mark?: 'nonce' }
export interface HexRow { offset: number; bytes: HexByte[] }

/** Rows of 16 bytes; `marks` are [start, end) ranges of this buffer to mark as the nonce. `limit` caps the bytes shown. */
export function hexRows(data: Buffer, marks: readonly { start: number; end: number }[], limit = 4096): HexRow[] {
  const n = Math.min(data.length, limit);
  const rows: HexRow[] = [];
  for (let off = 0; off < n; off += 16) {
    const bytes: HexByte[] = [];
    for (let i = off; i < Math.min(off + 16, n); i++) {
      const inNonce = marks.some((m) => i >= m.start && i < m.end);
      bytes.push(inNonce ? { value: data[i], mark: 'nonce' } : { value: data[i] });
    }
    rows.push({ offset: off, bytes });
  }
  return rows;
}

export function printable(v: number): string {
  return v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.';
}

/** Plain text lines; a line under each row marks the nonce bytes with ^ (terminals have no colour here). */
export function hexText(rows: readonly HexRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const hexPart = r.bytes.map((b) => b.value.toString(16).padStart(2, '0')).join(' ').padEnd(47);
    const ascii = r.bytes.map((b) => printable(b.value)).join('');
    out.push(`${r.offset.toString(16).padStart(4, '0')}  ${hexPart}   ${ascii}`);
    if (r.bytes.some((b) => b.mark === 'nonce')) {
      const under = r.bytes.map((b) => (b.mark === 'nonce' ? '^^' : '  ')).join(' ').padEnd(47);
      const underAscii = r.bytes.map((b) => (b.mark === 'nonce' ? '^' : ' ')).join('');
      out.push(`      ${under}   ${underAscii}`.trimEnd());
    }
  }
  return out;
}
