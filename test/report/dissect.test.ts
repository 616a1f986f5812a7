/**
 * The report's frame dissection against Wireshark's own: for every frame of fixtures of both Cilium layouts
 * (<= 1.17: ESP inside VXLAN between cilium_host addresses; >= 1.18: VXLAN inside ESP between node IPs), native
 * routing and cleartext, `tshark -V` and dissectFrame must name the same layers in the same order with the same
 * titles, and every field line we show must appear in tshark's lines for that layer (addresses, ports, VNI, SPI,
 * sequence, ICMP and HTTP). With the keys, the decrypted inner packet must match tshark's decryption too.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { dissectFrame, type Dissection } from '../../components/report/dissect';
import { dissectionText } from '../../components/report/text';
import { readCapture } from '../../components/verifier/capture';
import { GcmKey, decryptEspGcm } from '../../components/verifier/crypto/esp-gcm';
import { CAPTURES, loadFixtures, type Expected } from '../verifier/helpers/fixtures';
import { BASE_OPTS, decryptOpts, type TsharkSa } from '../verifier/helpers/tshark';

interface TsharkLayer { title: string; fields: string[] }
interface TsharkFrame { title: string; frameFields: string[]; layers: TsharkLayer[] }

/**
 * `tshark -V` text, split per frame ("Frame N: ..." lines start a frame; one run per file instead of one
 * `-Y frame.number==N` run per frame: the same dissection, printed for every frame). Layer lines are flush left,
 * their fields four spaces in (deeper lines are sub-fields, not compared); a bit-field prefix
 * ("0100 .... = ") is dropped, and so are the hex dump rows tshark prints for some payloads.
 */
function tsharkVerbose(file: string, extra: string[]): Map<number, TsharkFrame> {
  const r = spawnSync('tshark', ['-n', '-V', '-r', file, ...BASE_OPTS, ...extra], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000, env: { ...process.env, TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(`tshark -V -r ${file} exited ${r.status}: ${r.stderr}`);
  const frames = new Map<number, TsharkFrame>();
  let cur: TsharkFrame | undefined;
  let layer: TsharkLayer | undefined;
  for (const line of r.stdout.split('\n')) {
    const m = /^Frame (\d+): /.exec(line);
    if (m) {
      cur = { title: line, frameFields: [], layers: [] };
      frames.set(Number(m[1]), cur);
      layer = undefined;
      continue;
    }
    if (!cur) continue;
    if (line === '' || /^[0-9a-f]{4,} {2}/.test(line)) continue;
    if (!line.startsWith(' ')) {
      layer = { title: line, fields: [] };
      cur.layers.push(layer);
    } else if (/^ {4}\S/.test(line)) {
      const text = line.slice(4).replace(/^[01. ]+ = /, '');
      (layer ? layer.fields : cur.frameFields).push(text);
    }
  }
  return frames;
}

/**
 * tshark's frame line names the pcapng interface (we show the link type instead); its TCP line carries relative sequence numbers (its own stream analysis); ours the segment length only. */
function normalTitle(t: string): string {
  return t.replace(/ on interface .*, id \d+$/, '').replace(/^(Transmission Control Protocol, Src Port: \d+, Dst Port: \d+), Seq: \d+(, Ack: \d+)?/, '$1');
}

/** Field lines of ours in [brackets] are our own notes ("[Encrypted payload: 88 bytes]"), except tshark's TCP ones. */
function comparable(field: string): boolean {
  return !field.startsWith('[') || field.startsWith('[TCP Segment Len');
}

async function frameBytes(file: string): Promise<{ index: number; linkType: number; data: Buffer; origLen: number; sec: number; nsec: number }[]> {
  const out: { index: number; linkType: number; data: Buffer; origLen: number; sec: number; nsec: number }[] = [];
  await readCapture(file, (f) => {
    out.push({ index: f.index, linkType: f.linkType, data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)), origLen: f.origLen, sec: f.tsSec, nsec: f.tsNsec });
  });
  return out;
}

/** Compares one frame; returns the problems and counts what was compared (layer name -> field lines). */
function compare(ours: Dissection, theirs: TsharkFrame, seen: Map<string, number>): string[] {
  const problems: string[] = [];
  const where = `frame ${ours.frame}`;
  if (ours.title !== normalTitle(theirs.title)) problems.push(`${where}: title "${ours.title}" vs tshark "${theirs.title}"`);
  for (const f of ours.frameFields) {
    if (comparable(f) && !theirs.frameFields.includes(f)) problems.push(`${where}: frame field "${f}" not in tshark's`);
  }
  const ourTitles = ours.layers.map((l) => l.title);
  // HTTP bodies: tshark adds a media-type layer ("Line-based text data: text/html"); we stop at the headers.
  const theirTitles = theirs.layers.map((l) => normalTitle(l.title)).filter((t) => !t.startsWith('Line-based text data'));
  if (ourTitles.join('\n') !== theirTitles.join('\n')) {
    problems.push(`${where}: layers\n    ours:   ${ourTitles.join(' | ')}\n    tshark: ${theirTitles.join(' | ')}`);
    return problems;
  }
  ours.layers.forEach((l, i) => {
    for (const f of l.fields) {
      if (!comparable(f)) continue;
      if (!theirs.layers[i].fields.includes(f)) problems.push(`${where} ${l.layer}: field "${f}" not in tshark's: ${JSON.stringify(theirs.layers[i].fields)}`);
      else seen.set(l.layer, (seen.get(l.layer) ?? 0) + 1);
    }
  });
  return problems;
}

