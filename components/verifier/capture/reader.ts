/**
 * Streaming pcap / pcapng reader (optionally gzip-compressed).
 *
 * Formats:
 *   pcap     https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/  (both byte orders, usec 0xa1b2c3d4,
 *            nsec 0xa1b23c4d, Kuznetsov "modified" 0xa1b2cd34 with 24-byte record headers)
 *   pcapng   https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/ (SHB per section with its own byte
 *            order, IDB with if_tsresol / if_tsoffset / snaplen per interface, EPB, SPB, obsolete PB;
 *            other blocks skipped)
 *   gzip     detected by the magic 1f 8b, decompressed through node:zlib as a stream.
 *
 * Memory: one reused read buffer (default 4 MiB). Records are parsed in place and handed out as zero-copy
 * views; a record straddling the end of the buffer is moved (only its bytes) to the front before the next
 * read. A record larger than the buffer grows it, once, up to the bound (maxCaplen + header for pcap, 16 MiB
 * per block for pcapng, as libpcap), so the reader never holds more than that whatever the file size.
 *
 * Errors: framing and header problems are fatal (CaptureError with the byte offset); a file cut short at the
 * end (tcpdump killed mid-write) is analysed up to the last whole record with a warning and
 * summary.truncated = true. Only an incomplete global header (pcap file header, first pcapng SHB) is fatal.
 */
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { CaptureError, CaptureSummary, Frame, FrameCallback, ReadCaptureOptions } from './types';

/** tcpdump/libpcap MAXIMUM_SNAPLEN: no record may claim more captured bytes than this. */
export const MAXIMUM_SNAPLEN = 262144;
/** libpcap's INITIAL_MAX_BLOCKSIZE: the largest pcapng block we accept. */
export const MAX_PCAPNG_BLOCK = 16 * 1024 * 1024;
export const DEFAULT_BUFFER_SIZE = 4 * 1024 * 1024;
/** Interfaces per pcapng section (keeps memory bounded on hostile input; real captures have a handful). */
export const MAX_INTERFACES = 65536;

const PCAP_USEC = 0xa1b2c3d4;
const PCAP_NSEC = 0xa1b23c4d;
const PCAP_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

const BT_IDB = 0x00000001;
const BT_PB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_NRB = 0x00000004;
const BT_ISB = 0x00000005;
const BT_EPB = 0x00000006;
/** Known blocks we have no use for: skipped silently (IRIG, ARINC, systemd journal, DSB, custom blocks). */
const IGNORED_BLOCKS = new Set([BT_NRB, BT_ISB, 0x00000007, 0x00000008, 0x00000009, 0x0000000a,
  0x00000bad, 0x40000bad]);

// ---------------------------------------------------------------------------------------------------------
// Byte sources: a plain file (fs.read into the caller's buffer) or a gzip stream.

interface Source {
  /** Fills buf[off, off+len) with up to len bytes; resolves 0 at the end of the stream. */
  read(buf: Buffer, off: number, len: number): Promise<number>;
  close(): Promise<void>;
  /** For gzip: set when the compressed stream ended early (truncated file). */
  cutShort?: boolean;
}

