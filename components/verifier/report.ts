/**
 * The verifier's result. Field names marked CONTRACT are read by other tools (CLI --json consumers, the lab's
 * stack outputs, the fixture and cross-check tests): do not rename them.
 */
import type { CaptureSummary } from './capture/types';

export type Verdict = 'encrypted' | 'cleartext' | 'partial' | 'inconclusive';
export const VERDICTS: readonly Verdict[] = ['encrypted', 'cleartext', 'partial', 'inconclusive'];

/** A capture timestamp (seconds since the epoch) as ISO 8601 UTC with milliseconds, for messages. */
export function isoTime(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString();
}

export interface SizeStats { min: number; max: number; mean: number }

/** One ESP security association as seen on the wire: (outer source, outer destination, SPI). */
export interface EspFlowReport {
  src: string;                 // CONTRACT
  dst: string;                 // CONTRACT
  spi: number;                 // CONTRACT
  packets: number;             // CONTRACT
  firstSeq: number;            // CONTRACT
  lastSeq: number;             // CONTRACT
  /** No sequence number lower than the one before it, keyed by (src, dst, SPI). */
  seqIncreasing: boolean;      // CONTRACT
  /** Encapsulation paths up to the ESP header, e.g. "eth/ipv4/udp/vxlan/eth/ipv4/esp". */
  paths: string[];             // CONTRACT
  /** Frame sizes on the wire (original length). */
  sizes: SizeStats;            // CONTRACT
  /** Sequence numbers lower than their predecessor. */
  seqDecreases: number;
  /** Sequence numbers equal to their predecessor (the same packet captured twice, e.g. `tcpdump -i any`). */
  seqRepeats: number;
  firstFrame: number;
  lastFrame: number;
  /** Capture timestamps (seconds since the epoch) of the earliest and the latest packet of this SA. */
  firstTime: number;
  lastTime: number;
  /** Packets of this SA that carry their payload in the clear (NULL encryption / GMAC). */
  nullPackets: number;
  decryption?: { ok: number; failed: number; sa?: string; unsupported?: string };
}

/**
 * WireGuard transport data as seen on the wire, keyed by (outer source, outer destination, receiver index): the
 * receiver index names the session at the receiving peer, the counter is the message's nonce, and per receiver
 * index it must only grow (as an ESP sequence number per SA).
 */
export interface WireguardFlowReport {
  src: string;
  dst: string;
  receiverIndex: number;
  packets: number;
  firstCounter: number;
  lastCounter: number;
  /** No counter lower than the one before it. */
  counterIncreasing: boolean;
  counterDecreases: number;
  /** Counters equal to their predecessor (the same message captured twice, e.g. `tcpdump -i any`). */
  counterRepeats: number;
  /** Capture timestamps (seconds since the epoch) of the earliest and the latest message. */
  firstTime: number;
  lastTime: number;
  firstFrame: number;
  lastFrame: number;
  /** Frame sizes on the wire (original length). */
  sizes: SizeStats;
}

export interface WireguardReport {
  /** UDP ports decoded as WireGuard. */
  ports: number[];
  /** Valid WireGuard messages of any type. */
  packets: number;
  /** Transport data messages (type 4), keepalives included. */
  dataPackets: number;
  /** Transport data messages with nothing inside (32 octets): they carry no traffic. */
  keepalives: number;
  /** Handshake initiations and responses (types 1, 2). */
  handshakes: number;
  cookieReplies: number;
  /** Datagrams on a WireGuard port that are not a valid message (wrong type, reserved octets or length). */
  invalid: number;
  /** First few frame numbers of those. */
  invalidFrames: number[];
  flows: WireguardFlowReport[];
}

/** Cleartext traffic between two pod addresses, keyed by (src, dst, protocol). */
export interface PodFlowReport {
  src: string;
  dst: string;
  /** icmp, icmpv6, tcp, http, udp, fragment, or ip-proto-N. */
  protocol: string;
  packets: number;
  firstFrame: number;
  lastFrame: number;
  /** Where the pod packet sat, e.g. "eth/ipv4/udp/vxlan/eth/ipv4". */
  paths: string[];
}

export interface PodTraffic {
  podPackets: number;          // CONTRACT (cleartext.podPackets)
  byProtocol: Record<string, number>;
  flows: PodFlowReport[];
  /**
   * Packets between a pod-range address and an ESP endpoint inside the pod range (Cilium <= 1.17: the nodes'
   * cilium_host router IPs): host-to-pod traffic, not pod-to-pod, so not in podPackets. Present when any.
   */
  nodeTraffic?: { addresses: string[]; packets: number; flows: PodFlowReport[] };
}

/** Cleartext pod packets close together in time: a new window starts after a gap of more than a second. */
export interface TimeWindow {
  /** Capture timestamps (seconds since the epoch) of the window's first and last packet. */
  start: number;
  end: number;
  packets: number;
}

/**
 * The class of a frame in the timeline and the samples; every frame has exactly one:
 *   podCleartext  the frame carries a cleartext pod-to-pod packet as cleartext.podPackets counts it (even when that
 *                 packet travels inside integrity-only ESP)
 *   esp           otherwise, the frame carries ESP
 *   wireguard     otherwise, the frame carries a WireGuard message
 *   host          otherwise, the frame carries IP: node-to-node traffic, pod-range traffic to or from ESP endpoints
 *                 (cleartext.nodeTraffic), anything not between two pods
 *   other         no IP header decoded (ARP, an unsupported link type, ...)
 */
export type FrameClass = 'esp' | 'wireguard' | 'podCleartext' | 'host' | 'other';
export const FRAME_CLASSES: readonly FrameClass[] = ['esp', 'wireguard', 'podCleartext', 'host', 'other'];

