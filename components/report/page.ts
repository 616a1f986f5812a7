/**
 * The report page of one capture: verdict first, then the capture as pictures (timeline, paths, protocols),
 * the ESP SAs and WireGuard peers, one representative frame per class dissected as Wireshark shows it, the
 * capture facts and the command that reproduces the verdict. One HTML file, charts inlined as SVG.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameSample, Report } from '../verifier/report';
import { pathsSpec, protocolsSpec, renderSvg, timelineSpec, type PathRow } from './charts';
import { dissectFrame, type Dissection } from './dissect';
import {
  CLASSES, CLASS_LABEL, switchovers, trafficWindow, type EvidenceReport, type TrafficClass,
} from './evidence';
import { dissectionHtml, esc, isoTime, num, page, table } from './html';

export interface PageOptions {
  /** The capture file (shown in the title and the command). */
  capture?: string;
  /** The command line that reproduces the verdict. */
  command?: string;
  /** UDP ports decoded as VXLAN / Geneve for the dissection (the verifier's defaults otherwise). */
  vxlanPorts?: readonly number[];
  genevePorts?: readonly number[];
  wireguardPorts?: readonly number[];
  /** Shown in the footer (default: now). */
  generatedAt?: Date;
  /** A line under the title (e.g. the lab stack and run). */
  subtitle?: string;
  /** The lab's own judgement of this capture (pass and the failures), shown under the verdict. */
  judgement?: { pass: boolean; failures: string[] };
}

export const HEADLINE: Record<Report['verdict'], string> = {
  encrypted: 'pod-to-pod traffic crossed the wire only encrypted',
  cleartext: 'pod-to-pod traffic is readable on the wire',
  partial: 'encryption seen, but some pod-to-pod traffic is readable on the wire',
  inconclusive: 'neither encrypted nor pod-to-pod traffic: this capture proves nothing',
};

const LINK_TYPES: Record<number, string> = { 1: 'Ethernet', 101: 'raw IP', 113: 'Linux cooked v1 (SLL)', 276: 'Linux cooked v2 (SLL2)', 228: 'raw IPv4', 229: 'raw IPv6' };

export function linkTypeName(t: number): string {
  return `${LINK_TYPES[t] ?? 'link type'} (${t})`;
}

function spiText(spi: number): string {
  return `0x${(spi >>> 0).toString(16).padStart(8, '0')} (${spi})`;
}

/** Verdict, reasons and expectations: the top of the page. */
export function verdictHtml(r: Pick<Report, 'verdict' | 'reasons' | 'expect' | 'meetsExpectation' | 'expectationFailures'> & { rotation?: unknown }): string {
  const v = r.verdict in HEADLINE ? r.verdict : 'inconclusive';
  const out = [`<div class="verdict v-${esc(v)}"><div class="word">${esc(String(r.verdict).toUpperCase())}</div><div>${esc(HEADLINE[v])}</div></div>`];
  const failures = Array.isArray(r.expectationFailures) ? r.expectationFailures : [];
  if (r.expect !== undefined || failures.length > 0 || r.rotation !== undefined) {
    out.push(`<p>Expectations: <span class="${r.meetsExpectation ? 'met' : 'failed'}">${r.meetsExpectation ? 'met' : 'NOT met'}</span>${r.expect ? ` (expected ${esc(r.expect)})` : ''}</p>`);
    if (failures.length) out.push(`<ul>${failures.map((f) => `<li class="failed">${esc(f)}</li>`).join('')}</ul>`);
  } else {
    out.push('<p class="sub">No expectation given (--expect, --spi, --rotation, --endpoints): the verdict alone.</p>');
  }
  if (Array.isArray(r.reasons) && r.reasons.length) out.push(`<h3>Why</h3><ul>${r.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`);
  return out.join('\n');
}