class FileSource implements Source {
  constructor(private readonly fh: fs.promises.FileHandle) {}
  async read(buf: Buffer, off: number, len: number): Promise<number> {
    const { bytesRead } = await this.fh.read(buf, off, len, null);
    return bytesRead;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

class GzipSource implements Source {
  cutShort = false;
  private readonly gunzip: zlib.Gunzip;
  private readonly input: Readable;
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer | null = null;
  private pendingOff = 0;
  private done = false;

  /** Decompresses `head` (the bytes already sniffed) followed by the rest of the open file (works on pipes too). */
  constructor(private readonly fh: fs.promises.FileHandle, head: Buffer, private readonly file: string, chunkSize: number) {
    async function* compressed(): AsyncGenerator<Buffer> {
      yield head;
      for (;;) {
        const b = Buffer.allocUnsafe(chunkSize);
        const { bytesRead } = await fh.read(b, 0, chunkSize, null);
        if (bytesRead === 0) return;
        yield b.subarray(0, bytesRead);
      }
    }
    this.input = Readable.from(compressed(), { objectMode: false });
    this.gunzip = zlib.createGunzip({ chunkSize });
    this.input.on('error', (e) => this.gunzip.destroy(e));
    this.input.pipe(this.gunzip);
    this.chunks = this.gunzip[Symbol.asyncIterator]();
  }

  async read(buf: Buffer, off: number, len: number): Promise<number> {
    while (!this.done && (this.pending === null || this.pendingOff >= this.pending.length)) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.chunks.next();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
          this.cutShort = true; // compressed stream cut short: what was decompressed is still good
          this.done = true;
          break;
        }
        throw new CaptureError(this.file, -1, `gzip: ${err.message}`);
      }
      if (r.done) {
        this.done = true;
        break;
      }
      this.pending = r.value;
      this.pendingOff = 0;
    }
    if (this.pending === null || this.pendingOff >= this.pending.length) return 0;
    const n = Math.min(len, this.pending.length - this.pendingOff);
    this.pending.copy(buf, off, this.pendingOff, this.pendingOff + n);
    this.pendingOff += n;
    return n;
  }

  async close(): Promise<void> {
    this.input.destroy();
    this.gunzip.destroy();
    await this.fh.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// pcapng interfaces and timestamps

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second as a number when the fast exact path applies, else 0 (BigInt path). */
  units: number;
  /** Multiplier from the remainder (in units) to nanoseconds when units divides 1e9 exactly, else 0. */
  nsMul: number;
  unitsBig: bigint;
  offsetSec: number;
}

function makeIface(linkType: number, snaplen: number, tsresol: number, offsetSec: number): Iface {
  const pow2 = (tsresol & 0x80) !== 0;
  const exp = tsresol & 0x7f;
  const unitsBig = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
  // Fast path: the long division below stays exact when units <= 2^30 and the sub-second conversion
  // stays exact (base 10 up to 1e9, base 2 up to 2^23).
  const fast = pow2 ? exp <= 23 : exp <= 9;
  const units = fast ? Number(unitsBig) : 0;
  const nsMul = fast && !pow2 ? 10 ** (9 - exp) : 0;
  return { linkType, snaplen, units, nsMul, unitsBig, offsetSec };
}

// Scratch outputs of tsSplit (avoids allocating per frame).
let tsS = 0;
let tsN = 0;

/** Splits the 64-bit timestamp hi:lo (in the interface's units) into seconds and nanoseconds. */
function tsSplit(ifc: Iface, hi: number, lo: number): void {
  const u = ifc.units;
  if (u !== 0) {
    // Long division of hi*2^32 + lo by u in 32/16/16-bit limbs; every intermediate < 2^53.
    const qh = Math.floor(hi / u);
    let rem = hi - qh * u;
    let t = rem * 65536 + (lo >>> 16);
    const q1 = Math.floor(t / u);
    rem = t - q1 * u;
    t = rem * 65536 + (lo & 0xffff);
    const q2 = Math.floor(t / u);
    rem = t - q2 * u;
    tsS = qh * 4294967296 + q1 * 65536 + q2 + ifc.offsetSec;
    tsN = ifc.nsMul !== 0 ? rem * ifc.nsMul : Math.floor((rem * 1e9) / u);
    return;
  }
  const ts = (BigInt(hi) << 32n) | BigInt(lo);
  const ub = ifc.unitsBig;
  tsS = Number(ts / ub) + ifc.offsetSec;
  tsN = Number(((ts % ub) * 1000000000n) / ub);
}

// ---------------------------------------------------------------------------------------------------------
// The parser: fed the read buffer, it consumes whole records and reports how many bytes the next needs.

const enum Phase { Magic, Pcap, Pcapng }

class Parser {
  phase = Phase.Magic;
  format: 'pcap' | 'pcapng' = 'pcap';
  frames = 0;
  bytes = 0;
  linkTypes: number[] = [];
  /** Bytes the next unit needs in the buffer (from the unconsumed position); 0 = unknown yet. */
  need = 0;
  /** True once the global header (pcap file header / first SHB) is complete. */
  headerDone = false;

  // pcap state
  private le = true;
  private recHdr = 16;
  private nsMul = 1000;
  private pcapLink = 0;
  private pcapSnap = 0;

  // pcapng state
  private ifaces: Iface[] = [];
  private sections = 0;

  // anomaly counters, reported once at the end
  overSnaplen = 0;
  origBelowCaplen = 0;
  unknownBlocks = 0;
  unknownTypes = new Set<number>();
  badOptions = 0;

