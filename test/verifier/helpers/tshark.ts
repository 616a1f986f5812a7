/**
 * tshark (Wireshark 4.0) as an independent reference: field extraction per frame, with ESP decryption through
 * `uat:esp_sa` entries (8 fields: family, src, dst, spi, encryption, key, authentication, auth key).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import type { FrameFactsLike } from './fixtures';

export interface TsharkSa { v6: boolean; src: string; dst: string; spi: number | '*'; key: string /* 40 hex */; null?: boolean; authKey?: string }

export function espSaUat(sa: TsharkSa): string {
  const spi = sa.spi === '*' ? '*' : `0x${sa.spi.toString(16).padStart(8, '0')}`;
  const enc = sa.null ? 'NULL' : 'AES-GCM with 16 octet ICV [RFC4106]';
  const auth = sa.null ? 'HMAC-SHA-256-128 [RFC4868]' : 'NULL';
  const authKey = sa.null ? `0x${sa.authKey ?? sa.key}` : '';
  const key = sa.null ? '' : `0x${sa.key}`;
  return `uat:esp_sa:"${sa.v6 ? 'IPv6' : 'IPv4'}","${sa.src}","${sa.dst}","${spi}","${enc}","${key}","${auth}","${authKey}"`;
}

/** Options every comparison uses: 8472 is VXLAN, no IP reassembly (frames stay frames). */
export const BASE_OPTS = ['-d', 'udp.port==8472,vxlan', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE',
  '-o', 'esp.do_esp_sequence_analysis:FALSE'];

export function decryptOpts(sas: TsharkSa[]): string[] {
  if (sas.length === 0) return [];
  const o = ['-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE'];
  for (const sa of sas) o.push('-o', espSaUat(sa));
  return o;
}

export interface TsharkFrame {
  frame: number;
  ip4: { src: string; dst: string }[];
  ip6: { src: string; dst: string }[];
  /** every ESP header tshark saw (outermost first) */
  esp: { spi: number; seq: number }[];
  icvGood: boolean[];
  icvBad: boolean[];
  /** frame.protocols reduced to the layers both sides name (see coreLayers) */
  layers: string;
}

/** The layer names tshark and we share: eth vlan sll ipv4 ipv6 udp tcp icmp icmpv6 vxlan geneve esp. */
const CORE: Record<string, string> = {
  eth: 'eth', vlan: 'vlan', ieee8021ad: 'vlan', sll: 'sll', sll2: 'sll', ip: 'ipv4', ipv4: 'ipv4', ipv6: 'ipv6', udp: 'udp', tcp: 'tcp',
  icmp: 'icmp', icmpv6: 'icmpv6', vxlan: 'vxlan', geneve: 'geneve', esp: 'esp',
};
export function coreLayers(path: string, sep: string): string {
  return path.split(sep).map((x) => CORE[x]).filter(Boolean).join('/');
}

const FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'esp.spi', 'esp.sequence', 'esp.icv_good', 'esp.icv_bad', 'frame.protocols'];

/** `bare`: no -d/-o of ours (to see what a configuration directory alone does). */
export function tsharkFrames(file: string, extra: string[] = [], env?: NodeJS.ProcessEnv, bare = false): TsharkFrame[] {
  const args = ['-n', '-r', file, ...(bare ? [] : BASE_OPTS), ...extra, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 120_000, env: env ?? process.env });
  // a capture cut short at the end: tshark prints the whole frames, then exits 2 saying so
  const cutShort = r.status === 2 && /cut short in the middle of a packet/.test(r.stderr ?? '');
  if (r.status !== 0 && !cutShort) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const split = (s: string | undefined) => (s ? s.split(',') : []);
  return r.stdout.split('\n').filter((l) => l !== '').map((line) => {
    const c = line.split('\t');
    const pair = (a: string[], b: string[]) => a.map((src, i) => ({ src, dst: b[i] }));
    const spis = split(c[5]).map((x) => Number(x));
    const seqs = split(c[6]).map((x) => Number(x));
    return {
      frame: Number(c[0]),
      ip4: pair(split(c[1]), split(c[2])),
      ip6: pair(split(c[3]), split(c[4])),
      esp: spis.map((spi, i) => ({ spi, seq: seqs[i] })),
      icvGood: split(c[7]).map((x) => x === '1' || x === 'True'),
      icvBad: split(c[8]).map((x) => x === '1' || x === 'True'),
      layers: coreLayers(c[9] ?? '', ':'),
    };
  });
}

