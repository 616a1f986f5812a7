import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { CaptureError, CaptureSummary, Frame, readCapture } from '../../../components/verifier/capture';
import {
  block, epb, idb, isb, payload, pb, pcapFile, PcapFlavour, pcapHeader, pcapRecord, shb, spb,
} from '../../helpers/pcap-writer';

interface Got {
  index: number; linkType: number; data: Buffer; caplen: number; origLen: number; tsSec: number; tsNsec: number;
  interfaceId: number;
}

let dir: string;
let seq = 0;

function write(content: Buffer, ext = '.pcap'): string {
  const p = path.join(dir, `f${++seq}${ext}`);
  fs.writeFileSync(p, content);
  return p;
}

async function read(file: string, opts: { bufferSize?: number; maxCaplen?: number } = {}):
  Promise<{ frames: Got[]; summary: CaptureSummary; warnings: string[] }> {
  const frames: Got[] = [];
  const warnings: string[] = [];
  const summary = await readCapture(file, (f: Frame) => {
    frames.push({
      index: f.index, linkType: f.linkType, data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)),
      caplen: f.caplen, origLen: f.origLen, tsSec: f.tsSec, tsNsec: f.tsNsec, interfaceId: f.interfaceId,
    });
  }, { ...opts, onWarning: (w) => warnings.push(w) });
  return { frames, summary, warnings };
}

