/**
 * The text formatter, the CLI's default output: the verdict and why first, then what was seen (ESP SAs, cleartext
 * pod flows, nonce, decryption), then warnings, then one representative frame per class as tshark -V prints it
 * (layer lines and the fields people look for) with the payload bytes and the nonce marked: what a terminal user
 * would otherwise open Wireshark for. Plain text, no colours, stable line order.
 */
import { CLASS_LABEL, type TrafficClass } from '../../report/evidence';
import { sampleDissections } from '../../report/page';
import { dissectionText } from '../../report/text';
import type { PortOptions } from '../../verifier/decode/ports';
import { isoTime } from '../../verifier/report';
import type { Report } from '../../verifier/report';

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function rec(r: Record<string, number>): string {
  const e = Object.entries(r).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([k, v]) => `${k} ${n(v)}`).join(', ') : 'none';
}

const HEADLINE: Record<Report['verdict'], string> = {
  encrypted: 'ENCRYPTED: pod-to-pod traffic crossed the wire only inside ESP or WireGuard',
  cleartext: 'CLEARTEXT: pod-to-pod traffic is readable on the wire',
  partial: 'PARTIAL: encryption seen, but some pod-to-pod traffic is readable on the wire',
  inconclusive: 'INCONCLUSIVE: neither encryption nor pod-to-pod traffic: this capture proves nothing',
};

