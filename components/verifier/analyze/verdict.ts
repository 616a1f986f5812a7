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
import { isoTime } from '../report';
import type { Report, RotationDirection, RotationReport } from '../report';
import type { AnalyzerOptions } from './analyzer';
import { NO_USABLE_KEY_REDACTED } from '../crypto/sa';
import { normalizeAddress } from './addr';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function top(rec: Record<string, number>): string {
  return Object.entries(rec).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

/**
 * Whether the capture proves a key rotation from rot.from to rot.to (and marks each direction switched): both SPIs
 * carried encrypting ESP, every judged direction that carried either SPI went from the old to the new one and ended
 * on it, and nothing was in clear: no cleartext pod packet (its windows are named) and no nonce. With `between`,
 * only the directions between those addresses are judged: others (e.g. a node's health probes to a node the
 * traffic does not involve) may carry one SPI alone inside the window.
 */
function rotationFailures(r: Report, rot: RotationReport, nonceClear: boolean): string[] {
  const f: string[] = [];
  const { from, to } = rot;
  const judged = new Set(rot.directions.map((d) => `${d.src} ${d.dst}`));
  const carried = (spi: number) => r.esp.flows.filter((x) => x.spi === spi && judged.has(`${x.src} ${x.dst}`)).reduce((n, x) => n + x.packets - x.nullPackets, 0);
  const where = rot.between ? ` between ${rot.between.join(', ')}` : '';
  if (carried(from) === 0) f.push(`rotation ${from} -> ${to}: the old SPI ${from} carried no traffic${where} (the capture must start before the rotation)`);
  if (carried(to) === 0) f.push(`rotation ${from} -> ${to}: the new SPI ${to} carried no traffic${where}: the rotation did not happen in this capture`);
  for (const d of rot.otherDirections ?? []) d.switched = switchedOver(d);
  for (const d of rot.directions) {
    d.switched = switchedOver(d);
    if (d.switched) continue;
    if (d.newPackets === 0) f.push(`rotation: ${d.src} -> ${d.dst} never switched: ${plural(d.oldPackets, 'packet')} with SPI ${from}, none with ${to}`);
    else if (d.oldPackets === 0) f.push(`rotation: ${d.src} -> ${d.dst} carried only SPI ${to}: its switch from ${from} is not in the capture`);
    else f.push(`rotation: ${d.src} -> ${d.dst} went back to SPI ${from} (last old ${isoTime(d.lastOld!)} after last new ${isoTime(d.lastNew!)})`);
  }
  const pod = r.cleartext.podPackets;
  if (pod > 0) {
    const w = rot.cleartextWindows;
    f.push(`rotation: ${plural(pod, 'cleartext pod packet')} in ${plural(w.length, 'window')} (${w.slice(0, 5).map((x) => `${isoTime(x.start)} .. ${isoTime(x.end)}: ${x.packets}`).join('; ')}${w.length > 5 ? '; ...' : ''})`);
  }
  if (nonceClear) f.push(`rotation: nonce seen in cleartext in ${plural(r.nonce!.hits, 'frame')}`);
  return f;
}

/** Both SPIs seen in the direction, and its last packet carries the new one. */
function switchedOver(d: RotationDirection): boolean {
  return d.oldPackets > 0 && d.newPackets > 0 && d.lastNew! >= d.lastOld!;
}

export function decideVerdict(r: Report, o: AnalyzerOptions): void {
  const reasons: string[] = [];
  const failures: string[] = [];
  const encryptingEsp = r.esp.packets - r.esp.nullPackets;
  const wg = r.wireguard;
  const wgTraffic = wg.dataPackets - wg.keepalives;
  const evidence = encryptingEsp + wgTraffic;
  const pod = r.cleartext.podPackets;
  const nonceClear = r.nonce !== undefined && r.nonce.hits > 0;
  const cleartextEvidence = pod > 0 || nonceClear;
  const podWhat = r.cleartext.pods ? `pod addresses ${r.cleartext.pods.join(', ')}` : `pod CIDRs ${r.cleartext.podCidrs.join(', ')}`;

  if (evidence > 0 && !cleartextEvidence) r.verdict = 'encrypted';
  else if (evidence > 0) r.verdict = 'partial';
  else if (cleartextEvidence) r.verdict = 'cleartext';
  else r.verdict = 'inconclusive';

  if (encryptingEsp > 0) {
    const pairs = r.esp.flows.filter((f) => f.packets > f.nullPackets).map((f) => `${f.src} -> ${f.dst} SPI ${f.spi}`);
    reasons.push(`ESP seen: ${plural(encryptingEsp, 'packet')} in ${plural(pairs.length, 'SA')} (${pairs.slice(0, 6).join('; ')}${pairs.length > 6 ? '; ...' : ''})`);
  } else if (r.esp.packets === 0 && wg.packets === 0) {
    reasons.push('no ESP seen');
  }
  if (wgTraffic > 0) {
    const flows = wg.flows.map((f) => `${f.src} -> ${f.dst} receiver ${f.receiverIndex}`);
    reasons.push(`WireGuard seen: ${plural(wgTraffic, 'transport data packet')} carrying traffic in ${plural(wg.flows.length, 'flow')} (${flows.slice(0, 6).join('; ')}${flows.length > 6 ? '; ...' : ''}), ${plural(wg.handshakes, 'handshake message')}; session keys are ephemeral, so it is not decrypted`);
  } else if (wg.packets > 0) {
    reasons.push(`WireGuard seen but no transport data carrying traffic (${plural(wg.handshakes, 'handshake message')}, ${plural(wg.keepalives, 'keepalive')}): not counted as encryption`);
  }
  if (r.esp.nullPackets > 0) {
    reasons.push(`${plural(r.esp.nullPackets, 'ESP packet')} with NULL encryption (integrity only, payload readable): not counted as encryption`);
  }
  if (pod > 0) {
    const ex = r.cleartext.flows[0];
    reasons.push(`${plural(pod, 'cleartext pod-to-pod packet')} (${top(r.cleartext.byProtocol)}), e.g. ${ex.src} -> ${ex.dst} ${ex.protocol} via ${ex.paths[0] ?? '?'}`);
  } else {
    reasons.push(`no cleartext pod-to-pod packet (${podWhat})`);
  }
  if (r.cleartext.nodeTraffic) {
    const n = r.cleartext.nodeTraffic;
    reasons.push(`${plural(n.packets, 'cleartext packet')} to or from ESP endpoints inside the pod range (${n.addresses.join(', ')}: node addresses such as cilium_host) counted as host traffic, not pod-to-pod`);
  }
  if (r.nonce) {
    if (nonceClear) reasons.push(`nonce "${r.nonce.text}" visible in cleartext in ${plural(r.nonce.hits, 'frame')} (first: ${r.nonce.frames.slice(0, 5).join(', ')})`);
    else reasons.push(`nonce "${r.nonce.text}" never seen in cleartext`);
    if (r.nonce.decryptedHits > 0) reasons.push(`nonce found inside ${plural(r.nonce.decryptedHits, 'decrypted ESP payload')}: the ESP carried our traffic`);
  }
  if (r.decryption) {
    const d = r.decryption;
    reasons.push(`decryption: ${d.ok} ok, ${d.failed} failed (ICV mismatch), ${d.noKey} without a key; ${plural(d.inner.podPackets, 'pod-to-pod packet')} inside the ESP`);
  }
  if (r.verdict === 'inconclusive') {
    reasons.push(r.frames === 0
      ? 'the capture has no frames: a capture that saw nothing proves nothing'
      : `neither ESP, WireGuard nor pod-to-pod traffic in ${plural(r.frames, 'frame')}: nothing proves encryption or its absence`);
  }

  // Expectations.
  if (o.expect !== undefined && r.verdict !== o.expect) failures.push(`expected verdict "${o.expect}", got "${r.verdict}"`);
  if (o.spi !== undefined && r.rotation === undefined) {
    const spi = o.spi >>> 0;
    if (!r.esp.spis.includes(spi)) failures.push(`expected ESP with SPI ${spi}, saw ${r.esp.spis.length ? `SPI ${r.esp.spis.join(', ')}` : 'no ESP'}`);
    const other = r.esp.spis.filter((s) => s !== spi);
    if (other.length > 0 && r.esp.spis.includes(spi)) failures.push(`unexpected SPI ${other.join(', ')} (expected only ${spi})`);
  }
  if (r.rotation !== undefined) {
    // During a rotation both SPIs are expected (and --spi, if given, must be seen too); any other is a failure.
    const rot = r.rotation;
    const expected = [rot.from, rot.to, ...(o.spi !== undefined ? [o.spi >>> 0] : [])];
    if (o.spi !== undefined && !r.esp.spis.includes(o.spi >>> 0)) failures.push(`expected ESP with SPI ${o.spi >>> 0}, saw ${r.esp.spis.length ? `SPI ${r.esp.spis.join(', ')}` : 'no ESP'}`);
    const other = r.esp.spis.filter((s) => !expected.includes(s));
    if (other.length > 0) failures.push(`unexpected SPI ${other.join(', ')} (expected only ${[...new Set(expected)].join(' and ')} during the rotation)`);
    rot.failures = rotationFailures(r, rot, nonceClear);
    rot.met = rot.failures.length === 0;
    failures.push(...rot.failures);
  }
  if (o.endpoints && o.endpoints.length > 0) {
    const want = new Set(o.endpoints.map(normalizeAddress));
    const wrong = r.esp.flows.filter((f) => !(want.has(f.src) && want.has(f.dst)));
    const right = r.esp.flows.filter((f) => want.has(f.src) && want.has(f.dst));
    if (right.length === 0) failures.push(`no ESP between ${[...want].join(' and ')}`);
    if (wrong.length > 0) {
      failures.push(`ESP between other endpoints: ${wrong.slice(0, 5).map((f) => `${f.src} -> ${f.dst}`).join('; ')} (expected ${[...want].join(', ')})`);
    }
  }
  if (o.expect === 'encrypted' && nonceClear) failures.push(`nonce seen in cleartext in ${plural(r.nonce!.hits, 'frame')}`);
  if (o.expect === 'encrypted' && r.esp.nullPackets > 0) failures.push(`${plural(r.esp.nullPackets, 'ESP packet')} use NULL encryption`);

  r.reasons = reasons;
  r.expectationFailures = failures;
  r.meetsExpectation = failures.length === 0;
  for (const f of failures) reasons.push(`expectation not met: ${f}`);

  // Warnings the analyzer can name from the numbers.
  if (r.decryption) {
    const d = r.decryption;
    if (d.failed > 0 && d.ok === 0) r.warnings.push(`all ${d.failed} decryption attempts failed the ICV check: wrong key, or xfrm state from another boot / rotation?`);
    else if (d.failed > 0) r.warnings.push(`${d.failed} ESP packets failed the ICV check`);
    if (d.noKey > 0) {
      const missing = r.esp.flows.filter((f) => !f.decryption).map((f) => `${f.src} -> ${f.dst} SPI ${f.spi}`);
      r.warnings.push(`${d.noKey} ESP packets had no key (${missing.slice(0, 5).join('; ')})`);
    }
    for (const f of r.esp.flows) {
      const why = f.decryption?.unsupported;
      if (why) r.warnings.push(`SA ${f.src} -> ${f.dst} SPI ${f.spi} ${why === NO_USABLE_KEY_REDACTED ? `has ${why}` : `uses ${why}: not decrypted (only rfc4106(gcm(aes)))`}`);
    }
    if (d.ok > 0 && d.inner.podPackets === 0) r.warnings.push('decrypted ESP carried no pod-to-pod packet: check --pod-cidr / --pods');
  }
  if (r.nonce && r.esp.packets > 0 && r.nonce.hits === 0 && r.decryption && r.nonce.decryptedHits === 0 && r.decryption.ok > 0) {
    r.warnings.push(`nonce "${r.nonce.text}" found neither in cleartext nor in decrypted ESP: was the traffic captured?`);
  }
  if (wg.invalid > 0) {
    r.warnings.push(`${plural(wg.invalid, 'datagram')} on WireGuard port ${wg.ports.join(', ')} not a valid WireGuard message (wrong type, reserved octets or length; first: frame ${wg.invalidFrames.slice(0, 5).join(', ')}): not counted as evidence`);
  }
  for (const f of wg.flows) {
    if (!f.counterIncreasing) r.warnings.push(`WireGuard ${f.src} -> ${f.dst} receiver ${f.receiverIndex}: counter went down ${plural(f.counterDecreases, 'time')} (replay, reordering, or a new session reusing the index)`);
  }
  for (const f of r.esp.flows) {
    if (!f.seqIncreasing) r.warnings.push(`ESP ${f.src} -> ${f.dst} SPI ${f.spi}: sequence number went down ${plural(f.seqDecreases, 'time')} (replay, reordering, or an SA reset)`);
  }
}
