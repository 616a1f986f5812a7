/**
 * One-off throughput figure for the analyzer alone (not a test; scripts/bench.ts measures the whole verifier
 * against tshark on a large file and is too heavy for a shared machine).
 *   npx ts-node --transpile-only test/verifier/analyze/measure-analyzer.ts [ROUNDS] [ANALYZER_MODULE]
 * Loads every scapy fixture into memory once (frames copied out of the reader), then feeds all of them to one
 * Analyzer per fixture ROUNDS times (default 4000; each round 20 s later), with the fixture's xfrm keys and the
 * nonce, and prints
 * frames per CPU second (user + system: less sensitive to other processes on a shared machine than wall time):
 * decoding, flow tables, decryption and the collectors, without file I/O. ANALYZER_MODULE (a path to another
 * copy of analyze/analyzer.ts, e.g. an older checkout) measures that one instead, for a before/after figure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as analyzerModule from '../../../components/verifier/analyze/analyzer';
import { readCapture } from '../../../components/verifier/capture';
import type { Frame } from '../../../components/verifier/capture';
import { parseXfrmState } from '../../../components/verifier/crypto/xfrm';
import { CAPTURES, loadFixtures } from '../helpers/fixtures';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 4000);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Analyzer } = (process.argv[3] ? require(path.resolve(process.argv[3])) : analyzerModule) as typeof analyzerModule;
  const sets: { frames: Frame[]; baseSec: number[]; xfrm: ReturnType<typeof parseXfrmState>; nonce: string; podCidrs?: string[] }[] = [];
  for (const e of loadFixtures()) {
    if (e.frames === 0) continue;
    const frames: Frame[] = [];
    await readCapture(e.path, (f) => {
      frames.push({ ...f, buf: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)), offset: 0 });
    });
    const xfrm = e.xfrm ? parseXfrmState(fs.readFileSync(path.join(CAPTURES, e.xfrm), 'utf8')) : [];
    const podCidrs = e.runs.find((r) => r.options.podCidrs)?.options.podCidrs;
    sets.push({ frames, baseSec: frames.map((f) => f.tsSec), xfrm, nonce: e.nonce, podCidrs });
  }
  const total = sets.reduce((n, s) => n + s.frames.length, 0);
  for (let trial = 0; trial < 3; trial++) {
    const t0 = process.cpuUsage();
    for (const s of sets) {
      const a = new Analyzer({ xfrm: s.xfrm, nonce: s.nonce, ...(s.podCidrs ? { podCidrs: s.podCidrs } : {}) });
      // each round 20 s later (the longest fixture spans 10 s): time goes forward as in a real capture
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < s.frames.length; i++) {
          const f = s.frames[i];
          f.tsSec = s.baseSec[i] + r * 20;
          a.addFrame(f);
        }
      }
      a.report({ format: 'pcap', gzip: false, frames: 0, bytes: 0, truncated: false, linkTypes: [1] }, []);
    }
    const used = process.cpuUsage(t0);
    const secs = (used.user + used.system) / 1e6;
    console.log(`${total * rounds} frames in ${secs.toFixed(2)} CPU s: ${(total * rounds / secs / 1e3).toFixed(0)} k frames per CPU second`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
