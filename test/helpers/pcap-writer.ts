/**
 * The capture writer of the tests and the benchmarks: builds pcap and pcapng files byte by byte, independently
 * of the reader (no shared code), so a reader bug cannot hide behind a writer with the same bug. PcapStream
 * writes large pcap files (the benchmarks' hundreds of thousands of frames) through one reused buffer.
 *
 * pcap file header (24 bytes):            pcap record header (16 bytes; 24 in the "modified" variant):
 *   magic(4) major(2)=2 minor(2)=4          ts_sec(4) ts_usec_or_nsec(4) caplen(4) origlen(4)
 *   thiszone(4) sigfigs(4) snaplen(4)       [modified: ifindex(4) protocol(2) pkt_type(1) pad(1)]
 *   network(4)
 * pcapng block: type(4) total_length(4) body... total_length(4), each in its section's byte order.
 */
import * as fs from 'node:fs';

export type PcapFlavour = 'usec' | 'nsec' | 'modified';

export interface PcapRecord {
  sec: number;
  /** microseconds or nanoseconds, per the flavour */
  sub: number;
  data: Buffer;
  /** defaults to data.length */
  origLen?: number;
  /** overrides the caplen field (to forge impossible lengths) */
  caplenField?: number;
}

const MAGIC: Record<PcapFlavour, number> = { usec: 0xa1b2c3d4, nsec: 0xa1b23c4d, modified: 0xa1b2cd34 };

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function i64(v: bigint, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) b.writeBigInt64LE(v);
  else b.writeBigInt64BE(v);
  return b;
}

export function pcapHeader(o: { le: boolean; flavour?: PcapFlavour; snaplen?: number; network?: number;
  major?: number }): Buffer {
  const le = o.le;
  return Buffer.concat([u32(MAGIC[o.flavour ?? 'usec'], le), u16(o.major ?? 2, le), u16(4, le), u32(0, le),
    u32(0, le), u32(o.snaplen ?? 262144, le), u32(o.network ?? 1, le)]);
}

export function pcapRecord(r: PcapRecord, le: boolean, flavour: PcapFlavour = 'usec'): Buffer {
  const parts = [u32(r.sec, le), u32(r.sub, le), u32(r.caplenField ?? r.data.length, le),
    u32(r.origLen ?? r.data.length, le)];
  if (flavour === 'modified') parts.push(u32(3, le), u16(0x0800, le), Buffer.from([4, 0]));
  parts.push(r.data);
  return Buffer.concat(parts);
}

export function pcapFile(o: { le: boolean; flavour?: PcapFlavour; snaplen?: number; network?: number;
  records: PcapRecord[] }): Buffer {
  return Buffer.concat([pcapHeader(o), ...o.records.map((r) => pcapRecord(r, o.le, o.flavour))]);
}

/**
 * A little-endian microsecond pcap file written record by record through one 8 MiB buffer: for captures too
 * large to build in memory. `record` returns where the frame's copy sits, so a caller can patch it in place.
 */
export class PcapStream {
  private readonly buf = Buffer.alloc(8 * 1024 * 1024);
  private used = 0;
  private readonly fd: number;
  /** Bytes written so far (header included). */
  bytes = 0;

  constructor(file: string, network = 1) {
    this.fd = fs.openSync(file, 'w');
    this.write(pcapHeader({ le: true, network }));
  }

  private write(b: Buffer): void {
    fs.writeSync(this.fd, b);
    this.bytes += b.length;
  }

  record(sec: number, usec: number, frame: Buffer, len = frame.length): { buf: Buffer; off: number } {
    if (this.used + 16 + len > this.buf.length) this.flush();
    const b = this.buf;
    let o = this.used;
    b.writeUInt32LE(sec, o);
    b.writeUInt32LE(usec, o + 4);
    b.writeUInt32LE(len, o + 8);
    b.writeUInt32LE(len, o + 12);
    o += 16;
    frame.copy(b, o, 0, len);
    this.used = o + len;
    return { buf: b, off: o };
  }

  flush(): void {
    if (this.used > 0) this.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

// ----- pcapng

function pad4(b: Buffer): Buffer {
  const p = (4 - (b.length % 4)) % 4;
  return p === 0 ? b : Buffer.concat([b, Buffer.alloc(p)]);
}

export function block(type: number, body: Buffer, le: boolean, trailingOverride?: number): Buffer {
  const body4 = pad4(body);
  const len = 12 + body4.length;
  return Buffer.concat([u32(type, le), u32(len, le), body4, u32(trailingOverride ?? len, le)]);
}

function option(code: number, value: Buffer, le: boolean): Buffer {
  return Buffer.concat([u16(code, le), u16(value.length, le), pad4(value)]);
}

function options(opts: Buffer[], le: boolean): Buffer {
  return opts.length === 0 ? Buffer.alloc(0) : Buffer.concat([...opts, u16(0, le), u16(0, le)]);
}

export function shb(le: boolean, comment?: string): Buffer {
  const opts = comment ? options([option(1, Buffer.from(comment), le)], le) : Buffer.alloc(0);
  // byte-order magic, major 1, minor 0, section length -1 (unknown)
  return block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), i64(-1n, le), opts]), le);
}

export function idb(le: boolean, o: { linkType: number; snaplen?: number; tsresol?: number; tsoffset?: bigint }): Buffer {
  const opts: Buffer[] = [option(2, Buffer.from('eth-test'), le)];
  if (o.tsresol !== undefined) opts.push(option(9, Buffer.from([o.tsresol]), le));
  if (o.tsoffset !== undefined) opts.push(option(14, i64(o.tsoffset, le), le));
  return block(1, Buffer.concat([u16(o.linkType, le), u16(0, le), u32(o.snaplen ?? 0, le), options(opts, le)]), le);
}

export function epb(le: boolean, o: { ifId: number; ts: bigint; data: Buffer; origLen?: number; caplenField?: number;
  comment?: string }): Buffer {
  const opts = o.comment ? options([option(1, Buffer.from(o.comment), le)], le) : Buffer.alloc(0);
  const hi = Number(o.ts >> 32n);
  const lo = Number(o.ts & 0xffffffffn);
  return block(6, Buffer.concat([u32(o.ifId, le), u32(hi, le), u32(lo, le), u32(o.caplenField ?? o.data.length, le),
    u32(o.origLen ?? o.data.length, le), pad4(o.data), opts]), le);
}

/** Obsolete Packet Block (type 2). */
export function pb(le: boolean, o: { ifId: number; ts: bigint; data: Buffer; origLen?: number }): Buffer {
  const hi = Number(o.ts >> 32n);
  const lo = Number(o.ts & 0xffffffffn);
  return block(2, Buffer.concat([u16(o.ifId, le), u16(0, le), u32(hi, le), u32(lo, le), u32(o.data.length, le),
    u32(o.origLen ?? o.data.length, le), pad4(o.data)]), le);
}

export function spb(le: boolean, o: { data: Buffer; origLen?: number }): Buffer {
  return block(3, Buffer.concat([u32(o.origLen ?? o.data.length, le), pad4(o.data)]), le);
}

/** Interface Statistics Block (known, ignored). */
export function isb(le: boolean): Buffer {
  return block(5, Buffer.concat([u32(0, le), u32(0, le), u32(0, le)]), le);
}

/** Deterministic pseudo-random payload (no Math.random: failures must reproduce). */
export function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
