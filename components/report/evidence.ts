/**
 * What the page reads from a verifier Report beyond its core fields. A stack output recorded by an earlier
 * verifier can lack the timeline, samples, per-SA times, cleartext windows, WireGuard and rotation evidence: the
 * page still renders it, with those sections saying what is missing. Everything is read defensively because
 * recorded outputs are plain JSON.
 */
import type { Report, TimeWindow } from '../verifier/report';

export const CLASSES = ['esp', 'wireguard', 'podCleartext', 'host', 'other'] as const;
export type TrafficClass = (typeof CLASSES)[number];

export const CLASS_LABEL: Record<TrafficClass, string> = {
  esp: 'ESP (IPsec)', wireguard: 'WireGuard', podCleartext: 'pod traffic in cleartext', host: 'node and host traffic', other: 'other',
};
/** Colours with a meaning: encrypted greens, cleartext red, the rest greys (and distinct in grey print). */
export const CLASS_COLOR: Record<TrafficClass, string> = {
  esp: '#1a7f37', wireguard: '#0e7490', podCleartext: '#cf222e', host: '#6e7781', other: '#afb8c1',
};

// The verifier's own types: a renamed field is a compile error here, not a blank section on the page.
export type Timeline = Report['timeline'];
/** A span of capture time, seconds since the epoch. */
export interface Span { start: number; end: number }

/** A Report as the page reads it: the fields an older recorded stack output may lack are optional. */
export type EvidenceReport = Omit<Report, 'timeline' | 'wireguard' | 'cleartext'> & {
  cleartext: Omit<Report['cleartext'], 'windows'> & { windows?: TimeWindow[] };
  timeline?: Timeline;
  wireguard?: Report['wireguard'];
};

/** Totals per class over the timeline (undefined without one). */
export function classTotals(t: Timeline | undefined): Record<TrafficClass, number> | undefined {
  if (!t || !Array.isArray(t.buckets)) return undefined;
  const out = { esp: 0, wireguard: 0, podCleartext: 0, host: 0, other: 0 };
  for (const b of t.buckets) for (const c of CLASSES) out[c] += Number(b.counts?.[c] ?? 0);
  return out;
}

/**
 * The span in which the lab's traffic crossed the wire: from the first to the last packet of an ESP SA or a
 * WireGuard peer or a cleartext pod window. Undefined when the report carries no times.
 */
export function trafficWindow(r: EvidenceReport): Span | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const f of r.esp.flows) if (typeof f.firstTime === 'number' && typeof f.lastTime === 'number') { starts.push(f.firstTime); ends.push(f.lastTime); }
  for (const f of r.wireguard?.flows ?? []) if (typeof f.firstTime === 'number' && typeof f.lastTime === 'number') { starts.push(f.firstTime); ends.push(f.lastTime); }
  for (const w of r.cleartext.windows ?? []) { starts.push(w.start); ends.push(w.end); }
  if (starts.length === 0) return undefined;
  return { start: Math.min(...starts), end: Math.max(...ends) };
}

/** Times at which a direction switched to the new SPI (the first packet with it), when given as times. */
export function switchovers(r: EvidenceReport): { time: number; label: string }[] {
  const out: { time: number; label: string }[] = [];
  for (const d of r.rotation?.directions ?? []) {
    // Times are seconds since the epoch; a small number would be a frame number, which the time axis cannot place.
    if (typeof d.firstNew === 'number' && d.firstNew > 1e8) out.push({ time: d.firstNew, label: `${d.src} → ${d.dst}: SPI ${r.rotation!.to}` });
  }
  return out;
}