async function rejects(file: string, re: RegExp, opts: { bufferSize?: number; maxCaplen?: number } = {}):
  Promise<CaptureError> {
  try {
    await readCapture(file, () => undefined, opts);
  } catch (e) {
    assert.ok(e instanceof CaptureError, `expected CaptureError, got ${(e as Error).stack}`);
    assert.equal(e.file, file);
    assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${file} to be rejected (${re})`);
}

/** Expected split of a timestamp in `units` per second (independent BigInt arithmetic). */
function split(ts: bigint, units: bigint): { sec: number; nsec: number } {
  return { sec: Number(ts / units), nsec: Number(((ts % units) * 1000000000n) / units) };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-capture-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

// Three records of different sizes, including an odd length and an empty one.
const RECORDS = [
  { sec: 1700000000, sub: 123456, data: payload(60, 1) },
  { sec: 1700000001, sub: 999999, data: payload(1514, 2), origLen: 9000 },
  { sec: 4000000000, sub: 0, data: payload(0, 3) },
  { sec: 1700000002, sub: 7, data: payload(77, 4) },
];

describe('verifier capture reader: pcap', () => {
  const cases: { le: boolean; flavour: PcapFlavour }[] = [
    { le: true, flavour: 'usec' }, { le: false, flavour: 'usec' },
    { le: true, flavour: 'nsec' }, { le: false, flavour: 'nsec' },
    { le: true, flavour: 'modified' }, { le: false, flavour: 'modified' },
  ];
  for (const c of cases) {
    it(`reads ${c.le ? 'little' : 'big'}-endian ${c.flavour} pcap: bytes, lengths, timestamps, link type`, async () => {
      const file = write(pcapFile({ ...c, network: 101, records: RECORDS }));
      const { frames, summary, warnings } = await read(file);
      assert.deepEqual(warnings.filter((w) => !/original length below/.test(w)), []);
      assert.equal(frames.length, RECORDS.length);
      frames.forEach((f, i) => {
        const r = RECORDS[i];
        assert.equal(f.index, i + 1);
        assert.equal(f.linkType, 101);
        assert.ok(f.data.equals(r.data), `frame ${i + 1} bytes`);
        assert.equal(f.caplen, r.data.length);
        assert.equal(f.origLen, r.origLen ?? r.data.length);
        assert.equal(f.tsSec, r.sec);
        assert.equal(f.tsNsec, c.flavour === 'nsec' ? r.sub : r.sub * 1000);
        assert.equal(f.interfaceId, 0);
      });
      assert.deepEqual(summary, {
        format: 'pcap', gzip: false, frames: 4, bytes: 60 + 1514 + 0 + 77, truncated: false, linkTypes: [101],
      });
    });
  }

  it('masks the FCS bits out of the link type (LT_LINKTYPE)', async () => {
    const file = write(pcapFile({ le: true, network: 0x14000001, records: RECORDS.slice(0, 1) }));
    const { frames, summary } = await read(file);
    assert.equal(frames[0].linkType, 1);
    assert.deepEqual(summary.linkTypes, [1]);
  });

  it('a header-only pcap has no frames and is not truncated', async () => {
    const { frames, summary, warnings } = await read(write(pcapHeader({ le: true })));
    assert.equal(frames.length, 0);
    assert.equal(summary.truncated, false);
    assert.deepEqual(summary.linkTypes, [1]);
    assert.deepEqual(warnings, []);
  });

  it('warns (does not fail) when records exceed the header snaplen', async () => {
    const file = write(pcapFile({ le: true, snaplen: 100, records: RECORDS }));
    const { frames, warnings } = await read(file);
    assert.equal(frames.length, 4);
    assert.ok(warnings.some((w) => /1 record\(s\) longer than the snaplen/.test(w)), warnings.join('; '));
  });

  it('accepts a record of exactly the maximum caplen (262144), rejects one byte more with its offset', async () => {
    const big = payload(262144, 9);
    const ok = write(pcapFile({ le: true, records: [RECORDS[0], { sec: 1, sub: 2, data: big }] }));
    const { frames } = await read(ok, { bufferSize: 4096 });
    assert.equal(frames.length, 2);
    assert.ok(frames[1].data.equals(big));

    const offset = 24 + 16 + 60;
    const bad = write(Buffer.concat([pcapHeader({ le: false }), pcapRecord(RECORDS[0], false),
      pcapRecord({ sec: 1, sub: 2, data: payload(100, 1), caplenField: 262145 }, false)]));
    const err = await rejects(bad, new RegExp(`impossible record length 262145 at byte ${offset}\\b`));
    assert.equal(err.offset, offset);
  });

  it('maxCaplen bounds the record length', async () => {
    const file = write(pcapFile({ le: true, records: RECORDS }));
    await rejects(file, /impossible record length 1514 at byte 100 \(maximum 1000\)/, { maxCaplen: 1000 });
  });

  it('rejects a pcap version other than 2.x', async () => {
    await rejects(write(pcapHeader({ le: true, major: 1 })), /unsupported pcap version 1\.4/);
  });
});

describe('verifier capture reader: pcapng', () => {
  // Section 1 (little-endian): eth (usec default), raw IP (nsec), SLL2 (2^-10 s + offset).
  // Section 2 (big-endian): interfaces renumbered from 0: SLL (10^-3), IPv4 (2^-30, BigInt path), unknown block,
  // SPB on interface 0, obsolete PB, ISB (known, ignored).
  const ts1 = 1700000000123456n;               // usec
  const ts2 = 1700000000123456789n;            // nsec: above 2^53
  const ts3 = (1700000000n << 10n) + 1023n;    // 2^-10
  const ts4 = 1700000000999n;                  // msec
  const ts5 = (1700000000n << 30n) + 12345n;   // 2^-30
  const s1le = true;
  const s2le = false;
  const d = [payload(60, 11), payload(98, 12), payload(1400, 13), payload(42, 14), payload(20, 15), payload(333, 16),
    payload(64, 17)];
  const file = Buffer.concat([
    shb(s1le, 'section one'),
    idb(s1le, { linkType: 1, snaplen: 262144 }),
    idb(s1le, { linkType: 101, snaplen: 0, tsresol: 9 }),
    epb(s1le, { ifId: 0, ts: ts1, data: d[0], comment: 'hello' }),
    epb(s1le, { ifId: 1, ts: ts2, data: d[1], origLen: 1500 }),
    idb(s1le, { linkType: 276, snaplen: 65535, tsresol: 0x80 | 10, tsoffset: 100n }),
    epb(s1le, { ifId: 2, ts: ts3, data: d[2] }),
    shb(s2le),
    idb(s2le, { linkType: 113, snaplen: 50, tsresol: 3 }),
    idb(s2le, { linkType: 228, tsresol: 0x80 | 30 }),
    epb(s2le, { ifId: 0, ts: ts4, data: d[3] }),
    block(0x0bad0bad, Buffer.from('whatever'), s2le),
    epb(s2le, { ifId: 1, ts: ts5, data: d[4] }),
    spb(s2le, { data: d[5].subarray(0, 50), origLen: 333 }), // snapped to the IDB snaplen 50
    pb(s2le, { ifId: 1, ts: ts5 + 1n, data: d[6] }),
    isb(s2le),
  ]);
  const expected = [
    { linkType: 1, ifId: 0, ts: split(ts1, 1000000n), data: d[0], origLen: 60 },
    { linkType: 101, ifId: 1, ts: split(ts2, 1000000000n), data: d[1], origLen: 1500 },
    { linkType: 276, ifId: 2, ts: { ...split(ts3, 1024n), sec: Number(ts3 >> 10n) + 100 }, data: d[2], origLen: 1400 },
    { linkType: 113, ifId: 0, ts: split(ts4, 1000n), data: d[3], origLen: 42 },
    { linkType: 228, ifId: 1, ts: split(ts5, 1n << 30n), data: d[4], origLen: 20 },
    { linkType: 113, ifId: 0, ts: { sec: 0, nsec: 0 }, data: d[5].subarray(0, 50), origLen: 333 },
    { linkType: 228, ifId: 1, ts: split(ts5 + 1n, 1n << 30n), data: d[6], origLen: 64 },
  ];

  function check(frames: Got[], summary: CaptureSummary, gzip: boolean): void {
    assert.equal(frames.length, expected.length);
    frames.forEach((f, i) => {
      const e = expected[i];
      const where = `frame ${i + 1}`;
      assert.equal(f.index, i + 1, where);
      assert.equal(f.linkType, e.linkType, where);
      assert.equal(f.interfaceId, e.ifId, where);
      assert.ok(f.data.equals(e.data), `${where} bytes`);
      assert.equal(f.caplen, e.data.length, where);
      assert.equal(f.origLen, e.origLen, where);
      assert.deepEqual({ sec: f.tsSec, nsec: f.tsNsec }, e.ts, where);
    });
    assert.deepEqual(summary, {
      format: 'pcapng', gzip, frames: expected.length, bytes: expected.reduce((a, e) => a + e.data.length, 0),
      truncated: false, linkTypes: [1, 101, 276, 113, 228],
    });
  }

  it('reads several sections with different byte orders, interfaces, link types and resolutions', async () => {
    const { frames, summary, warnings } = await read(write(file, '.pcapng'));
    check(frames, summary, false);
    assert.deepEqual(warnings, ['skipped 1 unknown pcapng block(s) (type 0xbad0bad)']);
  });

  it('spot-check of the expected timestamps (guards the expectation itself)', () => {
    assert.deepEqual(expected[1].ts, { sec: 1700000000, nsec: 123456789 });
    assert.deepEqual(expected[2].ts, { sec: 1700000100, nsec: 999023437 });
    assert.deepEqual(expected[3].ts, { sec: 1700000000, nsec: 999000000 });
  });

  it('reads the same file gzip-compressed', async () => {
    const { frames, summary } = await read(write(zlib.gzipSync(file), '.pcapng.gz'));
    check(frames, summary, true);
  });

  it('gives the same frames at every read-buffer size (records straddling chunk boundaries)', async () => {
    const f = write(file, '.pcapng');
    const g = write(zlib.gzipSync(file), '.pcapng.gz');
    for (const bufferSize of [4, 5, 7, 8, 13, 28, 64, 100, 1000, 1499]) {
      const a = await read(f, { bufferSize });
      check(a.frames, a.summary, false);
      const b = await read(g, { bufferSize });
      check(b.frames, b.summary, true);
    }
  });

  it('fails when the trailing block length differs from the leading one, naming the offset', async () => {
    const bad = Buffer.concat([shb(true), idb(true, { linkType: 1 }), block(6, Buffer.alloc(40), true, 48)]);
    const at = bad.length - 4;
    const err = await rejects(write(bad, '.pcapng'), /trailing length 48 differs from leading length 52/);
    assert.equal(err.offset, at);
  });

  it('fails on impossible block lengths (not a multiple of 4, below 12, above 16 MiB)', async () => {
    const head = Buffer.concat([shb(true), idb(true, { linkType: 1 })]);
    for (const len of [13, 8, 0, 17 * 1024 * 1024, 0xfffffffc]) {
      const b = Buffer.concat([head, Buffer.from([6, 0, 0, 0]), Buffer.from(Uint32Array.of(len).buffer), Buffer.alloc(64)]);
      const err = await rejects(write(b, '.pcapng'), new RegExp(`impossible pcapng block length ${len} at byte ${head.length}`));
      assert.equal(err.offset, head.length);
    }
  });

  it('fails on an EPB whose caplen exceeds the maximum or its block', async () => {
    const head = Buffer.concat([shb(false), idb(false, { linkType: 1 })]);
    await rejects(write(Buffer.concat([head, epb(false, { ifId: 0, ts: 1n, data: payload(8, 1), caplenField: 262145 })]),
      '.pcapng'), new RegExp(`impossible record length 262145 at byte ${head.length}`));
    await rejects(write(Buffer.concat([head, epb(false, { ifId: 0, ts: 1n, data: payload(8, 1), caplenField: 9 })]),
      '.pcapng'), /captured length 9 exceeds the block/);
  });

  it('fails on a packet for an interface that has no IDB (interfaces reset per section)', async () => {
    const b = Buffer.concat([shb(true), idb(true, { linkType: 1 }), shb(true), epb(true, { ifId: 0, ts: 1n, data: payload(8, 1) })]);
    await rejects(write(b, '.pcapng'), /names interface 0, which has no description block/);
    await rejects(write(Buffer.concat([shb(true), spb(true, { data: payload(8, 1) })]), '.pcapng'),
      /simple packet block .* before any interface description block/);
  });

  it('fails on a bad byte-order magic and on an unsupported major version', async () => {
    const s = shb(true);
    const badBom = Buffer.from(s);
    badBom.writeUInt32LE(0x12345678, 8);
    await rejects(write(badBom, '.pcapng'), /bad byte-order magic/);
    const v2 = Buffer.from(s);
    v2.writeUInt16LE(2, 12);
    await rejects(write(v2, '.pcapng'), /unsupported pcapng version 2/);
  });
});

describe('verifier capture reader: bad and cut-short input', () => {
  it('rejects a missing file, a directory, an empty file, a text file and random bytes', async () => {
    await rejects(path.join(dir, 'nope.pcap'), /no such file/);
    await rejects(dir, /is a directory/);
    await rejects(write(Buffer.alloc(0)), /empty file, not a capture/);
    await rejects(write(Buffer.from('hello, this is not a capture\n')), /not a pcap or pcapng capture \(magic 0x68656c6c\)/);
    await rejects(write(payload(5000, 77)), /not a pcap or pcapng capture/);
    await rejects(write(zlib.gzipSync(Buffer.from('plain text inside gzip'))), /not a pcap or pcapng capture/);
    await rejects(write(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff])), /gzip|not a capture|too short/);
  });

  it('gzip: a fatal record inside the stream, a corrupt CRC, and a pipe (FIFO) as input', async () => {
    const bad = Buffer.concat([pcapHeader({ le: true }), pcapRecord(RECORDS[0], true),
      pcapRecord({ sec: 1, sub: 1, data: payload(10, 1), caplenField: 300000 }, true), payload(100000, 3)]);
    const err = await rejects(write(zlib.gzipSync(bad), '.pcap.gz'), /impossible record length 300000 at byte 100\b/);
    assert.equal(err.offset, 100);
    const gz = zlib.gzipSync(pcapFile({ le: true, records: RECORDS }));
    gz[gz.length - 8] ^= 0xff; // CRC32 of the trailer
    await rejects(write(gz, '.pcap.gz'), /gzip: incorrect data check/);

    const fifo = path.join(dir, 'fifo.pcap.gz');
    execFileSync('mkfifo', [fifo]);
    const source = write(zlib.gzipSync(pcapFile({ le: false, records: RECORDS })), '.pcap.gz');
    const feeder = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, fifo]);
    const exited = new Promise((resolve) => feeder.once('exit', resolve));
    const { frames, summary } = await read(fifo, { bufferSize: 100 });
    await exited;
    assert.equal(frames.length, RECORDS.length);
    assert.ok(frames[1].data.equals(RECORDS[1].data));
    assert.equal(summary.gzip, true);
  });

  /**
   * Cuts a file at every byte offset. Expect: a CaptureError while the global header is incomplete; after that,
   * exactly the records that are whole before the cut, truncated=true with one warning unless the cut falls on a
   * record boundary. Never another exception, never a hang.
   */
  async function cutEverywhere(full: Buffer, headerLen: number, boundaries: number[], ext: string,
    gz: boolean): Promise<void> {
    const src = gz ? zlib.gzipSync(full) : full;
    for (let cut = 0; cut <= src.length; cut++) {
      const file = write(src.subarray(0, cut), ext);
      let res: Awaited<ReturnType<typeof read>>;
      try {
        res = await read(file, { bufferSize: 64 });
      } catch (e) {
        assert.ok(e instanceof CaptureError, `cut at ${cut}: ${(e as Error).stack}`);
        if (!gz) assert.ok(cut < headerLen, `cut at ${cut}: unexpected CaptureError ${e.message}`);
        assert.match(e.message, /too short|empty|gzip|not a capture/);
        fs.unlinkSync(file);
        continue;
      }
      fs.unlinkSync(file);
      const { frames, summary, warnings } = res;
      if (gz) {
        // We do not know where the decompressed data stops; it must be a prefix and flagged when cut.
        assert.ok(frames.length <= boundaries.length, `cut ${cut}`);
        assert.equal(summary.truncated, cut < src.length, `cut ${cut}`);
        continue;
      }
      assert.ok(cut >= headerLen, `cut at ${cut} inside the header was accepted`);
      const whole = boundaries.filter((b) => b <= cut).length;
      assert.equal(frames.length, whole, `cut at ${cut}`);
      const onBoundary = cut === headerLen || boundaries.includes(cut);
      assert.equal(summary.truncated, !onBoundary, `cut at ${cut}`);
      assert.equal(warnings.filter((w) => /cut short/.test(w)).length, onBoundary ? 0 : 1, `cut at ${cut}: ${warnings}`);
    }
  }

  function ends(parts: Buffer[], from: number): number[] {
    const out: number[] = [];
    let at = from;
    for (const p of parts) {
      at += p.length;
      out.push(at);
    }
    return out;
  }

  for (const gz of [false, true]) {
    it(`cut at every byte: pcap${gz ? ' (gzip)' : ''}`, async () => {
      // The gzip variant decompresses ~1 file per cut: keep it small.
      const recs = (gz ? [RECORDS[0], RECORDS[2], RECORDS[3]] : RECORDS).map((r) => pcapRecord(r, true, 'modified'));
      const full = Buffer.concat([pcapHeader({ le: true, flavour: 'modified' }), ...recs]);
      await cutEverywhere(full, 24, ends(recs, 24), '.pcap', gz);
    });

    it(`cut at every byte: pcapng${gz ? ' (gzip)' : ''}`, async () => {
      const head = shb(false, 'x');
      const blocks = [idb(false, { linkType: 1, tsresol: 9 }), epb(false, { ifId: 0, ts: 5n, data: payload(61, 1) }),
        shb(true), idb(true, { linkType: 113 }), spb(true, { data: payload(30, 2) }),
        epb(true, { ifId: 0, ts: 7n, data: payload(3, 3) })];
      const full = Buffer.concat([head, ...blocks]);
      // Frame boundaries are the ends of the packet blocks; a cut at the end of a non-packet block is clean too.
      const all = ends(blocks, head.length);
      const packetEnds = [all[1], all[4], all[5]];
      const cleanCuts = new Set(all);
      for (let cut = 0; cut <= full.length && !gz; cut++) {
        const file = write(full.subarray(0, cut), '.pcapng');
        try {
          const { frames, summary } = await read(file, { bufferSize: 16 });
          assert.ok(cut >= head.length, `cut ${cut} inside the first SHB was accepted`);
          assert.equal(frames.length, packetEnds.filter((b) => b <= cut).length, `cut ${cut}`);
          assert.equal(summary.truncated, !(cut === head.length || cleanCuts.has(cut)), `cut ${cut}`);
        } catch (e) {
          assert.ok(e instanceof CaptureError, `cut ${cut}: ${(e as Error).stack}`);
          assert.ok(cut < head.length, `cut ${cut}: ${e.message}`);
        }
        fs.unlinkSync(file);
      }
      if (gz) await cutEverywhere(full, head.length, packetEnds, '.pcapng', true);
    });
  }
});

describe('verifier capture reader: large input', function () {
  this.timeout(120000);

  it('reads a ~200 MB pcap with bounded memory (RSS grows far less than the file)', async () => {
    // 1500-byte frames, written in 8 MiB pieces; the reader must not hold the file.
    const file = path.join(dir, 'big.pcap');
    const frameLen = 1500;
    const rec = pcapRecord({ sec: 1, sub: 2, data: payload(frameLen, 5) }, true);
    const perPiece = Math.floor((8 << 20) / rec.length);
    const piece = Buffer.concat(Array.from({ length: perPiece }, () => rec));
    const pieces = 25;
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, pcapHeader({ le: true }));
    for (let i = 0; i < pieces; i++) fs.writeSync(fd, piece);
    fs.closeSync(fd);
    const size = fs.statSync(file).size;
    assert.ok(size > 200e6, `file is ${size} bytes`);

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const hash = crypto.createHash('sha1');
    let n = 0;
    const summary = await readCapture(file, (f) => {
      if (++n % 20000 === 0) {
        peak = Math.max(peak, process.memoryUsage().rss);
        hash.update(f.buf.subarray(f.offset, f.offset + f.caplen));
      }
    });
    peak = Math.max(peak, process.memoryUsage().rss);
    fs.unlinkSync(file);
    assert.equal(summary.frames, perPiece * pieces);
    assert.equal(summary.bytes, perPiece * pieces * frameLen);
    assert.equal(summary.truncated, false);
    const grewMB = (peak - before) / 1e6;
    assert.ok(grewMB < 64, `RSS grew ${grewMB.toFixed(1)} MB reading a ${(size / 1e6).toFixed(0)} MB file`);
  });
});