  constructor(
    private readonly file: string,
    private readonly onFrame: FrameCallback,
    private readonly maxCaplen: number,
    private readonly maxBlock: number,
  ) {}

  private fatal(offset: number, problem: string): never {
    throw new CaptureError(this.file, offset, problem);
  }

  private readonly linkSeen = new Set<number>();

  private addLink(lt: number): void {
    if (!this.linkSeen.has(lt)) {
      this.linkSeen.add(lt);
      this.linkTypes.push(lt);
    }
  }

  /** Parses buf[p, end); base = stream offset of buf[0]. Returns the first unconsumed position. */
  parse(buf: Buffer, p: number, end: number, base: number): number {
    if (this.phase === Phase.Magic) {
      if (end - p < 4) {
        this.need = 4;
        return p;
      }
      const m = buf.readUInt32LE(p);
      if (m === PCAPNG_SHB) {
        this.phase = Phase.Pcapng;
        this.format = 'pcapng';
      } else {
        const hdr = this.pcapHeader(buf, p, end, base);
        if (hdr < 0) return p;
        p = hdr;
      }
    }
    if (this.phase === Phase.Pcap) return this.le ? this.pcapLE(buf, p, end, base) : this.pcapBE(buf, p, end, base);
    return this.pcapng(buf, p, end, base);
  }

  /** Reads the 24-byte pcap file header; returns the position after it, or -1 when more bytes are needed. */
  private pcapHeader(buf: Buffer, p: number, end: number, base: number): number {
    const mLE = buf.readUInt32LE(p);
    const mBE = buf.readUInt32BE(p);
    let le: boolean;
    let magic: number;
    if (mLE === PCAP_USEC || mLE === PCAP_NSEC || mLE === PCAP_MODIFIED) {
      le = true;
      magic = mLE;
    } else if (mBE === PCAP_USEC || mBE === PCAP_NSEC || mBE === PCAP_MODIFIED) {
      le = false;
      magic = mBE;
    } else {
      if (buf[p] === 0x1f && buf[p + 1] === 0x8b) this.fatal(base + p, 'gzip data inside a gzip stream');
      this.fatal(base + p, `not a pcap or pcapng capture (magic 0x${mBE.toString(16).padStart(8, '0')})`);
    }
    if (end - p < 24) {
      this.need = 24;
      return -1;
    }
    const major = le ? buf.readUInt16LE(p + 4) : buf.readUInt16BE(p + 4);
    const minor = le ? buf.readUInt16LE(p + 6) : buf.readUInt16BE(p + 6);
    if (major !== 2) this.fatal(base + p + 4, `unsupported pcap version ${major}.${minor}`);
    this.le = le;
    this.recHdr = magic === PCAP_MODIFIED ? 24 : 16;
    this.nsMul = magic === PCAP_NSEC ? 1 : 1000;
    this.pcapSnap = le ? buf.readUInt32LE(p + 16) : buf.readUInt32BE(p + 16);
    const network = le ? buf.readUInt32LE(p + 20) : buf.readUInt32BE(p + 20);
    // LT_LINKTYPE(): the upper bits carry the FCS length (LT_FCS_LENGTH_PRESENT), not the link type.
    this.pcapLink = network & 0x03ffffff;
    this.addLink(this.pcapLink);
    this.phase = Phase.Pcap;
    this.format = 'pcap';
    this.headerDone = true;
    return p + 24;
  }

  // The two pcap loops are the hot path; they are specialised per byte order (as gopacket's ngread.go).

  private pcapLE(buf: Buffer, p: number, end: number, base: number): number {
    const hl = this.recHdr;
    const max = this.maxCaplen;
    const snap = this.pcapSnap;
    const mul = this.nsMul;
    const lt = this.pcapLink;
    const cb = this.onFrame;
    let frames = this.frames;
    let bytes = this.bytes;
    try {
      while (end - p >= hl) {
        const incl = buf.readUInt32LE(p + 8);
        if (incl > max) this.impossible(base + p, incl);
        const next = p + hl + incl;
        if (next > end) {
          this.need = hl + incl;
          break;
        }
        const orig = buf.readUInt32LE(p + 12);
        if (incl > snap && snap !== 0) this.overSnaplen++;
        if (orig < incl) this.origBelowCaplen++;
        const f: Frame = {
          index: ++frames, linkType: lt, buf, offset: p + hl, caplen: incl, origLen: orig,
          tsSec: buf.readUInt32LE(p), tsNsec: buf.readUInt32LE(p + 4) * mul, interfaceId: 0,
        };
        bytes += incl;
        p = next;
        this.frames = frames;
        this.bytes = bytes;
        cb(f);
      }
    } finally {
      this.frames = frames;
      this.bytes = bytes;
    }
    return p;
  }

