/**
 * The analyzer: decodes every frame into a reused layer stack and feeds it to one small collector per kind of
 * evidence (decode statistics, ESP per SA, WireGuard per peer, cleartext pod traffic, pod traffic inside ESP,
 * nonce, timeline, samples); at the end the
 * collectors' findings become a Report, and the verdict (./verdict.ts) judges them, never the frames.
 *
 * Hot path rules (addFrame and every collector's per-frame method): no strings, closures or exceptions per frame;
 * flows are keyed by numbers (nested Maps on the 32-bit addresses and the SPI) and their text is formatted once,
 * when the flow is first seen. Anything that allocates per frame (FrameFacts) runs only when asked for.
 */
import type { CaptureSummary, Frame } from '../capture/types';
import { PacketDecoder } from '../decode/decoder';
import { L, LayerStack } from '../decode/layers';
import { KeySpec, SaTable } from '../crypto/sa';
import type { Report } from '../report';
import { AddressMatcher, normalizeAddress } from './addr';
import { DecodeStats } from './decode-stats';
import { ESP_DECRYPTED, ESP_FAILED, ESP_NULL, EspCollector } from './esp-collector';
import { MAX_TRACKED_FLOWS } from './flow-table';
import { frameFacts } from './frame-facts';
import { NonceCollector } from './nonce-collector';
import { PathNames } from './paths';
import { PodCollector } from './pod-collector';
import { RotationCollector } from './rotation-collector';
import { SampleCollector } from './sample-collector';
import { C_ESP, C_HOST, C_OTHER, C_WIREGUARD, TimelineCollector } from './timeline';
import { WireguardCollector } from './wireguard-collector';
import { withDefaults, type AnalyzerOptions } from './options';
import { judgeFindings, type Findings } from './verdict';

export type { Report, Verdict } from '../report';
export type { FrameFacts } from './frame-facts';
export { MAX_TRACKED_FLOWS } from './flow-table';
export { DEFAULT_ANALYZER_OPTIONS, withDefaults } from './options';
export type { AnalyzerOptions } from './options';
export { looksLikeNullEsp, nullEspPayload } from './null-esp';

/** Report at most this many pod flows (the rest are still counted). */
const MAX_POD_FLOWS = 200;

export class Analyzer {
  private readonly opts: AnalyzerOptions;
  private readonly decoder: PacketDecoder;
  private readonly st = new LayerStack();
  private readonly pods: AddressMatcher;
  private readonly sas: SaTable;
  private readonly paths = new PathNames();

  private frames = 0;
  private bytes = 0;
  private readonly stats = new DecodeStats();
  private readonly esp: EspCollector;
  private readonly wireguard: WireguardCollector;
  private readonly clear: PodCollector;
  private readonly inner: PodCollector;
  private readonly nonce?: NonceCollector;
  private readonly timeline = new TimelineCollector();
  private readonly samples?: SampleCollector;
  private readonly rotation?: RotationCollector;
  private clearTimes: ReturnType<PodCollector['reportTimes']> | undefined;

  constructor(options: Partial<AnalyzerOptions> = {}) {
    const o = withDefaults(options);
    this.opts = o;
    this.decoder = new PacketDecoder({ vxlanPorts: o.vxlanPorts, genevePorts: o.genevePorts, wireguardPorts: o.wireguardPorts });
    this.wireguard = new WireguardCollector(o.wireguardPorts);
    this.pods = new AddressMatcher(o.pods && o.pods.length > 0 ? o.pods : o.podCidrs);
    if (o.nonce !== undefined) this.nonce = new NonceCollector(o.nonce);
    if (o.endpoints) for (const e of o.endpoints) normalizeAddress(e);
    this.sas = new SaTable(o.keys as KeySpec[], o.xfrm);
    this.esp = new EspCollector(this.sas, this.decoder, this.paths);
    this.clear = new PodCollector(this.pods, this.paths, this.timeline);
    if (o.samples === true) this.samples = new SampleCollector();
    if (o.rotation !== undefined) {
      this.rotation = new RotationCollector(o.rotation.from >>> 0, o.rotation.to >>> 0);
      for (const a of o.rotation.between ?? []) normalizeAddress(a);
    }
    this.inner = new PodCollector(this.pods, this.paths);
  }