export function tsharkVersion(): string {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n')[0];
}

/** One WireGuard message as tshark's wg dissector reads it (Wireshark decodes 51820 by default; Cilium uses 51871). */
export interface TsharkWg { type: number; sender?: number; receiver?: number; counter?: number }

export function tsharkWg(file: string): Map<number, TsharkWg> {
  const args = ['-n', '-r', file, '-d', 'udp.port==51871,wg', '-T', 'fields', '-E', 'separator=\t',
    '-e', 'frame.number', '-e', 'wg.type', '-e', 'wg.sender', '-e', 'wg.receiver', '-e', 'wg.counter'];
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `tshark ${args.join(' ')}: ${r.stderr}`);
  const out = new Map<number, TsharkWg>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [frame, type, sender, receiver, counter] = line.split('\t');
    if (type === '') continue;
    const w: TsharkWg = { type: Number(type) };
    if (sender) w.sender = Number(sender);
    if (receiver) w.receiver = Number(receiver);
    if (counter) w.counter = Number(counter);
    out.set(Number(frame), w);
  }
  return out;
}

/** Our IP headers of one version in a frame, as src>dst. */
export const ipPairs = (f: FrameFactsLike | undefined, v: 4 | 6) => (f?.ips ?? []).filter((h) => h.version === v).map((h) => `${h.src}>${h.dst}`);
export const tpairs = (t: TsharkFrame, v: 4 | 6) => (v === 4 ? t.ip4 : t.ip6).map((h) => `${h.src}>${h.dst}`);

/** Compares one frame; returns mismatches. `nullEsp`: ours may stop at the ESP carrier or go on like tshark's heuristic. */
export function compareFrame(t: TsharkFrame, o: FrameFactsLike | undefined, nullEsp: boolean): string[] {
  const bad: string[] = [];
  for (const v of [4, 6] as const) {
    const theirs = tpairs(t, v);
    const ours = ipPairs(o, v);
    const same = JSON.stringify(theirs) === JSON.stringify(ours);
    const prefixOk = nullEsp && JSON.stringify(theirs.slice(0, ours.length)) === JSON.stringify(ours) && ours.length > 0;
    if (!same && !prefixOk) bad.push(`frame ${t.frame}: IPv${v} tshark ${JSON.stringify(theirs)} ours ${JSON.stringify(ours)}`);
  }
  // the encapsulation path: tshark's frame.protocols and our layers, on the layer names both use
  const ourLayers = coreLayers(o?.layers ?? '', '/');
  const nullPrefix = nullEsp && t.layers.startsWith(ourLayers) && ourLayers.endsWith('esp');
  if (ourLayers !== t.layers && !nullPrefix) bad.push(`frame ${t.frame}: layers tshark ${t.layers} ours ${ourLayers} (${o?.layers})`);
  const tEsp = t.esp[0];
  const oEsp = o?.esp;
  if (Boolean(tEsp) !== Boolean(oEsp) || (tEsp && oEsp && (tEsp.spi !== oEsp.spi || tEsp.seq !== oEsp.seq))) {
    bad.push(`frame ${t.frame}: ESP tshark ${JSON.stringify(tEsp)} ours ${JSON.stringify(oEsp && { spi: oEsp.spi, seq: oEsp.seq })}`);
  }
  return bad;
}