  private pcapBE(buf: Buffer, p: number, end: number, base: number): number {
    const hl = this.recHdr;
    const max = this.maxCaplen;
    const snap = this.pcapSnap;
    const mul = this.nsMul;
    const lt = this.pcapLink;
    const cb = this.onFrame;
    let frames = this.frames;
    let bytes = this.bytes;
    try {
      while (end - p >= hl) {
        const incl = buf.readUInt32BE(p + 8);
        if (incl > max) this.impossible(base + p, incl);
        const next = p + hl + incl;
        if (next > end) {
          this.need = hl + incl;
          break;
        }
        const orig = buf.readUInt32BE(p + 12);
        if (incl > snap && snap !== 0) this.overSnaplen++;
        if (orig < incl) this.origBelowCaplen++;
        const f: Frame = {
          index: ++frames, linkType: lt, buf, offset: p + hl, caplen: incl, origLen: orig,
          tsSec: buf.readUInt32BE(p), tsNsec: buf.readUInt32BE(p + 4) * mul, interfaceId: 0,
        };
        bytes += incl;
        p = next;
        this.frames = frames;
        this.bytes = bytes;
        cb(f);
      }
    } finally {
      this.frames = frames;
      this.bytes = bytes;
    }
    return p;
  }

  private impossible(offset: number, caplen: number): never {
    this.fatal(offset, `impossible record length ${caplen} at byte ${offset} (maximum ${this.maxCaplen})`);
  }

  // ----- pcapng

  private pcapng(buf: Buffer, p: number, end: number, base: number): number {
    while (end - p >= 8) {
      let le = this.le;
      const typeLE = buf.readUInt32LE(p);
      if (typeLE === PCAPNG_SHB) {
        if (end - p < 12) {
          this.need = 12;
          break;
        }
        const bom = buf.readUInt32LE(p + 8);
        if (bom === PCAPNG_BOM) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else this.fatal(base + p + 8, `pcapng section header at byte ${base + p} has a bad byte-order magic`);
      } else if (this.sections === 0) {
        this.fatal(base + p, 'pcapng file does not start with a section header block');
      }
      const type = le ? typeLE : buf.readUInt32BE(p);
      const len = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
      if (len < 12 || len % 4 !== 0 || len > this.maxBlock || (type === PCAPNG_SHB && len < 28)) {
        this.fatal(base + p, `impossible pcapng block length ${len} at byte ${base + p} (block type 0x${type.toString(16)})`);
      }
      if (end - p < len) {
        this.need = len;
        break;
      }
      const trail = le ? buf.readUInt32LE(p + len - 4) : buf.readUInt32BE(p + len - 4);
      if (trail !== len) {
        this.fatal(base + p + len - 4,
          `pcapng block at byte ${base + p}: trailing length ${trail} differs from leading length ${len}`);
      }
      switch (type) {
        case PCAPNG_SHB: {
          const major = le ? buf.readUInt16LE(p + 12) : buf.readUInt16BE(p + 12);
          if (major !== 1) this.fatal(base + p + 12, `unsupported pcapng version ${major}`);
          this.le = le;
          this.ifaces = [];
          this.sections++;
          this.headerDone = true;
          break;
        }
        case BT_IDB:
          this.idb(buf, p, len, base);
          break;
        case BT_EPB:
          this.packet(buf, p, len, base, 0);
          break;
        case BT_SPB:
          this.spb(buf, p, len, base);
          break;
        case BT_PB:
          this.packet(buf, p, len, base, 1);
          break;
        default:
          if (!IGNORED_BLOCKS.has(type)) {
            this.unknownBlocks++;
            if (this.unknownTypes.size < 8) this.unknownTypes.add(type);
          }
      }
      p += len;
    }
    return p;
  }

  private u16(buf: Buffer, p: number): number {
    return this.le ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
  }

  private u32(buf: Buffer, p: number): number {
    return this.le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
  }

