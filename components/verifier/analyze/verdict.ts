/**
 * The verdict, from positive evidence only (cilium-cli's rule: a check that saw nothing proves nothing).
 *
 *   encrypted     encryption evidence was seen (ESP that really encrypts, or WireGuard transport data that carries
 *                 something), zero cleartext pod-to-pod packets, and the nonce (when given) never appears in a
 *                 frame's raw bytes.
 *   cleartext     pod-to-pod traffic (or the nonce) is visible in the clear, and no encryption evidence was seen.
 *   partial       both: encryption evidence and cleartext pod traffic / nonce.
 *   inconclusive  neither. An empty capture, or one with only host traffic, can never read as encrypted.
 *
 * ESP whose payload is readable without a key (NULL encryption, RFC 2410; GMAC, RFC 4543; told by the xfrm
 * state or by the payload starting with a valid IPv4 header) is integrity only: it is not counted as encrypting
 * ESP, and the pod packets inside it are cleartext. WireGuard keepalives (transport data with nothing inside) and
 * handshakes carry no traffic, and a datagram on the WireGuard port that is not a valid message is not WireGuard:
 * neither is evidence. WireGuard cannot be decrypted (ephemeral session keys), so unlike ESP its payload is never
 * checked for the pod packets.
 */
import { NO_USABLE_KEY_REDACTED } from '../crypto/sa';
import { isoTime } from '../report';
import type { Report, RotationReport, Verdict } from '../report';
import { normalizeAddress } from './addr';
import type { Expectations } from './options';

/** What the collectors found: a Report without the judgement (verdict, reasons, expectations met). */
export type Findings = Omit<Report, 'verdict' | 'reasons' | 'meetsExpectation' | 'expectationFailures' | 'rotation'> & {
  rotation?: RotationFindings;
};

