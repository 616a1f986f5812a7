/**
 * Robustness: thousands of truncated and mutated captures made from every fixture with a seeded PRNG (byte
 * flips, corrupted length fields, cuts at random offsets, inserted/deleted bytes, gzip-level damage). Each one
 * must end, within a time bound, either with a report (a verdict of the four, frames counted, warnings as
 * strings) or with a CaptureError naming the file and an offset; never another exception, never a hang, and
 * the whole run stays within a memory bound. A subset also goes through the CLI: exit 0/1 with JSON, or exit 2
 * with exactly one stderr line and no stack trace.
 *
 * Reproduce a failure: the message names the fixture, mutant number and kind; SEED is fixed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { Expected, cliArgs, libraryOptions, loadFixtures, runCliInProcess, tmpDir } from './helpers/fixtures';

const SEED = 0x5eed2026;
const MUTANTS_PER_FIXTURE = 170;
const CLI_EVERY = 12; // one mutant in 12 also through the CLI
const TIME_BOUND_MS = 3000; // per file (they are a few KB; generous for a loaded 2-core machine)
const RSS_GROWTH_BOUND = 256 * 1024 * 1024;
const VERDICTS = ['encrypted', 'cleartext', 'partial', 'inconclusive'];

/** mulberry32: small, seedable, good enough to pick offsets. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of length fields: pcap record caplen/origlen, pcapng block total lengths and EPB caplen/origlen. */
function lengthFields(b: Buffer): { off: number; le: boolean; value: number }[] {
  const out: { off: number; le: boolean; value: number }[] = [];
  if (b.length < 24) return out;
  const m = b.readUInt32LE(0);
  if (m === 0x0a0d0d0a) {
    let le = b.readUInt32LE(8) === 0x1a2b3c4d;
    for (let off = 0; off + 12 <= b.length;) {
      if (b.readUInt32LE(off) === 0x0a0d0d0a && off + 12 <= b.length) le = b.readUInt32LE(off + 8) === 0x1a2b3c4d;
      const rd = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
      const type = rd(off);
      const len = rd(off + 4);
      out.push({ off: off + 4, le, value: len });
      if (len >= 12 && off + len <= b.length) out.push({ off: off + len - 4, le, value: len });
      if (type === 6 && off + 28 <= b.length) out.push({ off: off + 20, le, value: rd(off + 20) }, { off: off + 24, le, value: rd(off + 24) });
      if (len < 12 || len % 4 !== 0) break;
      off += len;
    }
    return out;
  }
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34;
  const modified = m === 0xa1b2cd34 || m === 0x34cdb2a1;
  const rd = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  out.push({ off: 16, le, value: rd(16) }); // snaplen
  for (let off = 24; off + 16 <= b.length;) {
    const cap = rd(off + 8);
    out.push({ off: off + 8, le, value: cap }, { off: off + 12, le, value: rd(off + 12) });
    off += (modified ? 24 : 16) + cap;
  }
  return out;
}

type Kind = 'flip' | 'length' | 'truncate' | 'flip+truncate' | 'insert' | 'delete' | 'gzip-bytes';

function mutate(src: Buffer, rnd: () => number, kind: Kind): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(src);
  switch (kind) {
    case 'flip':
    case 'gzip-bytes': {
      const n = 1 + int(8);
      for (let i = 0; i < n && b.length > 0; i++) b[int(b.length)] ^= 1 + int(255);
      return b;
    }
    case 'length': {
      const fields = lengthFields(b);
      if (fields.length === 0) return mutate(src, rnd, 'flip');
      const f = fields[int(fields.length)];
      const choices = [0, 1, 3, 11, 12, f.value - 1, f.value + 1, f.value + 4, f.value * 2, 0x7fffffff, 0xffffffff, 262144, 262145, 16 * 1024 * 1024 + 4, int(0x100000000)];
      const v = choices[int(choices.length)] >>> 0;
      if (f.le) b.writeUInt32LE(v, f.off);
      else b.writeUInt32BE(v, f.off);
      return b;
    }
    case 'truncate':
      return b.subarray(0, int(b.length));
    case 'flip+truncate':
      return mutate(mutate(src, rnd, 'flip'), rnd, 'truncate');
    case 'insert': {
      const at = int(b.length + 1);
      const junk = Buffer.alloc(1 + int(64));
      for (let i = 0; i < junk.length; i++) junk[i] = int(256);
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    }
    case 'delete': {
      const at = int(b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(64)))]);
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = { verifyCapture: (p: string, o: any) => Promise<any>; CaptureError: new (...a: any[]) => Error };