export function formatReport(r: Report): string {
  const out: string[] = [];
  out.push(`verdict: ${HEADLINE[r.verdict]}`);
  if (r.expect !== undefined || r.rotation !== undefined || r.expectationFailures.length > 0) {
    out.push(`expectation: ${r.meetsExpectation ? 'met' : 'NOT met'}${r.expect ? ` (expected ${r.expect})` : ''}`);
  }
  out.push('why:');
  for (const reason of r.reasons) out.push(`  - ${reason}`);

  const c = r.capture;
  out.push('');
  out.push(`capture: ${n(r.frames)} frames, ${n(r.bytes)} bytes, ${c.format}${c.gzip ? ' (gzip)' : ''}, link types ${c.linkTypes.join(', ') || 'none'}${c.truncated ? ', cut short at the end' : ''}`);
  out.push(`protocols (frames): ${rec(r.protocols)}`);
  if (r.decode.fragments || r.decode.truncatedFrames || r.decode.malformedFrames) {
    out.push(`decode: ${n(r.decode.fragments)} later IP fragments, ${n(r.decode.truncatedFrames)} truncated, ${n(r.decode.malformedFrames)} malformed frames`);
  }

  out.push('');
  out.push(`ESP: ${n(r.esp.packets)} packets${r.esp.nullPackets ? ` (${n(r.esp.nullPackets)} NULL-encrypted)` : ''}, SPIs ${r.esp.spis.join(', ') || 'none'}${r.esp.inUdp ? `, ${n(r.esp.inUdp)} in UDP 4500` : ''}`);
  for (const f of r.esp.flows) {
    out.push(`  ${f.src} -> ${f.dst} SPI ${f.spi} (0x${f.spi.toString(16).padStart(8, '0')}): ${n(f.packets)} packets, seq ${f.firstSeq}..${f.lastSeq}`
      + `${f.seqIncreasing ? ' increasing' : ` NOT increasing (${f.seqDecreases} decreases)`}${f.seqRepeats ? `, ${f.seqRepeats} repeated` : ''}`
      + `, size ${f.sizes.min}/${f.sizes.mean}/${f.sizes.max} (min/mean/max)`
      + (f.decryption ? `, decrypted ${f.decryption.ok} ok / ${f.decryption.failed} failed` : '')
      + (f.nullPackets ? `, ${f.nullPackets} NULL-encrypted` : ''));
    for (const p of f.paths) out.push(`      via ${p}`);
  }

  const wg = r.wireguard;
  if (wg && (wg.packets > 0 || wg.invalid > 0)) {
    out.push('');
    out.push(`WireGuard (UDP ${wg.ports.join(', ')}): ${n(wg.packets)} messages, ${n(wg.dataPackets)} transport data (${n(wg.keepalives)} keepalives), ${n(wg.handshakes)} handshake, ${n(wg.cookieReplies)} cookie reply${wg.invalid ? `, ${n(wg.invalid)} NOT valid WireGuard` : ''}`);
    for (const f of wg.flows.slice(0, 40)) {
      out.push(`  ${f.src} -> ${f.dst} receiver ${f.receiverIndex} (0x${f.receiverIndex.toString(16).padStart(8, '0')}): ${n(f.packets)} packets, counter ${f.firstCounter}..${f.lastCounter}`
        + `${f.counterIncreasing ? ' increasing' : ` NOT increasing (${f.counterDecreases} decreases)`}${f.counterRepeats ? `, ${f.counterRepeats} repeated` : ''}`
        + `, ${isoTime(f.firstTime)} .. ${isoTime(f.lastTime)}, size ${f.sizes.min}/${f.sizes.mean}/${f.sizes.max}`);
    }
  }

  out.push('');
  out.push(`cleartext pod-to-pod: ${n(r.cleartext.podPackets)} packets (${r.cleartext.pods ? `pods ${r.cleartext.pods.join(', ')}` : `pod CIDRs ${r.cleartext.podCidrs.join(', ')}`})${r.cleartext.podPackets ? `: ${rec(r.cleartext.byProtocol)}` : ''}`);
  for (const f of r.cleartext.flows.slice(0, 20)) {
    out.push(`  ${f.src} -> ${f.dst} ${f.protocol}: ${n(f.packets)} packets (frames ${f.firstFrame}..${f.lastFrame}) via ${f.paths.join(', ')}`);
  }
  if (r.cleartext.flows.length > 20) out.push(`  ... ${r.cleartext.flows.length - 20} more flows`);
  const windows = r.cleartext.windows ?? [];
  if (windows.length > 0) {
    out.push(`  seen in ${windows.length} time window(s) (gaps over 1 s): ${windows.slice(0, 5).map((w) => `${isoTime(w.start)} .. ${isoTime(w.end)} (${n(w.packets)})`).join(', ')}${windows.length > 5 ? ', ...' : ''}`);
  }
  const nt = r.cleartext.nodeTraffic;
  if (nt) {
    out.push(`host traffic to/from ESP endpoints in the pod range (${nt.addresses.join(', ')}): ${n(nt.packets)} packets, not pod-to-pod`);
    for (const f of nt.flows.slice(0, 10)) out.push(`  ${f.src} -> ${f.dst} ${f.protocol}: ${n(f.packets)} packets via ${f.paths.join(', ')}`);
  }

  const rot = r.rotation;
  if (rot) {
    out.push('');
    out.push(`rotation SPI ${rot.from} -> ${rot.to}: ${rot.met ? 'proven' : 'NOT proven'}`);
    const t = (x: number | null) => (x === null ? 'never' : isoTime(x));
    for (const d of rot.directions) {
      out.push(`  ${d.src} -> ${d.dst}: ${d.switched ? 'switched' : 'NOT switched'}; ${n(d.oldPackets)} old, ${n(d.newPackets)} new; last old ${t(d.lastOld)}, first new ${t(d.firstNew)}; ${n(d.oldAfterSwitch)} old after the switch`);
    }
    for (const w of rot.cleartextWindows.slice(0, 10)) out.push(`  cleartext window ${isoTime(w.start)} .. ${isoTime(w.end)}: ${n(w.packets)} pod packets`);
  }
  if (r.nonce) {
    out.push('');
    out.push(`nonce "${r.nonce.text}": ${n(r.nonce.hits)} frames in cleartext${r.nonce.frames.length ? ` (frames ${r.nonce.frames.slice(0, 10).join(', ')})` : ''}, ${n(r.nonce.decryptedHits)} inside decrypted ESP`);
  }
  if (r.decryption) {
    const d = r.decryption;
    out.push('');
    out.push(`decryption (${d.sas} SAs known): ${n(d.ok)} ok, ${n(d.failed)} failed ICV, ${n(d.noKey)} without key`);
    out.push(`  inside ESP: ${n(d.inner.podPackets)} pod-to-pod packets${d.inner.podPackets ? ` (${rec(d.inner.byProtocol)})` : ''}; layers ${rec(d.inner.protocols)}`);
    for (const f of d.inner.flows.slice(0, 20)) {
      out.push(`  ${f.src} -> ${f.dst} ${f.protocol}: ${n(f.packets)} packets via ${f.paths.join(', ')}`);
    }
  }

  if (r.warnings.length) {
    out.push('');
    out.push('warnings:');
    for (const w of r.warnings) out.push(`  - ${w}`);
  }
  return out.join('\n') + '\n';
}

/** The representative frames of the report's samples, dissected (empty when it has none). */
export function frameExcerpt(report: Report, opts: PortOptions & { hexLimit?: number } = {}): string {
  const ds = sampleDissections(report, opts);
  if (ds.length === 0) return '';
  const out: string[] = ['representative frames:'];
  for (const { sample, dissection } of ds) {
    out.push(`  ${CLASS_LABEL[sample.class as TrafficClass] ?? sample.class}:`);
    for (const l of dissectionText(dissection, { hexLimit: opts.hexLimit ?? 64, compact: true })) out.push(l === '' ? '' : `    ${l}`);
    out.push('');
  }
  return out.join('\n');
}

/** The summary and, when the report carries samples, the frame excerpt; `ports` decode the samples as the run did. */
export function formatText(report: Report, ports: PortOptions = {}): string {
  const excerpt = frameExcerpt(report, ports);
  return formatReport(report) + (excerpt ? `\n${excerpt}` : '');
}