export type ClassCounts = Record<FrameClass, number>;

/**
 * Frames per time bucket and class. Buckets start at the first frame's second (floored) and are
 * `bucketSeconds` wide; the width starts at 1/8 s and doubles (neighbouring buckets merged) whenever the capture
 * would need more than 240, so the timeline stays bounded. Buckets run without holes from the first to the last
 * non-empty one; frames time-stamped before the first frame count in the first bucket. Empty capture: no buckets.
 */
export interface Timeline {
  bucketSeconds: number;
  buckets: { start: number; counts: ClassCounts }[];
}

/** One representative frame of a class (the first one; for podCleartext preferably one containing the nonce). */
export interface FrameSample {
  class: FrameClass;
  /** 1-based frame number. */
  frame: number;
  /** Capture timestamp, seconds since the epoch. */
  time: number;
  linkType: number;
  origLen: number;
  /** The captured bytes, at most 4096 of them, in hex. */
  dataHex: string;
  /** ESP whose decryption succeeded: the decrypted payload (the inner packet), at most 4096 bytes, in hex. */
  plaintextHex?: string;
  /** With plaintextHex: the ESP next header (4 IPv4, 41 IPv6, ...). */
  innerProto?: number;
  /** With a nonce given: whether it is in the frame's bytes (for ESP with plaintextHex: in the plaintext). */
  nonceFound?: boolean;
}

/** One direction (outer ESP source -> destination) during a key rotation. Times: capture timestamps or null. */
export interface RotationDirection {
  src: string;
  dst: string;
  /** Packets with the old (FROM) and the new (TO) SPI. */
  oldPackets: number;
  newPackets: number;
  firstOld: number | null;
  /** The last old-SPI packet. */
  lastOld: number | null;
  /** The first new-SPI packet: the switchover. */
  firstNew: number | null;
  lastNew: number | null;
  /** Old-SPI packets time-stamped after the first new-SPI packet (in flight while the policy moved). */
  oldAfterSwitch: number;
  /** Both SPIs seen and the direction ends on the new one (its last packet carries TO). */
  switched: boolean;
}

/** The `rotation` expectation (option rotation {from, to}, CLI --rotation FROM:TO). */
export interface RotationReport {
  from: number;
  to: number;
  /** Both SPIs carried traffic, every direction switched from FROM to TO, no cleartext pod packet, no nonce in clear. */
  met: boolean;
  /** The directions judged: every one, or with `between` those with both ends in it. */
  directions: RotationDirection[];
  /** With the `between` option: its addresses, and the directions of the two SPIs outside it (reported, not judged). */
  between?: string[];
  otherDirections?: RotationDirection[];
  /** When cleartext pod packets were seen (the same as cleartext.windows): any is a failure. */
  cleartextWindows: TimeWindow[];
  /** Why it is not met (also in expectationFailures). */
  failures: string[];
}

export interface Report {
  verdict: Verdict;            // CONTRACT
  /** Why the verdict, in plain sentences, positive evidence first. */
  reasons: string[];
  expect?: Verdict;
  /** True when the verdict equals --expect (if given) and no other expectation (--spi, --endpoints) failed. */
  meetsExpectation: boolean;
  expectationFailures: string[];
  frames: number;              // CONTRACT
  bytes: number;
  warnings: string[];          // CONTRACT
  capture: CaptureSummary;
  /** Frame counts per layer name ("eth", "vxlan", "esp", ...) across all depths, decrypted layers excluded. */
  protocols: Record<string, number>;
  decode: {
    truncatedFrames: number;
    malformedFrames: number;
    /** IP fragments after the first (counted, not decoded). */
    fragments: number;
    unsupportedLinkTypeFrames: number;
  };
  esp: {
    packets: number;           // CONTRACT
    spis: number[];            // CONTRACT (sorted)
    flows: EspFlowReport[];    // CONTRACT
    /** ESP packets whose payload is readable without a key (NULL encryption): NOT encryption. */
    nullPackets: number;
    /** ESP over UDP 4500 (RFC 3948) among `packets`. */
    inUdp: number;
  };
  /** WireGuard messages on the WireGuard ports (always present; zeros when there are none). */
  wireguard: WireguardReport;
  cleartext: PodTraffic & {     // CONTRACT (cleartext.podPackets)
    /** How pod addresses were recognised. */
    podCidrs: string[];
    pods?: string[];
    /** When the cleartext pod packets (those in podPackets) were seen, grouped by gaps of more than a second. */
    windows: TimeWindow[];
  };
  timeline: Timeline;
  /** With the `rotation` option: the key rotation findings and whether they prove it. */
  rotation?: RotationReport;
  /** With the `samples` option: one representative frame per class seen, in FRAME_CLASSES order. */
  samples?: FrameSample[];
  nonce?: {
    text: string;
    /** Frames whose raw bytes contain the nonce: cleartext on the wire. */
    hits: number;              // CONTRACT
    /** Frames where the nonce appears only after decrypting ESP: proves the ESP carried our traffic. */
    decryptedHits: number;
    /** First few frame numbers with a cleartext hit. */
    frames: number[];
  };
  decryption?: {
    ok: number;                // CONTRACT
    failed: number;            // CONTRACT
    /** ESP packets with no key for their (src, dst, SPI). */
    noKey: number;
    /** SAs known (from --key and --xfrm). */
    sas: number;
    /** The same findings on the decrypted inner packets (cleartext there is expected: it was encrypted on the wire). */
    inner: PodTraffic & { protocols: Record<string, number> };
  };
}