/** Packets per encapsulation path: ESP SAs, WireGuard peers, cleartext pod flows and host flows. */
export function pathRows(r: EvidenceReport): PathRow[] {
  const byKey = new Map<string, PathRow>();
  const add = (paths: unknown, cls: TrafficClass, packets: number) => {
    if (!Array.isArray(paths) || paths.length === 0) return;
    // A flow seen on several paths counts once per path: the bar reads "packets of the flows via this path".
    for (const p of paths) {
      const k = `${cls}\0${String(p)}`;
      const row = byKey.get(k) ?? { path: String(p), cls, packets: 0 };
      row.packets += packets;
      byKey.set(k, row);
    }
  };
  for (const f of r.esp.flows) add(f.paths, 'esp', f.packets);
  for (const f of r.cleartext.flows) add(f.paths, 'podCleartext', f.packets);
  for (const f of r.cleartext.nodeTraffic?.flows ?? []) add(f.paths, 'host', f.packets);
  return [...byKey.values()];
}

/** Table rows shown at most per table (a capture with thousands of SAs still makes a small page). */
export const MAX_ROWS = 50;

function more(total: number, what: string): string {
  return total > MAX_ROWS ? `<p class="sub">${num(total - MAX_ROWS)} more ${what} not listed (largest first above).</p>` : '';
}

function espTable(r: EvidenceReport): string {
  const flows = [...r.esp.flows].sort((a, b) => b.packets - a.packets).slice(0, MAX_ROWS)
    .sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : a.spi - b.spi));
  const rows = flows.map((f) => [
    esc(f.src), esc(f.dst), esc(spiText(f.spi)), `<span class="n">${num(f.packets)}</span>`,
    `${num(f.firstSeq)}..${num(f.lastSeq)} ${f.seqIncreasing ? 'increasing' : `<span class="failed">not increasing (${num(f.seqDecreases)} decreases)</span>`}${f.seqRepeats ? `, ${num(f.seqRepeats)} repeated` : ''}`,
    f.firstTime !== undefined ? `${esc(isoTime(f.firstTime))}<br>${esc(isoTime(f.lastTime))}` : `frames ${num(f.firstFrame)}..${num(f.lastFrame)}`,
    `${num(f.sizes?.min)} / ${num(f.sizes?.mean)} / ${num(f.sizes?.max)}`,
    f.decryption ? (f.decryption.unsupported ? `not decrypted: ${esc(f.decryption.unsupported)}` : `<span class="${f.decryption.ok > 0 && f.decryption.failed === 0 ? 'met' : f.decryption.failed > 0 ? 'failed' : ''}">${num(f.decryption.ok)} ok / ${num(f.decryption.failed)} failed</span>${f.decryption.sa ? `<br><span class="sub">key: ${esc(f.decryption.sa)}</span>` : ''}`)
      : f.nullPackets ? `<span class="failed">${num(f.nullPackets)} NULL-encrypted (readable)</span>` : '<span class="sub">no key given</span>',
  ]);
  return table(['source', 'destination', 'SPI', 'packets', 'sequence numbers', 'first / last', 'size min / mean / max', 'decryption'], rows)
    + more(r.esp.flows.length, 'SAs');
}

function wireguardHtml(r: EvidenceReport): string {
  const wg = r.wireguard;
  if (!wg || !(wg.packets > 0 || (wg.invalid ?? 0) > 0)) return '';
  const all = wg.flows ?? [];
  const rows = [...all].sort((a, b) => Number(b.packets ?? 0) - Number(a.packets ?? 0)).slice(0, MAX_ROWS).map((f) => [
    esc(f.src), esc(f.dst), typeof f.receiverIndex === 'number' ? esc(`0x${(f.receiverIndex >>> 0).toString(16).padStart(8, '0')}`) : '-',
    num(f.packets),
    `${num(f.firstCounter)}..${num(f.lastCounter)}${f.counterIncreasing === false ? ` <span class="failed">not increasing (${num(f.counterDecreases)} decreases)</span>` : f.counterIncreasing ? ' increasing' : ''}${f.counterRepeats ? `, ${num(f.counterRepeats)} repeated` : ''}`,
    f.firstTime !== undefined ? `${esc(isoTime(f.firstTime))}<br>${esc(isoTime(f.lastTime))}` : '-',
    f.sizes ? `${num(f.sizes.min)} / ${num(f.sizes.mean)} / ${num(f.sizes.max)}` : '-']);
  return `<h2>WireGuard peers</h2><p>${num(wg.packets)} WireGuard messages${wg.ports ? ` on UDP ${esc(wg.ports.join(', '))}` : ''}: ${num(wg.dataPackets)} transport data (${num(wg.keepalives)} keepalives), ${num(wg.handshakes)} handshake messages, ${num(wg.cookieReplies)} cookie replies${wg.invalid ? `; <span class="failed">${num(wg.invalid)} datagrams on the port are not valid messages</span>` : ''}.</p>`
    + table(['source', 'destination', 'receiver index', 'transport data', 'counters', 'first / last', 'size min / mean / max'], rows) + more(all.length, 'peers');
}

