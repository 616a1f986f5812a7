/**
 * What the page reads from a verifier Report beyond its core fields. The timeline, samples, per-SA times,
 * cleartext windows, WireGuard and rotation evidence are newer Report fields: a report without them (an older
 * recorded stack output) still renders, with those sections saying what is missing. Everything is read
 * defensively because recorded outputs are plain JSON.
 */
import type { Report } from '../verifier/report';

export const CLASSES = ['esp', 'wireguard', 'podCleartext', 'host', 'other'] as const;
export type TrafficClass = (typeof CLASSES)[number];

export const CLASS_LABEL: Record<TrafficClass, string> = {
  esp: 'ESP (IPsec)', wireguard: 'WireGuard', podCleartext: 'pod traffic in cleartext', host: 'node and host traffic', other: 'other',
};
/** Colours with a meaning: encrypted greens, cleartext red, the rest greys (and distinct in grey print). */
export const CLASS_COLOR: Record<TrafficClass, string> = {
  esp: '#1a7f37', wireguard: '#0e7490', podCleartext: '#cf222e', host: '#6e7781', other: '#afb8c1',
};

export interface TimelineBucket { start: number; counts: Partial<Record<TrafficClass, number>> }
export interface Timeline { bucketSeconds: number; buckets: TimelineBucket[] }

export interface Sample {
  class: string;
  frame: number;
  /** Seconds since the epoch. */
  time: number;
  linkType: number;
  origLen: number;
  dataHex: string;
  /** The decrypted ESP payload, when decryption succeeded. */
  plaintextHex?: string;
  /** Next header of the decrypted payload (IP protocol number, or a name such as "ipv4"). */
  innerProto?: number | string;
  nonceFound?: boolean;
}

export interface TimeWindow { start: number; end: number; packets?: number }

export interface WireguardFlow {
  src: string; dst: string; receiverIndex?: number; packets?: number; firstCounter?: number; lastCounter?: number;
  counterIncreasing?: boolean; counterDecreases?: number; counterRepeats?: number;
  firstTime?: number; lastTime?: number; sizes?: { min: number; max: number; mean: number };
  [k: string]: unknown;
}
export interface WireguardEvidence {
  ports?: number[]; packets: number; dataPackets?: number; keepalives?: number; handshakes?: number; cookieReplies?: number;
  invalid?: number; flows?: WireguardFlow[];
}

export interface RotationDirection {
  src: string; dst: string; oldPackets?: number; newPackets?: number;
  /** Capture times (seconds since the epoch) of the last old-SPI and the first new-SPI packet; null when none. */
  lastOld?: number | null; firstNew?: number | null; oldAfterSwitch?: number; switched?: boolean;
}
export interface RotationEvidence { from: number; to: number; met?: boolean; directions: RotationDirection[]; cleartextWindows?: TimeWindow[]; failures?: string[] }

export type EspFlowWithTimes = Report['esp']['flows'][number] & { firstTime?: number; lastTime?: number };

/** A Report as the page reads it: the newer evidence fields optional. */
export type EvidenceReport = Omit<Report, 'esp' | 'cleartext'> & {
  esp: Omit<Report['esp'], 'flows'> & { flows: EspFlowWithTimes[] };
  cleartext: Report['cleartext'] & { windows?: TimeWindow[] };
  timeline?: Timeline;
  samples?: Sample[];
  wireguard?: WireguardEvidence;
  rotation?: RotationEvidence;
};

const IP_PROTO_BY_NAME: Record<string, number> = { ipv4: 4, ipip: 4, ipv6: 41, tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

/** The ESP trailer's next header for a sample's innerProto (a number or a name). */
export function innerNextHeader(p: number | string | undefined): number | undefined {
  if (typeof p === 'number') return p;
  if (typeof p === 'string') return IP_PROTO_BY_NAME[p.toLowerCase()] ?? (/^\d+$/.test(p) ? Number(p) : undefined);
  return undefined;
}

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
export function trafficWindow(r: EvidenceReport): TimeWindow | undefined {
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
