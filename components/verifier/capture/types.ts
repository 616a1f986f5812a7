/**
 * The interface between the capture readers and the analyzer: the readers yield Frames (a view of the
 * captured bytes plus link type and time), the analyzer consumes them. Both sides depend on it, so a
 * change here is a change to both.
 *
 * The implementation of `readCapture` lives in ./reader.ts and is re-exported from ./index.ts
 * (`import { readCapture } from '../capture'`).
 */

/** One captured record, delivered zero-copy to a synchronous callback. */
export interface Frame {
  /** 1-based frame number, as Wireshark counts. */
  index: number;
  /** LINKTYPE_* of the record's interface (1 Ethernet, 101 raw IP, 113 SLL, 276 SLL2, 228 IPv4, 229 IPv6). */
  linkType: number;
  /** The captured bytes are buf[offset, offset + caplen). Valid ONLY during the callback (zero-copy view into
   *  a reused read buffer): copy what you need to keep. */
  buf: Buffer;
  offset: number;
  caplen: number;
  /** Length of the packet on the wire (may exceed caplen when the capture was snapped). */
  origLen: number;
  /** Timestamp: seconds since the epoch and nanoseconds within the second (whatever the file's resolution). */
  tsSec: number;
  tsNsec: number;
  /** pcapng interface id (index in the section's IDB list); always 0 for pcap. */
  interfaceId: number;
}

export interface CaptureSummary {
  format: 'pcap' | 'pcapng';
  gzip: boolean;
  /** Whole records delivered. */
  frames: number;
  /** Sum of caplen over the delivered frames. */
  bytes: number;
  /** The file was cut short at the end (e.g. tcpdump killed mid-write): analysed up to the last whole record. */
  truncated: boolean;
  /** Distinct link types of the capture's interfaces (pcap header; every pcapng IDB, all sections), in order of
   *  first appearance, whether or not a frame was seen on them. */
  linkTypes: number[];
}

export interface ReadCaptureOptions {
  /** Non-fatal problems (cut-short file, unknown pcapng blocks, caplen > snaplen, ...). */
  onWarning?: (msg: string) => void;
  /** Upper bound for a record's captured length (default 262144, as tcpdump's MAXIMUM_SNAPLEN). A record
   *  claiming more is an impossible length: fatal CaptureError. */
  maxCaplen?: number;
  /** Read buffer size in bytes (default 4 MiB). Tests use tiny values to exercise chunk boundaries. */
  bufferSize?: number;
  /** Called between read-buffer chunks (never during a callback); a returned promise is awaited before the
   *  next read. Lets a consumer that writes per-frame output (CLI --frames) wait for its output to drain. */
  pause?: () => Promise<void> | undefined;
}

export type FrameCallback = (f: Frame) => void;

/** Fatal capture problem (framing, header, I/O). `offset` is the byte offset in the (decompressed) stream. */
export class CaptureError extends Error {
  readonly file: string;
  readonly offset: number;
  /** The problem alone, without the file name (for "verify: FILE: problem"). */
  readonly problem: string;
  constructor(file: string, offset: number, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CaptureError';
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }
}
