/**
 * Frame-by-frame agreement with tshark (an independent decoder and ESP implementation) on every fixture:
 * ESP SPI and sequence number, every IPv4/IPv6 source and destination (outer, inner, and the ones ESP
 * decryption reveals), which frames decrypt (esp.icv_good / esp.icv_bad with one uat:esp_sa per SA), which
 * frames contain the nonce, and that the verifier's --wireshark DIR makes tshark decrypt the capture.
 *
 * Ours = the CLI's --frames NDJSON (one FrameFacts per line). tshark runs with -d udp.port==8472,vxlan and
 * without IP reassembly, so one frame is one frame on both sides.
 *
 * Known tshark 4.0 limitation, asserted as such: no extended sequence numbers (ESN) in esp_sa, so an ESN SA's
 * packets show a bad ICV in tshark (while the plaintext still decodes, GCM being a counter mode) and decrypt
 * with a good ICV in ours.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Expected, ExpectedRun, FrameFactsLike, cliArgs, loadFixtures, parseNdjson, runCliInProcess, tmpDir } from './helpers/fixtures';
import { TsharkFrame, TsharkSa, compareFrame, decryptOpts, ipPairs as pairs, tpairs, tsharkFrames } from './helpers/tshark';

const fixtures = loadFixtures().filter((e) => e.frames > 0);
let framesCompared = 0;
let decryptedCompared = 0;

/** A rotation the capture does not prove is exit 1 (the frames and the report are printed all the same). */
function expectedExit(run: ExpectedRun): number {
  return run.options.rotation && run.rotation && !run.rotation.met ? 1 : 0;
}

async function ourFrames(e: Expected, run: ExpectedRun): Promise<Map<number, FrameFactsLike>> {
  const r = await runCliInProcess([e.path, '--frames', ...cliArgs(run.options)]);
  assert.equal(r.code, expectedExit(run), `verify ${e.capture} --frames exited ${r.code}: ${r.stderr}`);
  const m = new Map<number, FrameFactsLike>();
  for (const f of parseNdjson<FrameFactsLike>(r.stdout)) if (typeof f.frame === 'number') m.set(f.frame, f);
  return m;
}

function tsharkSas(e: Expected, run: ExpectedRun): TsharkSa[] {
  const v6 = e.keys.some((k) => k.src.includes(':'));
  const sas: TsharkSa[] = [];
  for (const k of run.options.keys ?? []) {
    // --key SPI:KEY applies to every SA with that SPI: wildcard addresses in both families
    sas.push({ v6: false, src: '*', dst: '*', spi: k.spi, key: k.key }, { v6: true, src: '*', dst: '*', spi: k.spi, key: k.key });
  }
  if (run.options.xfrm) {
    for (const k of e.keys) sas.push({ v6, src: k.src, dst: k.dst, spi: k.spi, key: k.key, null: k.algorithm.startsWith('null') });
  }
  return sas;
}