const FIXTURES = ['cilium117-encrypted', 'cilium118-encrypted', 'native-routing-encrypted', 'cleartext-vxlan',
  'qinq-encrypted', 'sll2-partial', 'sll-cleartext-snaplen', 'geneve-partial', 'ipv6-encrypted', 'esp-in-udp-4500',
  'wireguard-encrypted', 'wireguard-partial'];

/** Wireshark's WireGuard port is 51820; Cilium's (and the verifier's default) is 51871. */
const TSHARK_EXTRA = ['-d', 'udp.port==51871,wg'];

describe('report: frame dissection agrees with tshark -V', function () {
  this.timeout(120_000);
  const all = loadFixtures();
  const byName = new Map(all.map((e) => [e.name, e]));
  const seen = new Map<string, number>();

  for (const name of FIXTURES) {
    it(`${name}: every frame, same layers, titles and fields as tshark`, async () => {
      const e = byName.get(name) as Expected;
      assert.ok(e, `fixture ${name} is missing from test/fixtures/captures/index.json`);
      const file = path.join(CAPTURES, e.capture);
      const theirs = tsharkVerbose(file, TSHARK_EXTRA);
      const frames = await frameBytes(file);
      assert.ok(frames.length > 0, `${name}: no frames`);
      const problems: string[] = [];
      for (const f of frames) {
        const t = theirs.get(f.index);
        if (!t) { problems.push(`frame ${f.index}: tshark printed nothing`); continue; }
        const d = dissectFrame({ frame: f.index, linkType: f.linkType, data: f.data, origLen: f.origLen, time: { sec: f.sec, nsec: f.nsec }, nonce: e.nonce });
        problems.push(...compare(d, t, seen));
      }
      assert.deepEqual(problems, []);
    });
  }

  for (const name of ['cilium117-encrypted', 'cilium118-encrypted', 'native-routing-encrypted']) {
    it(`${name}: decrypted frames show the inner packet tshark decrypts`, async () => {
      const e = byName.get(name) as Expected;
      assert.ok(e.keys.length > 0, `${name}: the fixture has no keys`);
      const file = path.join(CAPTURES, e.capture);
      const sas: TsharkSa[] = e.keys.map((k) => ({ v6: k.src.includes(':'), src: k.src, dst: k.dst, spi: k.spi, key: k.key }));
      const theirs = tsharkVerbose(file, decryptOpts(sas));
      let decrypted = 0;
      const problems: string[] = [];
      for (const f of await frameBytes(file)) {
        const plain = dissectFrame({ frame: f.index, linkType: f.linkType, data: f.data, origLen: f.origLen });
        const esp = plain.layers.find((l) => l.layer === 'esp');
        if (!esp) continue;
        const ip = [...plain.layers.slice(0, plain.layers.indexOf(esp))].reverse().find((l) => l.layer === 'ipv4' || l.layer === 'ipv6')!;
        const src = /Src: ([^,]+)/.exec(ip.title)![1];
        const dst = /Dst: (.+)$/.exec(ip.title)![1];
        const spi = f.data.readUInt32BE(esp.start);
        const k = e.keys.find((x) => x.src === src && x.dst === dst && x.spi === spi);
        if (!k) continue;
        const res = decryptEspGcm(f.data, esp.start, esp.end, new GcmKey(Buffer.from(k.key, 'hex')), -1);
        assert.ok(res, `frame ${f.index}: the fixture's key does not decrypt it`);
        const d = dissectFrame({ frame: f.index, linkType: f.linkType, data: f.data, origLen: f.origLen, time: { sec: f.sec, nsec: f.nsec },
          plaintext: { data: res.payload, nextHeader: res.nextHeader }, nonce: e.nonce });
        assert.ok(d.layers.some((l) => l.buffer === 'plaintext'), `frame ${f.index}: no inner layer dissected`);
        problems.push(...compare(d, theirs.get(f.index)!, seen));
        decrypted++;
      }
      assert.ok(decrypted > 0, `${name}: no frame decrypted`);
      assert.deepEqual(problems, []);
    });
  }

  it('compared the fields people look for (addresses, ports, VNI, SPI, sequence, ICMP, HTTP)', () => {
    for (const layer of ['eth', 'ipv4', 'ipv6', 'udp', 'tcp', 'icmp', 'http', 'vxlan', 'geneve', 'esp', 'vlan', 'sll', 'sll2', 'wireguard']) {
      assert.ok((seen.get(layer) ?? 0) > 0, `no ${layer} field was compared with tshark: ${JSON.stringify([...seen])}`);
    }
  });

  it('text form: tshark-like indentation and the nonce marked in the hex pane', async () => {
    const e = byName.get('cleartext-vxlan') as Expected;
    const f = (await frameBytes(path.join(CAPTURES, e.capture))).find((x) => x.data.includes(Buffer.from(e.nonce)));
    assert.ok(f, 'no frame carries the nonce');
    const text = dissectionText(dissectFrame({ frame: f.index, linkType: f.linkType, data: f.data, nonce: e.nonce }));
    assert.match(text[0], /^Frame \d+: \d+ bytes on wire \(\d+ bits\), \d+ bytes captured/);
    assert.ok(text.includes('Virtual eXtensible Local Area Network'), text.join('\n'));
    assert.ok(text.some((l) => /^ {4}VXLAN Network Identifier \(VNI\): \d+$/.test(l)), text.join('\n'));
    const row = text.findIndex((l) => /^[0-9a-f]{4} {2}/.test(l) && l.includes(e.nonce.slice(0, 8)));
    assert.ok(row >= 0, `no hex row shows the nonce:\n${text.join('\n')}`);
    assert.match(text[row + 1], /\^\^/, 'the row under the nonce does not mark it');
  });
});