function rotationHtml(r: EvidenceReport): string {
  const rot = r.rotation;
  if (!rot) return '';
  const rows = (rot.directions ?? []).map((d) => [esc(d.src), esc(d.dst), `${num(d.oldPackets)} / ${num(d.newPackets)}`, esc(timeOrNumber(d.lastOld)),
    esc(timeOrNumber(d.firstNew)), num(d.oldAfterSwitch), d.switched === undefined ? '-' : d.switched ? '<span class="met">yes</span>' : '<span class="failed">no</span>']);
  const windows = rot.cleartextWindows ?? [];
  return `<h2>Key rotation: SPI ${esc(rot.from)} → ${esc(rot.to)}</h2>`
    + (rot.met !== undefined ? `<p>Rotation expectation: <span class="${rot.met ? 'met' : 'failed'}">${rot.met ? 'met' : 'NOT met'}</span></p>` : '')
    + (rot.failures?.length ? `<ul>${rot.failures.map((f) => `<li class="failed">${esc(f)}</li>`).join('')}</ul>` : '')
    + table(['source', 'destination', `packets SPI ${rot.from} / ${rot.to}`, `last packet with SPI ${rot.from}`, `first packet with SPI ${rot.to}`, 'old-SPI packets after the switch', 'switched'], rows)
    + `<p>Cleartext pod windows during the rotation: ${windows.length === 0 ? '<span class="met">none</span>' : `<span class="failed">${windows.length}</span>`}</p>`
    + (windows.length ? table(['start', 'end', 'packets'], windows.map((w) => [esc(isoTime(w.start)), esc(isoTime(w.end)), num(w.packets)])) : '');
}

function timeOrNumber(v: unknown): string {
  if (typeof v !== 'number') return '-';
  return v > 1e8 ? isoTime(v) : `frame ${v}`;
}

function podTable(r: EvidenceReport): string {
  const c = r.cleartext;
  const flows = c.flows.slice(0, 20).map((f) => [esc(f.src), esc(f.dst), esc(f.protocol), num(f.packets), `${num(f.firstFrame)}..${num(f.lastFrame)}`, esc(f.paths.join(', '))]);
  let s = `<p>${c.podPackets === 0 ? '<span class="met">0</span>' : `<span class="failed">${num(c.podPackets)}</span>`} cleartext pod-to-pod packets (${c.pods ? `pods ${esc(c.pods.join(', '))}` : `pod ranges ${esc(c.podCidrs.join(', '))}`}).</p>`;
  if (flows.length) s += table(['source', 'destination', 'protocol', 'packets', 'frames', 'path'], flows);
  if (c.flows.length > 20) s += `<p class="sub">${c.flows.length - 20} more flows not listed.</p>`;
  if (c.windows && c.windows.length) {
    s += '<h3>Cleartext windows</h3>' + table(['start', 'end', 'packets'], c.windows.slice(0, 20).map((w) => [esc(isoTime(w.start)), esc(isoTime(w.end)), num(w.packets)]));
  }
  const nt = c.nodeTraffic;
  if (nt) s += `<p>Host traffic to or from the ESP endpoints in the pod range (${esc(nt.addresses.join(', '))}): ${num(nt.packets)} packets, not pod-to-pod.</p>`;
  if (r.nonce) {
    s += `<p>Nonce <code>${esc(r.nonce.text)}</code>: ${r.nonce.hits === 0 ? '<span class="met">never</span>' : `<span class="failed">${num(r.nonce.hits)} frames</span>`} in cleartext${r.nonce.frames.length ? ` (frames ${esc(r.nonce.frames.slice(0, 10).join(', '))})` : ''}; ${num(r.nonce.decryptedHits)} frames carry it inside decrypted ESP.</p>`;
  }
  return s;
}