describe('verifier cross-check with tshark, frame by frame', function () {
  this.timeout(180_000);

  after(() => {
    console.log(`      cross-checked ${framesCompared} frames (${decryptedCompared} decryption verdicts) against tshark`);
  });

  for (const e of fixtures) {
    const plainRun = e.runs.find((r) => !r.options.keys && !r.options.xfrm) ?? { ...e.runs[0], options: { podCidrs: e.runs[0].options.podCidrs } };
    const isNull = e.keys.some((k) => k.algorithm.startsWith('null'));

    it(`${e.name}: frames, ESP SPI/sequence and every IP address agree`, async () => {
      const extra = isNull ? ['-o', 'esp.enable_null_encryption_decode_heuristic:TRUE'] : [];
      const theirs = tsharkFrames(e.path, extra);
      const ours = await ourFrames(e, plainRun);
      assert.equal(theirs.length, e.frames, 'tshark frame count differs from the fixture');
      const bad = theirs.flatMap((t) => compareFrame(t, ours.get(t.frame), isNull));
      framesCompared += theirs.length;
      assert.deepEqual(bad, [], `${e.capture}:\n  ${bad.join('\n  ')}`);
    });

    if (e.runs.some((r) => r.options.nonce)) {
      it(`${e.name}: the frames containing the nonce are the ones tshark finds (frame contains)`, async () => {
        const run = e.runs.find((r) => r.options.nonce && !r.options.keys && !r.options.xfrm) ?? e.runs.find((r) => r.options.nonce)!;
        const r = spawnSync('tshark', ['-n', '-r', e.path, '-Y', `frame contains "${e.nonce}"`, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
        assert.ok(r.status === 0 || (e.truncated && r.status === 2), r.stderr);
        const theirs = r.stdout.split('\n').filter(Boolean).map(Number);
        const ours = [...(await ourFrames(e, run)).values()].filter((f) => f.nonce).map((f) => f.frame).sort((a, b) => a - b);
        assert.deepEqual(ours, theirs);
      });
    }

    for (const run of e.runs.filter((r) => (r.options.keys || r.options.xfrm) && !isNull)) {
      it(`${e.name} [${run.name}]: decryption agrees with tshark's esp_sa (ICV good/bad, decrypted addresses)`, async () => {
        const sas = tsharkSas(e, run);
        const theirs = tsharkFrames(e.path, decryptOpts(sas));
        const ours = await ourFrames(e, run);
        const esn = new Set(e.keys.filter((k) => k.esn).map((k) => `${k.src}>${k.dst}#${k.spi}`));
        const keyFor = (o: FrameFactsLike | undefined) => Boolean(o?.esp && sas.some((sa) => (sa.spi === '*' || sa.spi === o.esp!.spi)
          && (sa.src === '*' || sa.src === o.esp!.src) && (sa.dst === '*' || sa.dst === o.esp!.dst)));
        const bad: string[] = [];
        for (const t of theirs) {
          const o = ours.get(t.frame);
          const ok = t.icvGood[0] === true;
          const failed = t.icvBad[0] === true;
          const isEsn = o?.esp ? esn.has(`${o.esp.src}>${o.esp.dst}#${o.esp.spi}`) : false;
          // tshark with a wrong key sometimes stops at garbage padding before the ICV check (neither good nor
          // bad): for an ESP frame a key applies to, "not good" is the failure on its side
          const keyApplies = keyFor(o);
          const theirVerdict = ok ? 'ok' : failed || (t.esp.length > 0 && keyApplies) ? (isEsn && failed ? 'ok (tshark has no ESN: ICV bad there)' : 'failed') : undefined;
          const ourVerdict = o?.decrypted === 'ok' && isEsn ? 'ok (tshark has no ESN: ICV bad there)' : o?.decrypted;
          if (theirVerdict !== ourVerdict) bad.push(`frame ${t.frame}: tshark ${theirVerdict ?? 'not decrypted'}, ours ${ourVerdict ?? 'not decrypted'}`);
          if (theirVerdict !== undefined) decryptedCompared++;
          // addresses: compare only where both agree the plaintext is genuine (a failed ICV may leave garbage)
          if (!failed || isEsn) bad.push(...compareFrame(t, o, false));
          else {
            const cut = t.layers.split('/').indexOf('esp') + 1;
            bad.push(...compareFrame({ ...t, ip4: t.ip4.slice(0, pairs(o, 4).length), ip6: t.ip6.slice(0, pairs(o, 6).length), layers: t.layers.split('/').slice(0, cut).join('/') }, o, false));
          }
        }
        framesCompared += theirs.length;
        assert.deepEqual(bad, [], `${e.capture} [${run.name}]:\n  ${bad.join('\n  ')}`);
      });
    }
  }

  it('--wireshark DIR: tshark with that configuration directory decrypts the captures', async () => {
    const bad: string[] = [];
    for (const e of fixtures.filter((x) => x.runs.some((r) => r.options.xfrm) && !x.keys.some((k) => k.esn || k.algorithm.startsWith('null')))) {
      const run = e.runs.find((r) => r.options.xfrm)!;
      const dir = tmpDir('wireshark-cfg-');
      try {
        const r = await runCliInProcess([e.path, '--json', '--wireshark', dir, ...cliArgs(run.options)]);
        if (r.code !== expectedExit(run)) {
          bad.push(`${e.name}: verify --wireshark exited ${r.code}: ${r.stderr.trim()}`);
          continue;
        }
        for (const f of ['esp_sa', 'preferences', 'decode_as_entries']) {
          if (!fs.existsSync(path.join(dir, f))) bad.push(`${e.name}: --wireshark wrote no ${f}`);
        }
        // only the directory: no -o, no -d of ours (decode_as_entries must bring 8472 as VXLAN itself)
        const env = { ...process.env, WIRESHARK_CONFIG_DIR: dir };
        const theirs = tsharkFrames(e.path, [], env, true);
        const expectOk = run.decryptedFrames!.ok;
        const good = theirs.filter((t) => t.icvGood[0] === true).map((t) => t.frame);
        if (JSON.stringify(good) !== JSON.stringify(expectOk)) bad.push(`${e.name}: tshark with ${dir} decrypted frames ${JSON.stringify(good)}, expected ${JSON.stringify(expectOk)}`);
        // same dissection as explicit -d udp.port==8472,vxlan plus one esp_sa per SA of the generator
        const reference = tsharkFrames(e.path, decryptOpts(tsharkSas(e, run)));
        const show = (fs_: TsharkFrame[]) => fs_.map((t) => `${t.frame}: ${tpairs(t, 4).join(' ')} ${tpairs(t, 6).join(' ')}`);
        const a = show(theirs);
        const b = show(reference);
        a.forEach((line, i) => { if (line !== b[i]) bad.push(`${e.name}: with --wireshark config "${line}", with explicit options "${b[i]}"`); });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepEqual(bad, [], bad.join('\n'));
  });
});
