/**
 * The verifier against captures made by an independent ESP implementation (scapy 2.5.0), with the facts the
 * generator knows written next to each capture (scripts/fixtures/make-fixtures.py). Every fixture runs through
 * the library (verifyCapture) and the CLI (--json and --frames) with each of its option sets ("runs").
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { readCapture } from '../../components/verifier/capture';
import { parseXfrmState } from '../../components/verifier/crypto/xfrm';
import {
  CAPTURES, GENERATOR, PYTHON, Expected, FrameFactsLike, cliArgs, compareFrames, compareReport, libraryOptions,
  loadFixtures, parseNdjson, runCliAsync, runCliInProcess, tmpDir,
} from './helpers/fixtures';

const fixtures = loadFixtures();

/** The CLI's exit code for a run: 1 when it names an expectation (a rotation) the capture does not meet. */
function expectedExit(run: Expected['runs'][number]): number {
  return run.options.rotation && run.rotation && !run.rotation.met ? 1 : 0;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = { verifyCapture: (p: string, o: any) => Promise<any> };
function lib(): Lib {
  // required lazily so that a missing or broken library fails these tests, not the whole mocha run
  return require('../../components/verifier') as Lib; // eslint-disable-line @typescript-eslint/no-var-requires
}

describe('verifier fixtures (scapy-made captures with generator facts)', function () {
  this.timeout(120_000);

  it('the committed fixtures are exactly what the generator writes (no drift)', () => {
    const out = tmpDir('fixtures-regen-');
    try {
      const r = spawnSync(PYTHON, [GENERATOR, out], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `generator failed: ${r.stderr}`);
      const committed = fs.readdirSync(CAPTURES).sort();
      const fresh = fs.readdirSync(out).sort();
      assert.deepEqual(committed, fresh, 'file lists differ between test/fixtures/captures and a fresh generator run');
      const differ = fresh.filter((f) => !fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(CAPTURES, f))));
      assert.deepEqual(differ, [], `files differ from a fresh run (re-run ${GENERATOR} and commit)`);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('the set covers every reader, link type, layout and verdict, and stays small', () => {
    const linkTypes = new Set(fixtures.flatMap((e) => e.linkTypes));
    for (const lt of [1, 101, 113, 228, 276]) assert.ok(linkTypes.has(lt), `no fixture with link type ${lt}`);
    const readers = new Set(fixtures.map((e) => [e.reader.format, e.reader.byteOrder, e.reader.resolution ?? '', e.reader.modified ? 'modified' : '', e.reader.gzip ? 'gzip' : ''].join('/')));
    for (const r of ['pcap/little/usec//', 'pcap/big/usec//', 'pcap/little/nsec//', 'pcap/big/nsec//', 'pcap/little/usec/modified/', 'pcap/little/usec//gzip', 'pcapng/big/usec//', 'pcapng/little///']) {
      assert.ok(readers.has(r), `no fixture read as ${r}: ${[...readers].join(', ')}`);
    }
    const verdicts = new Set(fixtures.flatMap((e) => e.runs.map((r) => r.verdict)));
    for (const v of ['encrypted', 'cleartext', 'partial', 'inconclusive']) assert.ok(verdicts.has(v), `no fixture with verdict ${v}`);
    assert.ok(fixtures.some((e) => e.truncated), 'no capture cut short');
    assert.ok(fixtures.some((e) => e.runs.some((r) => (r.decryption?.failed ?? 0) > 0)), 'no wrong-key run');
    assert.ok(fixtures.some((e) => e.keys.some((k) => k.esn)), 'no ESN SA');
    assert.ok(fixtures.some((e) => e.keys.some((k) => k.algorithm.startsWith('null'))), 'no NULL-encryption SA');
    const guide = fixtures.find((e) => e.name === 'cilium117-encrypted')!.frameFacts[0];
    assert.deepEqual([guide.ips.map((h) => `${h.src}>${h.dst}`), guide.esp], [
      ['192.168.211.128>192.168.44.128', '10.0.1.124>10.0.2.104'], { dst: '10.0.2.104', seq: 15, spi: 3, src: '10.0.1.124' }]);
    const bytes = fs.readdirSync(CAPTURES).reduce((n, f) => n + fs.statSync(path.join(CAPTURES, f)).size, 0);
    assert.ok(bytes < 1024 * 1024, `fixtures take ${bytes} bytes (keep them under 1 MB)`);
  });

  for (const e of fixtures) {
    describe(e.name, () => {
      it(`reader: ${e.reader.format}${e.reader.gzip ? '+gzip' : ''}, ${e.frames} frames, link types ${e.linkTypes.join(',')}${e.truncated ? ', cut short' : ''}`, async () => {
        const warnings: string[] = [];
        let n = 0;
        const seen: number[] = [];
        const s = await readCapture(e.path, (f) => {
          n++;
          seen.push(f.index);
        }, { onWarning: (w) => warnings.push(w) });
        assert.equal(s.frames, e.frames);
        assert.equal(n, e.frames);
        assert.deepEqual(seen, Array.from({ length: e.frames }, (_, i) => i + 1));
        assert.equal(s.format, e.reader.format);
        assert.equal(s.gzip, Boolean(e.reader.gzip));
        assert.equal(s.truncated, e.truncated);
        if (e.truncated) assert.ok(warnings.length > 0, 'a cut-short capture must warn');
        if (e.frames > 0) assert.deepEqual([...s.linkTypes].sort(), [...e.linkTypes].sort());
      });

      if (e.xfrm) {
        it(`xfrm: ${e.xfrm} gives the generator's ${e.keys.length} SAs and keys`, () => {
          const states = parseXfrmState(fs.readFileSync(path.join(CAPTURES, e.xfrm!), 'utf8'));
          assert.equal(states.length, e.keys.length);
          e.keys.forEach((k, i) => {
            const st = states[i];
            assert.deepEqual([st.src, st.dst, st.spi, st.esn], [k.xfrmSrc, k.dst, k.spi, k.esn]);
            const material = (st.aead ?? st.auth)!.key.toString('hex');
            assert.equal(material, k.key);
            assert.equal(st.nullEncryption, k.algorithm.startsWith('null'));
          });
        });
      }

      for (const run of e.runs) {
        it(`library: [${run.name}] -> ${run.verdict}`, async () => {
          const facts: FrameFactsLike[] = [];
          const report = await lib().verifyCapture(e.path, { ...libraryOptions(run.options), onFrameFacts: (f: FrameFactsLike) => facts.push(JSON.parse(JSON.stringify(f))) });
          const bad = [...compareReport(e, run, report), ...compareFrames(e, run, facts)];
          assert.deepEqual(bad, [], `${e.capture} [${run.name}]:\n  ${bad.join('\n  ')}`);
        });
      }

      it(`CLI (execute) --json and --frames: every run`, async () => {
        const bad: string[] = [];
        for (const run of e.runs) {
          const j = await runCliInProcess([e.path, '--json', ...cliArgs(run.options)]);
          if (j.code !== expectedExit(run)) {
            bad.push(`[${run.name}] --json exit ${j.code}: ${j.stderr.trim()}`);
            continue;
          }
          let report: Record<string, unknown>;
          try {
            report = JSON.parse(j.stdout);
          } catch {
            bad.push(`[${run.name}] --json printed no single JSON object: ${j.stdout.slice(0, 200)}`);
            continue;
          }
          bad.push(...compareReport(e, run, report).map((m) => `[${run.name}] --json ${m}`));
          const f = await runCliInProcess([e.path, '--frames', ...cliArgs(run.options)]);
          if (f.code !== expectedExit(run)) {
            bad.push(`[${run.name}] --frames exit ${f.code}: ${f.stderr.trim()}`);
            continue;
          }
          const lines = parseNdjson<FrameFactsLike>(f.stdout);
          if (lines.some((x) => typeof x.frame !== 'number')) bad.push(`[${run.name}] --frames printed a line that is not FrameFacts`);
          bad.push(...compareFrames(e, run, lines).map((m) => `[${run.name}] --frames ${m}`));
        }
        assert.deepEqual(bad, [], `${e.capture}:\n  ${bad.join('\n  ')}`);
      });
    });
  }

  // The in-process runs above go through cli.ts `execute`; the bin adds only process wiring (exit code, streams),
  // so it runs on one fixture per reader kind (each spawn pays ts-node's start-up).
  const BIN_FIXTURES = ['cilium117-encrypted', 'cilium118-encrypted', 'cleartext-vxlan', 'truncated-end', 'empty', 'esn-native', 'null-encryption-esp'];
  it(`the real bin (scripts/verify.ts) gives the same --json report (${BIN_FIXTURES.join(', ')})`, async function () {
    this.timeout(600_000);
    const bad: string[] = [];
    const queue = fixtures.filter((e) => BIN_FIXTURES.includes(e.name)).map((e) => ({ e, run: e.runs[e.runs.length - 1] }));
    assert.equal(queue.length, BIN_FIXTURES.length);
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const { e, run } = job;
        const r = await runCliAsync([e.path, '--json', ...cliArgs(run.options)]);
        if (r.code !== 0) bad.push(`${e.name}: exit ${r.code}: ${r.stderr.trim()}`);
        else if (r.stdout.trim().split('\n').length < 1 || !r.stdout.trim().startsWith('{')) bad.push(`${e.name}: stdout is not one JSON object`);
        else bad.push(...compareReport(e, run, JSON.parse(r.stdout)).map((m) => `${e.name} [${run.name}]: ${m}`));
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    assert.deepEqual(bad, [], bad.join('\n'));
  });

  it('the verdict can fail: a fixture with pod traffic never reads as encrypted, and expectations are not echoes', async () => {
    // a sanity check of the comparison itself: feed compareReport a doctored report and see it complain
    const e: Expected = fixtures.find((x) => x.name === 'cleartext-vxlan')!;
    const run = e.runs[0];
    const doctored = { verdict: 'encrypted', frames: e.frames + 1, warnings: [], esp: { packets: 1, spis: [3], flows: [] }, cleartext: { podPackets: 0 } };
    const bad = compareReport(e, run, doctored);
    assert.ok(bad.length >= 4, bad.join('\n'));
  });
});
