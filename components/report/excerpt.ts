/**
 * The representative-frame excerpt of the CLI's text summary: for each class the report has a sample of, the
 * frame as tshark -V prints it (layer lines and their fields), then the payload bytes with the nonce marked.
 * What a terminal user would otherwise open Wireshark for.
 */
import { CLASS_LABEL, type EvidenceReport, type TrafficClass } from './evidence';
import { sampleDissections } from './page';
import { dissectionText } from './text';
import type { Report } from '../verifier/report';

export function frameExcerpt(report: Report | EvidenceReport, opts: { vxlanPorts?: readonly number[]; genevePorts?: readonly number[]; wireguardPorts?: readonly number[]; hexLimit?: number } = {}): string {
  const ds = sampleDissections(report as EvidenceReport, opts);
  if (ds.length === 0) return '';
  const out: string[] = ['representative frames:'];
  for (const { sample, dissection } of ds) {
    out.push(`  ${CLASS_LABEL[sample.class as TrafficClass] ?? sample.class}:`);
    for (const l of dissectionText(dissection, { hexLimit: opts.hexLimit ?? 64, compact: true })) out.push(l === '' ? '' : `    ${l}`);
    out.push('');
  }
  return out.join('\n');
}