/** The rotation's findings: per direction, and the cleartext windows; whether it is met is the verdict's. */
export type RotationFindings = Omit<RotationReport, 'met' | 'failures'>;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function top(rec: Record<string, number>): string {
  return Object.entries(rec).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

/** ESP that really encrypts (not NULL / GMAC) plus WireGuard transport data that carries something. */
function encryptionEvidence(f: Findings): { esp: number; wireguard: number } {
  return { esp: f.esp.packets - f.esp.nullPackets, wireguard: f.wireguard.dataPackets - f.wireguard.keepalives };
}

function nonceInClear(f: Findings): boolean {
  return f.nonce !== undefined && f.nonce.hits > 0;
}

/** The verdict from positive evidence only (see the file comment). */
export function verdictOf(f: Findings): Verdict {
  const e = encryptionEvidence(f);
  const evidence = e.esp + e.wireguard;
  const cleartext = f.cleartext.podPackets > 0 || nonceInClear(f);
  if (evidence > 0) return cleartext ? 'partial' : 'encrypted';
  return cleartext ? 'cleartext' : 'inconclusive';
}

/** Why the verdict, in plain sentences, positive evidence first (the expectations' failures are not among them). */
export function verdictReasons(f: Findings, verdict: Verdict): string[] {
  const reasons: string[] = [];
  const { esp: encryptingEsp, wireguard: wgTraffic } = encryptionEvidence(f);
  const wg = f.wireguard;
  const pod = f.cleartext.podPackets;
  const podWhat = f.cleartext.pods ? `pod addresses ${f.cleartext.pods.join(', ')}` : `pod CIDRs ${f.cleartext.podCidrs.join(', ')}`;
  if (encryptingEsp > 0) {
    const pairs = f.esp.flows.filter((x) => x.packets > x.nullPackets).map((x) => `${x.src} -> ${x.dst} SPI ${x.spi}`);
    reasons.push(`ESP seen: ${plural(encryptingEsp, 'packet')} in ${plural(pairs.length, 'SA')} (${pairs.slice(0, 6).join('; ')}${pairs.length > 6 ? '; ...' : ''})`);
  } else if (f.esp.packets === 0 && wg.packets === 0) {
    reasons.push('no ESP seen');
  }
  if (wgTraffic > 0) {
    const flows = wg.flows.map((x) => `${x.src} -> ${x.dst} receiver ${x.receiverIndex}`);
    reasons.push(`WireGuard seen: ${plural(wgTraffic, 'transport data packet')} carrying traffic in ${plural(wg.flows.length, 'flow')} (${flows.slice(0, 6).join('; ')}${flows.length > 6 ? '; ...' : ''}), ${plural(wg.handshakes, 'handshake message')}; session keys are ephemeral, so it is not decrypted`);
  } else if (wg.packets > 0) {
    reasons.push(`WireGuard seen but no transport data carrying traffic (${plural(wg.handshakes, 'handshake message')}, ${plural(wg.keepalives, 'keepalive')}): not counted as encryption`);
  }
  if (f.esp.nullPackets > 0) {
    reasons.push(`${plural(f.esp.nullPackets, 'ESP packet')} with NULL encryption (integrity only, payload readable): not counted as encryption`);
  }
  if (pod > 0) {
    const ex = f.cleartext.flows[0];
    reasons.push(`${plural(pod, 'cleartext pod-to-pod packet')} (${top(f.cleartext.byProtocol)}), e.g. ${ex.src} -> ${ex.dst} ${ex.protocol} via ${ex.paths[0] ?? '?'}`);
  } else {
    reasons.push(`no cleartext pod-to-pod packet (${podWhat})`);
  }
  if (f.cleartext.nodeTraffic) {
    const n = f.cleartext.nodeTraffic;
    reasons.push(`${plural(n.packets, 'cleartext packet')} to or from ESP endpoints inside the pod range (${n.addresses.join(', ')}: node addresses such as cilium_host) counted as host traffic, not pod-to-pod`);
  }
  if (f.nonce) {
    if (nonceInClear(f)) reasons.push(`nonce "${f.nonce.text}" visible in cleartext in ${plural(f.nonce.hits, 'frame')} (first: ${f.nonce.frames.slice(0, 5).join(', ')})`);
    else reasons.push(`nonce "${f.nonce.text}" never seen in cleartext`);
    if (f.nonce.decryptedHits > 0) reasons.push(`nonce found inside ${plural(f.nonce.decryptedHits, 'decrypted ESP payload')}: the ESP carried our traffic`);
  }
  if (f.decryption) {
    const d = f.decryption;
    reasons.push(`decryption: ${d.ok} ok, ${d.failed} failed (ICV mismatch), ${d.noKey} without a key; ${plural(d.inner.podPackets, 'pod-to-pod packet')} inside the ESP`);
  }
  if (verdict === 'inconclusive') {
    reasons.push(f.frames === 0
      ? 'the capture has no frames: a capture that saw nothing proves nothing'
      : `neither ESP, WireGuard nor pod-to-pod traffic in ${plural(f.frames, 'frame')}: nothing proves encryption or its absence`);
  }
  return reasons;
}

/**
 * Why the capture does not prove a key rotation from rot.from to rot.to ([] = proven): both SPIs must have carried
 * encrypting ESP, every judged direction that carried either SPI must have switched from the old to the new one
 * (see RotationDirection.switched), and nothing may have been in clear: no cleartext pod packet (its windows are
 * named) and no nonce. With `between`, only the directions between those addresses are judged: the others (a
 * node's health probes to a node the traffic does not involve) may carry one SPI alone inside the window.
 */
export function rotationFailures(f: Findings, rot: RotationFindings): string[] {
  const out: string[] = [];
  const { from, to } = rot;
  const judged = new Set(rot.directions.map((d) => `${d.src} ${d.dst}`));
  const inScope = (x: { src: string; dst: string }) => rot.between === undefined || judged.has(`${x.src} ${x.dst}`);
  const carried = (spi: number) => f.esp.flows.filter((x) => x.spi === spi && inScope(x)).reduce((n, x) => n + x.packets - x.nullPackets, 0);
  const where = rot.between ? ` between ${rot.between.join(', ')}` : '';
  if (carried(from) === 0) out.push(`rotation ${from} -> ${to}: the old SPI ${from} carried no traffic${where} (the capture must start before the rotation)`);
  if (carried(to) === 0) out.push(`rotation ${from} -> ${to}: the new SPI ${to} carried no traffic${where}: the rotation did not happen in this capture`);
  for (const d of rot.directions) {
    if (d.switched) continue;
    if (d.newPackets === 0) out.push(`rotation: ${d.src} -> ${d.dst} never switched: ${plural(d.oldPackets, 'packet')} with SPI ${from}, none with ${to}`);
    else if (d.oldPackets === 0) out.push(`rotation: ${d.src} -> ${d.dst} carried only SPI ${to}: its switch from ${from} is not in the capture`);
    else out.push(`rotation: ${d.src} -> ${d.dst} went back to SPI ${from} (last old ${isoTime(d.lastOld!)} after last new ${isoTime(d.lastNew!)})`);
  }
  const pod = f.cleartext.podPackets;
  if (pod > 0) {
    const w = rot.cleartextWindows;
    out.push(`rotation: ${plural(pod, 'cleartext pod packet')} in ${plural(w.length, 'window')} (${w.slice(0, 5).map((x) => `${isoTime(x.start)} .. ${isoTime(x.end)}: ${x.packets}`).join('; ')}${w.length > 5 ? '; ...' : ''})`);
  }
  if (nonceInClear(f)) out.push(`rotation: nonce seen in cleartext in ${plural(f.nonce!.hits, 'frame')}`);
  return out;
}

/** The expectations given that the findings do not meet, in the order they are listed ([] = all met). */
export function expectationFailures(f: Findings, o: Expectations, verdict: Verdict): string[] {
  const failures: string[] = [];
  const spis = f.esp.spis;
  if (o.expect !== undefined && verdict !== o.expect) failures.push(`expected verdict "${o.expect}", got "${verdict}"`);
  const spi = o.spi !== undefined ? o.spi >>> 0 : undefined;
  const sawSpi = () => `saw ${spis.length ? `SPI ${spis.join(', ')}` : 'no ESP'}`;
  if (f.rotation === undefined) {
    if (spi !== undefined) {
      if (!spis.includes(spi)) failures.push(`expected ESP with SPI ${spi}, ${sawSpi()}`);
      const other = spis.filter((s) => s !== spi);
      if (other.length > 0 && spis.includes(spi)) failures.push(`unexpected SPI ${other.join(', ')} (expected only ${spi})`);
    }
  } else {
    // During a rotation both SPIs are expected (and --spi, if given, must be seen too); any other is a failure.
    const rot = f.rotation;
    const expected = [rot.from, rot.to, ...(spi !== undefined ? [spi] : [])];
    if (spi !== undefined && !spis.includes(spi)) failures.push(`expected ESP with SPI ${spi}, ${sawSpi()}`);
    const other = spis.filter((s) => !expected.includes(s));
    if (other.length > 0) failures.push(`unexpected SPI ${other.join(', ')} (expected only ${[...new Set(expected)].join(' and ')} during the rotation)`);
    failures.push(...rotationFailures(f, rot));
  }
  if (o.endpoints && o.endpoints.length > 0) {
    const want = new Set(o.endpoints.map(normalizeAddress));
    const wrong = f.esp.flows.filter((x) => !(want.has(x.src) && want.has(x.dst)));
    const right = f.esp.flows.filter((x) => want.has(x.src) && want.has(x.dst));
    if (right.length === 0) failures.push(`no ESP between ${[...want].join(' and ')}`);
    if (wrong.length > 0) {
      failures.push(`ESP between other endpoints: ${wrong.slice(0, 5).map((x) => `${x.src} -> ${x.dst}`).join('; ')} (expected ${[...want].join(', ')})`);
    }
  }
  if (o.expect === 'encrypted' && nonceInClear(f)) failures.push(`nonce seen in cleartext in ${plural(f.nonce!.hits, 'frame')}`);
  if (o.expect === 'encrypted' && f.esp.nullPackets > 0) failures.push(`${plural(f.esp.nullPackets, 'ESP packet')} use NULL encryption`);
  return failures;
}

/** Warnings the numbers themselves raise (a failed decryption, a missing key, counters that went down). */
export function evidenceWarnings(f: Findings): string[] {
  const w: string[] = [];
  if (f.decryption) {
    const d = f.decryption;
    if (d.failed > 0 && d.ok === 0) w.push(`all ${d.failed} decryption attempts failed the ICV check: wrong key, or xfrm state from another boot / rotation?`);
    else if (d.failed > 0) w.push(`${d.failed} ESP packets failed the ICV check`);
    if (d.noKey > 0) {
      const missing = f.esp.flows.filter((x) => !x.decryption).map((x) => `${x.src} -> ${x.dst} SPI ${x.spi}`);
      w.push(`${d.noKey} ESP packets had no key (${missing.slice(0, 5).join('; ')})`);
    }
    for (const x of f.esp.flows) {
      const why = x.decryption?.unsupported;
      if (why) w.push(`SA ${x.src} -> ${x.dst} SPI ${x.spi} ${why === NO_USABLE_KEY_REDACTED ? `has ${why}` : `uses ${why}: not decrypted (only rfc4106(gcm(aes)))`}`);
    }
    if (d.ok > 0 && d.inner.podPackets === 0) w.push('decrypted ESP carried no pod-to-pod packet: check --pod-cidr / --pods');
  }
  if (f.nonce && f.esp.packets > 0 && f.nonce.hits === 0 && f.decryption && f.nonce.decryptedHits === 0 && f.decryption.ok > 0) {
    w.push(`nonce "${f.nonce.text}" found neither in cleartext nor in decrypted ESP: was the traffic captured?`);
  }
  const wg = f.wireguard;
  if (wg.invalid > 0) {
    w.push(`${plural(wg.invalid, 'datagram')} on WireGuard port ${wg.ports.join(', ')} not a valid WireGuard message (wrong type, reserved octets or length; first: frame ${wg.invalidFrames.slice(0, 5).join(', ')}): not counted as evidence`);
  }
  for (const x of wg.flows) {
    if (!x.counterIncreasing) w.push(`WireGuard ${x.src} -> ${x.dst} receiver ${x.receiverIndex}: counter went down ${plural(x.counterDecreases, 'time')} (replay, reordering, or a new session reusing the index)`);
  }
  for (const x of f.esp.flows) {
    if (!x.seqIncreasing) w.push(`ESP ${x.src} -> ${x.dst} SPI ${x.spi}: sequence number went down ${plural(x.seqDecreases, 'time')} (replay, reordering, or an SA reset)`);
  }
  return w;
}

/**
 * The Report: the findings with the verdict, its reasons (the failed expectations last, as "expectation not
 * met: ..."), the expectations judged, and the warnings the numbers raise after the collectors' own. The findings
 * are not changed.
 */
export function judgeFindings(f: Findings, o: Expectations): Report {
  const verdict = verdictOf(f);
  const failures = expectationFailures(f, o, verdict);
  const { rotation, ...found } = f;
  const report: Report = {
    verdict, reasons: [...verdictReasons(f, verdict), ...failures.map((x) => `expectation not met: ${x}`)],
    meetsExpectation: failures.length === 0, expectationFailures: failures,
    ...found,
    warnings: [...f.warnings, ...evidenceWarnings(f)],
  };
  if (rotation !== undefined) {
    const rf = rotationFailures(f, rotation);
    report.rotation = { from: rotation.from, to: rotation.to, met: rf.length === 0, directions: rotation.directions,
      ...(rotation.between !== undefined ? { between: rotation.between, otherDirections: rotation.otherDirections ?? [] } : {}),
      cleartextWindows: rotation.cleartextWindows, failures: rf };
  }
  return report;
}
