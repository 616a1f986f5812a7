/**
 * HTML building blocks of the report pages: escaping, tables, the dissected frame and its hex pane, and the
 * one stylesheet (inline; system fonts only; readable printed and in a narrow window).
 */
import type { Dissection } from './dissect';
import { hexRows, printable } from './hexdump';
import { hexPane } from './text';

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function num(n: unknown): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '-';
}

export function isoTime(sec: unknown): string {
  return typeof sec === 'number' && Number.isFinite(sec) ? new Date(sec * 1000).toISOString().replace('T', ' ').replace('Z', ' UTC') : '-';
}

/** A table; cells are HTML already (callers escape). */
export function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

/** The packet-details pane and the hex pane of one dissected frame. */
export function dissectionHtml(d: Dissection, hexLimit = 512): string {
  const out: string[] = ['<div class="details">', `<div class="layer">${esc(d.title)}</div>`];
  let inner = false;
  for (const l of d.layers) {
    if (l.buffer === 'plaintext' && !inner) {
      inner = true;
      out.push('<div class="decrypted">decrypted ESP payload</div>');
    }
    out.push(`<div class="layer${l.buffer === 'plaintext' ? ' inner' : ''}">${esc(l.title)}</div>`);
    for (const f of l.fields) out.push(`<div class="field${l.buffer === 'plaintext' ? ' inner' : ''}">${esc(f)}</div>`);
  }
  if (d.truncated) out.push('<div class="note">[frame cut short: decoded as far as its bytes go]</div>');
  out.push('</div>');
  const pane = hexPane(d, 'payload');
  const rows = hexRows(pane.bytes, pane.marks, hexLimit);
  const lines = rows.map((r) => {
    const hex = runs(r.bytes.map((b) => ({ text: b.value.toString(16).padStart(2, '0'), mark: !!b.mark })), ' ', 'h');
    const pad = ' '.repeat(Math.max(0, 47 - r.bytes.length * 3 + 1));
    const ascii = runs(r.bytes.map((b) => ({ text: esc(printable(b.value)), mark: !!b.mark })), '', 'a');
    return `${r.offset.toString(16).padStart(4, '0')}  ${hex}${pad}   ${ascii}`;
  });
  if (pane.bytes.length > hexLimit) lines.push(`… ${pane.bytes.length - hexLimit} more bytes`);
  const label = (pane.label ?? 'frame bytes').replace(' (nonce marked ^)', ' (nonce highlighted)');
  out.push(`<div class="hexlabel">${esc(label)}</div><pre class="hex">${lines.join('\n')}</pre>`);
  return out.join('\n');
}

/** Joins cells, wrapping each run of marked cells in one <mark> (the nonce reads as one highlighted word). */
function runs(cells: readonly { text: string; mark: boolean }[], sep: string, cls: string): string {
  let out = '';
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    const startRun = c.mark && (i === 0 || !cells[i - 1].mark);
    const endRun = c.mark && (i === cells.length - 1 || !cells[i + 1].mark);
    out += `${i > 0 ? sep : ''}${startRun ? `<mark class="${cls}">` : ''}${c.text}${endRun ? '</mark>' : ''}`;
  }
  return out;
}

export const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 16px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 24px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
.sub, .none, .hint { color: var(--muted); }
.verdict { border: 2px solid; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.verdict .word { font-size: 22px; font-weight: 700; letter-spacing: .02em; }
.v-encrypted { border-color: #1a7f37; background: #dafbe1; }
.v-cleartext { border-color: #cf222e; background: #ffebe9; }
.v-partial { border-color: #bf8700; background: #fff8c5; }
.v-inconclusive { border-color: #6e7781; background: #f6f8fa; }
.met { color: #1a7f37; font-weight: 600; } .failed { color: #cf222e; font-weight: 600; }
ul { margin: 4px 0; padding-left: 20px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart svg { max-width: 100%; height: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.details, pre.hex, pre.cmd { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.details { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; overflow-x: auto; }
.details .layer { font-weight: 600; white-space: pre; }
.details .field { padding-left: 2em; white-space: pre; }
.details .inner { color: #0a3069; }
.details .decrypted { margin: 4px 0; color: #1a7f37; font-weight: 600; }
pre.hex, pre.cmd { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; overflow-x: auto; margin: 4px 0; }
pre.cmd { white-space: pre-wrap; word-break: break-all; }
mark { background: #ffd33d; color: #000; }
.hexlabel { margin-top: 6px; color: var(--muted); font-size: 12px; }
.frame { margin-bottom: 18px; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; } .frame, .chart, table, .card { break-inside: avoid; }
  .scroll, .details, pre.hex { overflow: visible; }
  .details .layer, .details .field { white-space: pre-wrap; }
}
`;

export function page(title: string, body: string): string {
  // No script, no external resource: the Content-Security-Policy says so to the browser as well.
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}