  addFrame(f: Frame): void {
    this.frames++;
    this.bytes += f.caplen;
    const st = this.st;
    const time = f.tsSec + f.tsNsec * 1e-9;
    if (!this.decoder.decodeFrame(f.buf, f.offset, f.caplen, f.linkType, st)) {
      this.stats.unsupported(f.linkType);
      this.timeline.add(C_OTHER, time);
      if (this.samples !== undefined) this.samples.add(C_OTHER, f, time, undefined);
      if (this.opts.onFrameFacts) this.opts.onFrameFacts({ frame: f.index, layers: '', ips: [] });
      return;
    }
    const nonce = this.nonce;
    const nonceHit = nonce !== undefined && nonce.inFrame(f.buf, f.offset, f.caplen, f.index);

    const stats = this.stats;
    const stamp = this.frames;
    let lastIp = -1;
    let espIdx = -1;
    let wgIdx = -1;
    let wgValid = false;
    let innerStart = -1;
    let clearCounted = false;
    let innerCounted = false;
    let decrypted = 0; // 0 not tried, 1 ok, 2 failed
    let nullEsp = false;
    let nonceDec = false;
    for (let i = 0; i < st.count; i++) {
      const t = st.type[i];
      const isInner = innerStart >= 0 && i >= innerStart;
      stats.layer(t, isInner, stamp);
      if (t === L.IPV4 || t === L.IPV6) {
        lastIp = i;
        if (isInner) {
          if (!innerCounted && this.inner.add(st, i, f.index, innerStart, time)) innerCounted = true;
        } else if (!clearCounted && this.clear.add(st, i, f.index, 0, time)) {
          clearCounted = true;
        }
      } else if (t === L.ESP && espIdx < 0 && !isInner && lastIp >= 0) {
        espIdx = i;
        const res = this.esp.add(st, i, lastIp, f, time);
        if (this.rotation !== undefined) this.rotation.add(st, i, lastIp, f.index, time);
        if (res === ESP_NULL) nullEsp = true;
        else if (res === ESP_DECRYPTED) {
          decrypted = 1;
          innerStart = i + 1;
          if (nonce !== undefined && nonce.inPlaintext(st.plaintext)) nonceDec = true;
        } else if (res === ESP_FAILED) decrypted = 2;
      } else if (t === L.WIREGUARD && wgIdx < 0 && !isInner && lastIp >= 0) {
        wgIdx = i;
        wgValid = this.wireguard.add(st, i, lastIp, f.index, time, f.origLen);
      } else if (t === L.FRAG && !isInner) {
        stats.fragments++;
      }
    }
    stats.frameDone(st);
    // The frame's class: a cleartext pod packet is timed in its flow (see ./timeline.ts), the rest here.
    const samples = this.samples;
    const nonceFound = nonce !== undefined ? nonceHit : undefined;
    if (clearCounted) {
      if (samples !== undefined) samples.addPod(this.clear.last!, f, time, nonceFound);
    } else {
      const cls = espIdx >= 0 ? C_ESP : wgValid ? C_WIREGUARD : lastIp >= 0 ? C_HOST : C_OTHER;
      this.timeline.add(cls, time);
      if (samples !== undefined) samples.add(cls, f, time, nonceFound);
    }
    if (samples !== undefined && decrypted === 1 && this.esp.lastNextHeader !== 59) {
      samples.addDecrypted(f, time, st.plaintext, this.esp.lastNextHeader, nonce !== undefined ? nonceDec : undefined);
    }
    if (this.opts.onFrameFacts) {
      this.opts.onFrameFacts(frameFacts(st, f.index, {
        espIdx, wgIdx, decrypted, nonce: nonce !== undefined ? nonceHit : undefined, nonceDecrypted: nonceDec, nullEsp,
      }));
    }
  }

