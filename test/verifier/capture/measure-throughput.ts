/**
 * One-off measurement of the capture reader alone (not a test; scripts/bench.ts measures the whole verifier).
 *   npx ts-node --transpile-only test/verifier/capture/measure-throughput.ts [FILE] [FRAMES] [FRAME_LEN]
 * Writes FILE (default /tmp/reader-bench.pcap, 760k frames of 1500 bytes, ~1.15 GB) unless it already has the
 * expected size, reads it once to warm the page cache, then reads it 3 times and prints frames/s and MB/s.
 */
import * as fs from 'node:fs';
import { readCapture } from '../../../components/verifier/capture';
import { pcapHeader, pcapRecord, payload } from '../../helpers/pcap-writer';

async function main(): Promise<void> {
  const file = process.argv[2] ?? '/tmp/reader-bench.pcap';
  const frames = Number(process.argv[3] ?? 760000);
  const frameLen = Number(process.argv[4] ?? 1500);
  const rec = pcapRecord({ sec: 1700000000, sub: 1, data: payload(frameLen, 1) }, true);
  const size = 24 + frames * rec.length;
  if (!fs.existsSync(file) || fs.statSync(file).size !== size) {
    const per = Math.max(1, Math.floor((8 << 20) / rec.length));
    const piece = Buffer.concat(Array.from({ length: per }, () => rec));
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, pcapHeader({ le: true }));
    for (let left = frames; left > 0; left -= per) fs.writeSync(fd, piece, 0, Math.min(per, left) * rec.length);
    fs.closeSync(fd);
  }
  let sum = 0;
  const cb = (f: { caplen: number; buf: Buffer; offset: number }): void => {
    sum += f.caplen + f.buf[f.offset];
  };
  await readCapture(file, cb); // warm the page cache
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const s = await readCapture(file, cb);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${s.frames} frames, ${(size / 1e6).toFixed(0)} MB in ${secs.toFixed(3)} s: ` +
      `${(s.frames / secs / 1e6).toFixed(2)} M frames/s, ${(size / secs / 1e6).toFixed(0)} MB/s, ` +
      `RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  }
  if (sum === 42) console.log('');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