  private idb(buf: Buffer, p: number, len: number, base: number): void {
    if (len < 20) this.fatal(base + p, `interface description block at byte ${base + p} too short (${len})`);
    if (this.ifaces.length >= MAX_INTERFACES) {
      this.fatal(base + p, `more than ${MAX_INTERFACES} interface description blocks in one section (byte ${base + p})`);
    }
    const linkType = this.u16(buf, p + 8);
    const snaplen = this.u32(buf, p + 12);
    let tsresol = 6;
    let offsetSec = 0;
    // Options: code(2) length(2) value padded to 4, up to opt_endofopt (0) or the end of the body.
    let o = p + 16;
    const oend = p + len - 4;
    while (oend - o >= 4) {
      const code = this.u16(buf, o);
      const olen = this.u16(buf, o + 2);
      if (code === 0) break;
      if (o + 4 + olen > oend) {
        this.badOptions++;
        break;
      }
      if (code === 9 && olen >= 1) tsresol = buf[o + 4];
      else if (code === 14 && olen >= 8) {
        offsetSec = Number(this.le ? buf.readBigInt64LE(o + 4) : buf.readBigInt64BE(o + 4));
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.ifaces.push(makeIface(linkType, snaplen, tsresol, offsetSec));
    this.addLink(linkType);
  }

  /** EPB (kind 0) or obsolete PB (kind 1): same layout after the interface id. */
  private packet(buf: Buffer, p: number, len: number, base: number, kind: number): void {
    const name = kind === 0 ? 'enhanced packet block' : 'packet block';
    if (len < 32) this.fatal(base + p, `${name} at byte ${base + p} too short (${len})`);
    const ifId = kind === 0 ? this.u32(buf, p + 8) : this.u16(buf, p + 8);
    const caplen = this.u32(buf, p + 20);
    const orig = this.u32(buf, p + 24);
    if (caplen > this.maxCaplen) this.impossible(base + p, caplen);
    if (28 + caplen + 4 > len) {
      this.fatal(base + p, `${name} at byte ${base + p}: captured length ${caplen} exceeds the block (${len})`);
    }
    const ifc = this.ifaces[ifId];
    if (ifc === undefined) {
      this.fatal(base + p, `${name} at byte ${base + p} names interface ${ifId}, which has no description block`);
    }
    tsSplit(ifc, this.u32(buf, p + 12), this.u32(buf, p + 16));
    this.deliver(buf, p + 28, caplen, orig, ifc, ifId);
  }

  private spb(buf: Buffer, p: number, len: number, base: number): void {
    const ifc = this.ifaces[0];
    if (ifc === undefined) {
      this.fatal(base + p, `simple packet block at byte ${base + p} before any interface description block`);
    }
    if (len < 16) this.fatal(base + p, `simple packet block at byte ${base + p} too short (${len})`);
    const orig = this.u32(buf, p + 8);
    let caplen = Math.min(orig, len - 16);
    if (ifc.snaplen !== 0 && caplen > ifc.snaplen) caplen = ifc.snaplen;
    if (caplen > this.maxCaplen) this.impossible(base + p, caplen);
    tsS = 0;
    tsN = 0;
    this.deliver(buf, p + 12, caplen, orig, ifc, 0);
  }

  private deliver(buf: Buffer, off: number, caplen: number, orig: number, ifc: Iface, ifId: number): void {
    if (ifc.snaplen !== 0 && caplen > ifc.snaplen) this.overSnaplen++;
    if (orig < caplen) this.origBelowCaplen++;
    this.bytes += caplen;
    this.onFrame({
      index: ++this.frames, linkType: ifc.linkType, buf, offset: off, caplen, origLen: orig,
      tsSec: tsS, tsNsec: tsN, interfaceId: ifId,
    });
  }

  /** Warnings for the anomalies counted while reading. */
  anomalies(): string[] {
    const w: string[] = [];
    if (this.unknownBlocks > 0) {
      const types = [...this.unknownTypes].map((t) => `0x${t.toString(16)}`).join(', ');
      w.push(`skipped ${this.unknownBlocks} unknown pcapng block(s) (type ${types})`);
    }
    if (this.overSnaplen > 0) w.push(`${this.overSnaplen} record(s) longer than the snaplen in the capture header`);
    if (this.origBelowCaplen > 0) w.push(`${this.origBelowCaplen} record(s) with an original length below the captured length`);
    if (this.badOptions > 0) w.push(`${this.badOptions} interface description block(s) with malformed options (ignored)`);
    return w;
  }
}

// ---------------------------------------------------------------------------------------------------------

function ioProblem(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    default: return err.message ?? String(e);
  }
}

/**
 * Reads a pcap or pcapng capture (optionally gzip-compressed) and calls onFrame for every whole record, in
 * file order, synchronously and zero-copy (the Frame's bytes are valid only during the call).
 * Throws (rejects with) CaptureError for unusable input; a file cut short at the end is not an error.
 */
export async function readCapture(path: string, onFrame: FrameCallback,
  opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const maxCaplen = opts.maxCaplen ?? MAXIMUM_SNAPLEN;
  const bufferSize = Math.max(4, opts.bufferSize ?? DEFAULT_BUFFER_SIZE);
  const maxBlock = Math.max(MAX_PCAPNG_BLOCK, maxCaplen + 4096);
  const warn = opts.onWarning ?? (() => undefined);
  const pause = opts.pause;

  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, 'r');
  } catch (e) {
    throw new CaptureError(path, 0, ioProblem(e));
  }

  let buf = Buffer.allocUnsafe(bufferSize);
  let src: Source = new FileSource(fh);
  let gzip = false;
  let base = 0; // stream offset of buf[0]
  let end = 0;
  let pos = 0;
  const parser = new Parser(path, onFrame, maxCaplen, maxBlock);
  try {
    // Sniff the first bytes for gzip.
    try {
      while (end < 2) {
        const n = await src.read(buf, end, buf.length - end);
        if (n === 0) break;
        end += n;
      }
    } catch (e) {
      throw new CaptureError(path, 0, ioProblem(e));
    }
    if (end >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      gzip = true;
      src = new GzipSource(fh, Buffer.from(buf.subarray(0, end)), path, Math.max(64, Math.min(bufferSize, 1 << 20)));
      end = 0;
    }

    let eof = false;
    let first = !gzip; // the sniffed bytes are already in the buffer
    for (;;) {
      if (!first) {
        let n: number;
        try {
          n = await src.read(buf, end, buf.length - end);
        } catch (e) {
          if (e instanceof CaptureError) throw new CaptureError(path, base + end, `${e.problem} (after ${base + end} decompressed bytes)`);
          throw new CaptureError(path, base + end, `read error at byte ${base + end}: ${ioProblem(e)}`);
        }
        if (n === 0) eof = true;
        end += n;
      }
      first = false;
      pos = parser.parse(buf, pos, end, base);
      if (eof) break;
      if (pause !== undefined) {
        const wait = pause();
        if (wait !== undefined) await wait;
      }
      if (pos > 0) {
        // Move the partial record (at most one record) to the front so the next read is a large one.
        if (pos < end) buf.copy(buf, 0, pos, end);
        base += pos;
        end -= pos;
        pos = 0;
      } else if (end === buf.length) {
        // A single record larger than the buffer: grow to fit it (bounded by maxCaplen / maxBlock, which
        // the parser has already checked).
        const grown = Buffer.allocUnsafe(Math.max(parser.need, buf.length + 1));
        buf.copy(grown, 0, 0, end);
        buf = grown;
      }
    }

    const rest = end - pos;
    if (!parser.headerDone) {
      if (base + end === 0) throw new CaptureError(path, 0, gzip ? 'empty gzip stream, not a capture' : 'empty file, not a capture');
      const what = parser.phase === Phase.Pcapng ? 'pcapng section header' : 'capture header';
      throw new CaptureError(path, base + end,
        `file too short: ${what} incomplete (${base + end} bytes${gzip ? ' after decompression' : ''})`);
    }
    let truncated = false;
    if (rest > 0) {
      truncated = true;
      warn(`capture cut short: the last record at byte ${base + pos} is incomplete (${rest} of ${parser.need > rest ? parser.need : '?'} bytes); analysed the ${parser.frames} whole record(s) before it`);
    }
    if (src.cutShort) {
      truncated = true;
      warn('gzip stream cut short (unexpected end of compressed data)');
    }
    for (const w of parser.anomalies()) warn(w);
    return { format: parser.format, gzip, frames: parser.frames, bytes: parser.bytes, truncated, linkTypes: parser.linkTypes };
  } finally {
    await src.close().catch(() => undefined);
  }
}