/** One representative frame per class, from the report's samples. */
export function sampleDissections(r: EvidenceReport, opts: Pick<PageOptions, 'vxlanPorts' | 'genevePorts' | 'wireguardPorts'> = {}): { sample: FrameSample; dissection: Dissection }[] {
  const out: { sample: FrameSample; dissection: Dissection }[] = [];
  const seen = new Set<string>();
  for (const s of Array.isArray(r.samples) ? r.samples : []) {
    if (seen.has(s.class) || typeof s.dataHex !== 'string') continue;
    seen.add(s.class);
    const nh = s.innerProto;
    const plaintext = s.plaintextHex && nh !== undefined ? { data: Buffer.from(s.plaintextHex, 'hex'), nextHeader: nh } : undefined;
    out.push({ sample: s, dissection: dissectFrame({
      frame: s.frame, linkType: s.linkType, data: Buffer.from(s.dataHex, 'hex'), origLen: s.origLen, time: s.time, plaintext,
      nonce: r.nonce?.text, vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts, wireguardPorts: opts.wireguardPorts,
    }) });
  }
  // The classes in the page's order.
  const rank = (c: string) => { const i = (CLASSES as readonly string[]).indexOf(c); return i < 0 ? CLASSES.length : i; };
  return out.sort((a, b) => rank(a.sample.class) - rank(b.sample.class));
}

function samplesHtml(r: EvidenceReport, opts: PageOptions): string {
  if (!Array.isArray(r.samples)) return '<p class="none">This report carries no sample frames (produced without samples).</p>';
  const ds = sampleDissections(r, opts);
  if (ds.length === 0) return '<p class="none">No frames in the capture.</p>';
  return ds.map(({ sample, dissection }) => {
    const label = CLASS_LABEL[sample.class as TrafficClass] ?? sample.class;
    // For a decrypted ESP sample, nonceFound is about the plaintext: proof the ESP carried the traffic, not a leak.
    const note = sample.plaintextHex
      ? ` — decrypted with the key given${sample.nonceFound ? '; <span class="met">the nonce is inside</span>' : ''}`
      : sample.nonceFound ? ' — <span class="failed">the nonce is readable on the wire in this frame</span>' : '';
    return `<div class="frame"><h3>${esc(label)}: frame ${num(sample.frame)}${note}</h3>${dissectionHtml(dissection)}</div>`;
  }).join('\n');
}