  report(capture: CaptureSummary, warnings: string[]): Report {
    const o = this.opts;
    const esp = this.esp.report();
    const flows = esp.flows;

    // ESP endpoints inside the pod address ranges are node addresses (cilium_host), never pods (CIDR mode only).
    // So are the --endpoints the caller declares: with Cilium >= 1.18 ESP runs between node IPs, yet host
    // traffic from a cilium_host address (inside the pod CIDR) to a remote pod is still host traffic.
    const nodeAddrs = new Set<string>();
    if (!(o.pods && o.pods.length > 0)) {
      for (const f of flows) {
        if (f.src !== '*' && this.pods.matchText(f.src)) nodeAddrs.add(f.src);
        if (f.dst !== '*' && this.pods.matchText(f.dst)) nodeAddrs.add(f.dst);
      }
      for (const e of o.endpoints ?? []) {
        const a = normalizeAddress(e);
        if (this.pods.matchText(a)) nodeAddrs.add(a);
      }
    }

    const allWarnings = [...warnings];
    if (this.wireguard.untrackedPackets > 0) allWarnings.push(`more than ${MAX_TRACKED_FLOWS} WireGuard flows: ${this.wireguard.untrackedPackets} packets of further flows counted but not listed`);
    if (this.esp.untrackedPackets > 0) allWarnings.push(`more than ${MAX_TRACKED_FLOWS} ESP SAs: ${this.esp.untrackedPackets} packets of further SAs counted but not listed`);
    if (this.clear.other || this.inner.other) allWarnings.push(`more than ${MAX_TRACKED_FLOWS} pod flows: the rest are counted as "other flows"`);
    allWarnings.push(...this.stats.warnings());
    // Once: it moves the pod flows' packets into the timeline.
    if (this.clearTimes === undefined) this.clearTimes = this.clear.reportTimes(nodeAddrs);
    if (this.timeline.podOverflow) allWarnings.push('timeline: too many pod flows to keep apart in time: some packets of flows to or from ESP endpoints may show as podCleartext instead of host');
    if (this.clearTimes.capped) allWarnings.push('more cleartext pod packet windows than reported: neighbouring windows were merged');

    const found: Findings = {
      frames: this.frames, bytes: this.bytes, warnings: allWarnings, capture, protocols: this.stats.protocols(),
      decode: this.stats.decode(),
      esp,
      wireguard: this.wireguard.report(),
      cleartext: { ...this.clear.report(MAX_POD_FLOWS, nodeAddrs), podCidrs: o.pods && o.pods.length > 0 ? [] : this.pods.cidrs,
        ...(o.pods && o.pods.length > 0 ? { pods: o.pods.map(normalizeAddress) } : {}), windows: this.clearTimes.windows },
      timeline: this.timeline.report(),
    };
    if (this.rotation !== undefined) {
      const all = this.rotation.directions();
      found.rotation = { from: this.rotation.from, to: this.rotation.to, directions: all, cleartextWindows: found.cleartext.windows };
      if (o.rotation?.between !== undefined) {
        const between = new Set(o.rotation.between.map(normalizeAddress));
        const judged = (d: { src: string; dst: string }) => between.has(d.src) && between.has(d.dst);
        found.rotation.between = [...between];
        found.rotation.directions = all.filter(judged);
        found.rotation.otherDirections = all.filter((d) => !judged(d));
      }
      if (this.rotation.untracked > 0) allWarnings.push(`more than ${MAX_TRACKED_FLOWS} ESP directions: ${this.rotation.untracked} packets of the rotation SPIs not judged`);
    }
    if (this.samples !== undefined) found.samples = this.samples.report((fl) => PodCollector.isNodeFlow(fl, nodeAddrs));
    if (o.expect !== undefined) found.expect = o.expect;
    if (this.nonce !== undefined) found.nonce = this.nonce.report();
    if (this.sas.size > 0) {
      found.decryption = { ok: this.esp.decOk, failed: this.esp.decFailed, noKey: this.esp.noKey, sas: this.sas.size,
        inner: { ...this.inner.report(MAX_POD_FLOWS, nodeAddrs), protocols: this.stats.innerProtocols() } };
    }
    return judgeFindings(found, o);
  }
}