describe('verifier robustness: truncated and mutated captures', function () {
  this.timeout(900_000);

  it(`${MUTANTS_PER_FIXTURE} mutants of every fixture end with a report or a CaptureError, in time and memory`, async () => {
    const lib = require('../../components/verifier') as Lib; // eslint-disable-line @typescript-eslint/no-require-imports
    const fixtures = loadFixtures();
    const dir = tmpDir('robustness-');
    const rnd = prng(SEED);
    const counts = { mutants: 0, reports: 0, captureErrors: 0, cli: 0, cliExit: { 0: 0, 1: 0, 2: 0 } as Record<number, number>, byKind: {} as Record<string, number> };
    const problems: string[] = [];
    let maxMs = 0;
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    try {
      for (const e of fixtures) {
        const original = fs.readFileSync(e.path);
        const gz = e.capture.endsWith('.gz');
        const plain = gz ? zlib.gunzipSync(original) : original;
        const run = e.runs.find((r) => r.options.xfrm || r.options.keys) ?? e.runs[e.runs.length - 1];
        const opts = libraryOptions({ ...run.options, nonce: e.nonce });
        const kinds: Kind[] = ['flip', 'length', 'truncate', 'flip+truncate', 'insert', 'delete', ...(gz ? ['gzip-bytes' as Kind] : [])];
        for (let i = 0; i < MUTANTS_PER_FIXTURE; i++) {
          const kind = kinds[i % kinds.length];
          let bytes: Buffer;
          if (kind === 'gzip-bytes') bytes = mutate(original, rnd, kind);
          else bytes = gz ? zlib.gzipSync(mutate(plain, rnd, kind)) : mutate(plain, rnd, kind);
          const file = path.join(dir, `${e.name}-${i}${gz ? '.pcap.gz' : ''}`);
          fs.writeFileSync(file, bytes);
          counts.mutants++;
          counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
          const id = `${e.name} mutant ${i} (${kind}, ${bytes.length} bytes)`;
          const t0 = process.hrtime.bigint();
          try {
            const report = await lib.verifyCapture(file, opts);
            counts.reports++;
            if (!VERDICTS.includes(report.verdict)) problems.push(`${id}: verdict ${JSON.stringify(report.verdict)}`);
            if (!Number.isInteger(report.frames) || report.frames < 0) problems.push(`${id}: frames ${report.frames}`);
            if (!Array.isArray(report.warnings) || report.warnings.some((w: unknown) => typeof w !== 'string')) problems.push(`${id}: warnings not string[]`);
            // a pcap cut after its file header is analysed up to the last whole record, never an error
          } catch (err) {
            const ce = err as { name?: string; file?: string; offset?: number; message?: string };
            if (err instanceof lib.CaptureError || ce.name === 'CaptureError') {
              counts.captureErrors++;
              if (ce.file !== file || !Number.isInteger(ce.offset) || !ce.message) problems.push(`${id}: CaptureError without file/offset/message: ${JSON.stringify(ce)}`);
              if (kind === 'truncate' && !gz && e.reader.format === 'pcap' && bytes.length >= 24) problems.push(`${id}: a pcap cut after its header must be analysed, not rejected: ${ce.message}`);
            } else {
              problems.push(`${id}: ${(err as Error)?.stack ?? String(err)}`);
            }
          }
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          maxMs = Math.max(maxMs, ms);
          if (ms > TIME_BOUND_MS) problems.push(`${id}: took ${ms.toFixed(0)} ms (bound ${TIME_BOUND_MS} ms)`);
          if (i % CLI_EVERY === 0) {
            counts.cli++;
            const r = await runCliInProcess([file, '--json', '--nonce', e.nonce, ...cliArgs(run.options)]);
            counts.cliExit[r.code] = (counts.cliExit[r.code] ?? 0) + 1;
            if (r.code === 2) {
              const lines = r.stderr.split('\n').filter(Boolean);
              if (lines.length !== 1 || !lines[0].startsWith('verify: ') || /\n\s+at /.test(r.stderr)) problems.push(`${id}: CLI exit 2 must print one "verify: ..." line, printed ${JSON.stringify(r.stderr)}`);
            } else if (r.code === 0 || r.code === 1) {
              try { JSON.parse(r.stdout); } catch { problems.push(`${id}: CLI exit ${r.code} without one JSON object on stdout`); }
            } else {
              problems.push(`${id}: CLI exit ${r.code}: ${r.stderr}`);
            }
          }
          fs.rmSync(file);
          if (counts.mutants % 50 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
    console.log(`      ${counts.mutants} mutated captures (${Object.entries(counts.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}): `
      + `${counts.reports} reports, ${counts.captureErrors} CaptureErrors; CLI ${counts.cli} runs (exit 0: ${counts.cliExit[0] ?? 0}, 1: ${counts.cliExit[1] ?? 0}, 2: ${counts.cliExit[2] ?? 0}); `
      + `slowest ${maxMs.toFixed(1)} ms; RSS ${(rss0 / 2 ** 20).toFixed(0)} -> max ${(rssMax / 2 ** 20).toFixed(0)} MB`);
    assert.ok(counts.mutants >= 3000, `only ${counts.mutants} mutants`);
    assert.ok(rssMax - rss0 < RSS_GROWTH_BOUND, `RSS grew by ${((rssMax - rss0) / 2 ** 20).toFixed(0)} MB`);
    assert.deepEqual(problems.slice(0, 30), [], `${problems.length} problems`);
  });

  it('hostile headers: huge record lengths are rejected without allocating them', async () => {
    const lib = require('../../components/verifier') as Lib; // eslint-disable-line @typescript-eslint/no-require-imports
    const dir = tmpDir('robustness-hostile-');
    try {
      const e: Expected = loadFixtures().find((x) => x.name === 'cilium117-encrypted')!;
      const b = Buffer.from(fs.readFileSync(e.path));
      b.writeUInt32LE(0xfffffff0, 24 + 8); // first record's caplen
      const file = path.join(dir, 'huge.pcap');
      fs.writeFileSync(file, b);
      const before = process.memoryUsage().rss;
      await assert.rejects(lib.verifyCapture(file, {}), (err: Error & { offset?: number }) => err.name === 'CaptureError' && err.offset !== undefined);
      assert.ok(process.memoryUsage().rss - before < 64 * 2 ** 20);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