function factsHtml(r: EvidenceReport): string {
  const c = r.capture;
  const rows: [string, string][] = [
    ['format', `${esc(c.format)}${c.gzip ? ' (gzip)' : ''}`],
    ['link types', esc(c.linkTypes.map(linkTypeName).join(', ') || 'none')],
    ['frames', num(r.frames)],
    ['bytes captured', num(r.bytes)],
    ['cut short at the end', c.truncated ? '<span class="failed">yes</span>' : 'no'],
    ['decode', `${num(r.decode.truncatedFrames)} truncated, ${num(r.decode.malformedFrames)} malformed, ${num(r.decode.fragments)} later IP fragments, ${num(r.decode.unsupportedLinkTypeFrames)} of unsupported link types`],
  ];
  if (r.decryption) rows.push(['decryption', `${num(r.decryption.ok)} ok, ${num(r.decryption.failed)} failed, ${num(r.decryption.noKey)} without key (${num(r.decryption.sas)} SAs known)`]);
  let s = `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
  s += `<h3>Warnings</h3>${r.warnings.length ? `<ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '<p class="none">none</p>'}`;
  return s;
}

async function chart(spec: Parameters<typeof renderSvg>[0], label: string): Promise<string> {
  return `<figure class="chart" aria-label="${esc(label)}">${await renderSvg(spec)}</figure>`;
}

/** The whole page as a string. */
export async function renderReportPage(report: Report | EvidenceReport, opts: PageOptions = {}): Promise<string> {
  const r = report as EvidenceReport;
  const name = opts.capture ? path.basename(opts.capture) : 'capture';
  const parts: string[] = [];
  parts.push(`<header><h1>Capture report: ${esc(name)}</h1>${opts.subtitle ? `<div class="sub">${esc(opts.subtitle)}</div>` : ''}</header>`);
  parts.push(verdictHtml(r));
  if (opts.judgement) {
    const j = opts.judgement;
    parts.push(`<p>Lab verification: <span class="${j.pass ? 'met' : 'failed'}">${j.pass ? 'PASS' : 'FAIL'}</span></p>`
      + (j.failures.length ? `<ul>${j.failures.map((f) => `<li class="failed">${esc(f)}</li>`).join('')}</ul>` : ''));
  }

  parts.push('<h2>Timeline</h2>');
  if (r.timeline && Array.isArray(r.timeline.buckets) && r.timeline.buckets.length > 0) {
    const window = trafficWindow(r);
    const sw = switchovers(r);
    parts.push(await chart(timelineSpec(r.timeline, { window, switchovers: sw }), 'timeline'));
    parts.push(`<p class="sub">${r.timeline.buckets.length} buckets of ${esc(r.timeline.bucketSeconds)} s${window ? `; shaded: the traffic window ${esc(isoTime(window.start))} – ${esc(isoTime(window.end))}` : ''}${sw.length ? '; dashed: key rotation switchover' : ''}.</p>`);
  } else {
    parts.push(`<p class="none">${r.frames === 0 ? 'The capture has no frames.' : 'This report carries no timeline (produced by a verifier without one).'}</p>`);
  }

  parts.push('<h2>Encapsulation paths and protocols</h2><div class="charts">');
  const pr = pathRows(r);
  if (pr.length) parts.push(await chart(pathsSpec(pr), 'encapsulation paths'));
  else parts.push('<p class="none">No ESP, WireGuard or pod flows: no path to show.</p>');
  if (Object.keys(r.protocols).length) parts.push(await chart(protocolsSpec(r.protocols), 'protocols'));
  parts.push('</div>');

  parts.push(`<h2>ESP security associations</h2><p>${num(r.esp.packets)} ESP packets, SPIs ${esc(r.esp.spis.map(spiText).join(', ') || 'none')}${r.esp.inUdp ? `, ${num(r.esp.inUdp)} in UDP 4500` : ''}${r.esp.nullPackets ? `, <span class="failed">${num(r.esp.nullPackets)} NULL-encrypted</span>` : ''}.</p>`);
  parts.push(espTable(r));
  parts.push(wireguardHtml(r));
  parts.push(rotationHtml(r));
  parts.push('<h2>Pod traffic in cleartext</h2>', podTable(r));
  parts.push('<h2>Representative frames</h2><p class="sub">One frame per class, as Wireshark\'s packet details show it; the nonce is marked in the bytes.</p>', samplesHtml(r, opts));
  parts.push('<h2>Capture</h2>', factsHtml(r));
  const command = opts.command ?? `npm run verify -- ${opts.capture ?? 'CAPTURE'}`;
  parts.push('<h2>Reproduce</h2><pre class="cmd">' + esc(command) + '</pre>');
  parts.push(`<footer>Generated ${esc((opts.generatedAt ?? new Date()).toISOString())} by the capture verifier of cilium-ipsec-lab.</footer>`);
  return page(`${String(r.verdict).toUpperCase()}: ${name}`, parts.join('\n'));
}

/** Writes the page; returns its size in bytes. */
export async function writeReportPage(file: string, report: Report | EvidenceReport, opts: PageOptions = {}): Promise<number> {
  const html = await renderReportPage(report, opts);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, html);
  return Buffer.byteLength(html);
}
