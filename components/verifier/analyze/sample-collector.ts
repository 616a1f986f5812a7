/**
 * Representative frames, one per class (the report page dissects them as Wireshark does): the first frame of
 * each class; for ESP preferably the first one that decrypted (with its plaintext), for cleartext pod traffic
 * preferably one containing the nonce. Only with the `samples` option; bytes are copied (at most MAX_SAMPLE_BYTES
 * per frame) only when a sample is taken, so the cost per frame is a few comparisons.
 *
 * Cleartext pod frames are kept as candidates per flow (the first frame, and the first with the nonce, of up to
 * MAX_POD_CANDIDATES flows): only at the end is it known which pod-range flows are host traffic.
 */
import type { Frame } from '../capture/types';
import type { FrameClass, FrameSample } from '../report';
import type { PodFlow } from './pod-collector';
import { C_ESP, C_HOST, C_OTHER, C_WIREGUARD } from './timeline';

export const MAX_SAMPLE_BYTES = 4096;
const MAX_POD_CANDIDATES = 8;

interface Taken {
  frame: number;
  time: number;
  linkType: number;
  origLen: number;
  data: Buffer;
  plaintext?: Buffer;
  innerProto?: number;
  nonceFound?: boolean;
  flow?: PodFlow;
}

function take(f: Frame, t: number, nonceFound: boolean | undefined): Taken {
  const n = Math.min(f.caplen, MAX_SAMPLE_BYTES);
  const s: Taken = { frame: f.index, time: t, linkType: f.linkType, origLen: f.origLen, data: Buffer.from(f.buf.subarray(f.offset, f.offset + n)) };
  if (nonceFound !== undefined) s.nonceFound = nonceFound;
  return s;
}

function hasFlow(list: Taken[], flow: PodFlow): boolean {
  for (let i = 0; i < list.length; i++) if (list[i].flow === flow) return true;
  return false;
}

export class SampleCollector {
  private readonly first: (Taken | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  private decrypted: Taken | undefined;
  private readonly podFirst: Taken[] = [];
  private readonly podNonce: Taken[] = [];

  /** `nonceFound`: undefined without a nonce option. */
  add(cls: number, f: Frame, t: number, nonceFound: boolean | undefined): void {
    if (this.first[cls] === undefined) this.first[cls] = take(f, t, nonceFound);
  }

  /** An ESP frame that decrypted: plaintext is the decrypted payload, innerProto its next header. */
  addDecrypted(f: Frame, t: number, plaintext: Buffer, innerProto: number, nonceInPlaintext: boolean | undefined): void {
    if (this.decrypted !== undefined) return;
    const s = take(f, t, nonceInPlaintext);
    s.plaintext = Buffer.from(plaintext.subarray(0, MAX_SAMPLE_BYTES));
    s.innerProto = innerProto;
    this.decrypted = s;
  }

  /** A frame counted as a cleartext pod packet of `flow`. */
  addPod(flow: PodFlow, f: Frame, t: number, nonceFound: boolean | undefined): void {
    if (nonceFound === true && this.podNonce.length < MAX_POD_CANDIDATES && !hasFlow(this.podNonce, flow)) {
      const s = take(f, t, true);
      s.flow = flow;
      this.podNonce.push(s);
    }
    if (this.podFirst.length < MAX_POD_CANDIDATES && !hasFlow(this.podFirst, flow)) {
      const s = take(f, t, nonceFound);
      s.flow = flow;
      this.podFirst.push(s);
    }
  }

  /** `isNode`: whether a pod-range flow is host traffic (decided at the end). */
  report(isNode: (flow: PodFlow) => boolean): FrameSample[] {
    const pod = this.podNonce.find((s) => !isNode(s.flow!)) ?? this.podFirst.find((s) => !isNode(s.flow!));
    let host = this.first[C_HOST];
    const nodeCandidate = this.podFirst.find((s) => isNode(s.flow!));
    if (nodeCandidate !== undefined && (host === undefined || nodeCandidate.frame < host.frame)) host = nodeCandidate;
    const chosen: [FrameClass, Taken | undefined][] = [
      ['esp', this.decrypted ?? this.first[C_ESP]], ['wireguard', this.first[C_WIREGUARD]], ['podCleartext', pod],
      ['host', host], ['other', this.first[C_OTHER]],
    ];
    const out: FrameSample[] = [];
    for (const [cls, s] of chosen) {
      if (s === undefined) continue;
      const r: FrameSample = { class: cls, frame: s.frame, time: s.time, linkType: s.linkType, origLen: s.origLen, dataHex: s.data.toString('hex') };
      if (s.plaintext !== undefined) {
        r.plaintextHex = s.plaintext.toString('hex');
        r.innerProto = s.innerProto;
      }
      if (s.nonceFound !== undefined) r.nonceFound = s.nonceFound;
      out.push(r);
    }
    return out;
  }
}
