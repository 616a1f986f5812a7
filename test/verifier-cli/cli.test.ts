/**
 * The verifier CLI: exit codes 0/1/2 through the real bin (bin/cilium-ipsec-verify.js running the build in
 * build/verify, as users run it), one stderr line per unusable input or option (never a stack trace), --json /
 * --frames output shapes, --help generated from the option table, --version, and the build's source stamp (the
 * staleness check).
 *
 * Captures are built here byte by byte (test/helpers/pcap-writer.ts), frames too (test/helpers/packets.ts):
 *   Ethernet(dst 02:..:02, src 02:..:01, 0x0800) / IPv4(ihl 5, ttl 64, proto, checksum) / payload
 *   ESP payload: SPI(4) seq(4) IV(8) ciphertext(pseudo-random, not NULL-looking) ICV(16)
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execute, OPTIONS, optionLabel, PARSE_ARGS_OPTIONS } from '../../components/verifier-cli/cli';
import { DEFAULT_GENEVE_PORTS, DEFAULT_POD_CIDRS, DEFAULT_VXLAN_PORTS } from '../../components/verifier';
import { espOpaque, ethernet, icmpEcho, ipv4 } from '../helpers/packets';
import { pcapFile, pcapHeader, pcapRecord, payload, PcapRecord } from '../helpers/pcap-writer';
import { xfrmStateText } from '../helpers/xfrm';

import { REPO_ROOT as REPO } from '../../components/repo';
let dir: string;

function recs(frames: Buffer[]): PcapRecord[] {
  return frames.map((data, i) => ({ sec: 1700000000 + i, sub: i, data }));
}

const NONCE = 'nonce-7f3a9c';
const POD_A = '10.0.1.50';
const POD_B = '10.0.2.60';
const NODE_A = '192.168.211.128';
const NODE_B = '192.168.44.128';

function cleartextFrames(): Buffer[] {
  return [1, 2, 3].map((s) => ethernet(ipv4(POD_A, POD_B, 1, icmpEcho(8, 1, s, NONCE))));
}

function espFrames(): Buffer[] {
  return [7, 8, 9, 10].map((s) => ethernet(ipv4(NODE_A, NODE_B, 50, espOpaque(3, s, 64 + s))));
}

const files: Record<string, string> = {};

function write(name: string, content: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-cli-'));
  files.encrypted = write('encrypted.pcap', pcapFile({ le: true, records: recs(espFrames()) }));
  files.cleartext = write('cleartext.pcap', pcapFile({ le: false, flavour: 'nsec', records: recs(cleartextFrames()) }));
  files.partial = write('partial.pcap', pcapFile({ le: true, records: recs([...espFrames(), ...cleartextFrames()]) }));
  files.empty = write('empty.pcap', pcapHeader({ le: true }));
  const enc = fs.readFileSync(files.encrypted);
  files.truncated = write('truncated.pcap', enc.subarray(0, enc.length - 10));
  files.text = write('notes.txt', Buffer.from('not a capture at all\n'));
  files.impossible = write('impossible.pcap', Buffer.concat([pcapHeader({ le: true }),
    pcapRecord({ sec: 1, sub: 1, data: espFrames()[0] }, true),
    pcapRecord({ sec: 1, sub: 1, data: payload(64, 1), caplenField: 0x7fffffff }, true)]));
  files.xfrmBad = write('bad.xfrm', Buffer.from('src 192.168.211.128 dst 192.168.44.128\n\tproto esp spi 0x00000003 reqid 1 mode tunnel\n\taead rfc4106(gcm(aes)) 0xZZZZ 128\n'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const BIN = path.join(REPO, 'bin', 'cilium-ipsec-verify.js');

/** The real bin, as users run it (the build is made current in before()). */
function cli(args: string[], bin = BIN, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120000,
    env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Builds build/verify of the tree at `root` when it is not current (npm run build). */
function ensureBuilt(root = REPO): void {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'verify-build.js')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run build failed: ${r.stderr}`);
}

/** In-process run with captured output. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await execute(args, {
    stdout: { write: (s: string) => { stdout += s; return true; } },
    stderr: { write: (s: string) => { stderr += s; return true; } },
  });
  return { code, stdout, stderr };
}

function oneLine(stderr: string, re: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected exactly one stderr line, got:\n${stderr}`);
  assert.match(lines[0], re);
  assert.doesNotMatch(stderr, /\n\s+at |Error:|TSError/, 'no stack trace');
}

describe('verifier CLI (real bin: bin/cilium-ipsec-verify.js)', function () {
  this.timeout(120000);
  before(() => ensureBuilt());

  it('exit 0 when the verdict meets --expect; --json prints one object with the contract fields', () => {
    const r = cli([files.partial, '--json', '--nonce', NONCE, '--key', `3:${'ab'.repeat(20)}`]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout); // the whole stdout is one JSON value
    assert.equal(typeof report, 'object');
    assert.equal(report.verdict, 'partial');
    assert.equal(report.frames, 7);
    assert.ok(Array.isArray(report.warnings));
    assert.equal(report.esp.packets, 4);
    assert.deepEqual(report.esp.spis, [3]);
    assert.ok(Array.isArray(report.esp.flows));
    assert.equal(report.esp.flows.length, 1);
    const flow = report.esp.flows[0];
    for (const k of ['src', 'dst', 'spi', 'packets', 'firstSeq', 'lastSeq', 'seqIncreasing', 'paths', 'sizes']) {
      assert.ok(k in flow, `esp.flows[0].${k}`);
    }
    assert.deepEqual([flow.src, flow.dst, flow.spi, flow.packets, flow.firstSeq, flow.lastSeq, flow.seqIncreasing],
      [NODE_A, NODE_B, 3, 4, 7, 10, true]);
    assert.equal(report.cleartext.podPackets, 3);
    assert.equal(report.nonce.hits, 3);
    assert.equal(typeof report.decryption.ok, 'number');
    assert.equal(report.decryption.ok + report.decryption.failed, 4, 'wrong key: every ESP packet tried, all fail');
    assert.equal(report.decryption.failed, 4);
  });

  it('exit 0 / 1 by --expect on the same capture; no --expect is 0', () => {
    assert.equal(cli([files.encrypted, '--expect', 'encrypted']).code, 0);
    const r = cli([files.cleartext, '--expect', 'encrypted']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /cleartext/i, 'the human summary names the verdict');
    assert.equal(cli([files.cleartext]).code, 0);
    assert.equal(cli([files.empty, '--expect', 'encrypted']).code, 1, 'an empty capture never reads as encrypted');
  });

  it('exit 2 with one stderr line naming the file: missing, not a capture, impossible record length', () => {
    const missing = path.join(dir, 'nope.pcap');
    let r = cli([missing]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${missing}: no such file$`));
    assert.equal(r.stdout, '');
    r = cli([files.text, '--json']);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${files.text}: not a pcap or pcapng capture`));
    assert.equal(r.stdout, '');
    r = cli([files.impossible]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${files.impossible}: impossible record length 2147483647 at byte ${24 + 16 + espFrames()[0].length}`));
  });

  it('exit 2 with one stderr line naming the option: unknown option, bad value', () => {
    let r = cli([files.encrypted, '--bogus']);
    assert.equal(r.code, 2);
    oneLine(r.stderr, /^verify: --bogus: unknown option/);
    r = cli([files.encrypted, '--spi', '0']);
    assert.equal(r.code, 2);
    oneLine(r.stderr, /^verify: --spi: /);
  });

  it('a capture cut short at the end is analysed (exit by verdict) with a warning', () => {
    const r = cli([files.truncated, '--json', '--expect', 'encrypted']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.frames, 3);
    assert.ok(report.warnings.some((w: string) => /cut short/.test(w)), report.warnings.join('; '));
  });

  it('--frames: stdout is NDJSON only (one FrameFacts per frame), the summary goes to stderr', () => {
    const r = cli([files.partial, '--frames', '--nonce', NONCE]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 7);
    const facts = lines.map((l) => JSON.parse(l));
    facts.forEach((f, i) => {
      assert.equal(f.frame, i + 1);
      assert.equal(typeof f.layers, 'string');
      assert.ok(Array.isArray(f.ips));
    });
    assert.deepEqual(facts[0].esp, { src: NODE_A, dst: NODE_B, spi: 3, seq: 7 });
    assert.deepEqual(facts[4].ips, [{ version: 4, src: POD_A, dst: POD_B, proto: 1 }]);
    assert.equal(facts[4].nonce, true);
    assert.match(r.stderr, /partial/i);
    const j = cli([files.partial, '--frames', '--json']);
    assert.equal(JSON.parse(j.stderr).verdict, 'partial', 'with --json the report JSON goes to stderr');
  });

  it('--help prints the usage and every option of the parser with its default, and exits 0', () => {
    const r = cli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: cilium-ipsec-verify CAPTURE \[options\]/);
    const text = r.stdout.replace(/\n {25}/g, ' '); // undo the wrapping of the help column
    for (const name of Object.keys(PARSE_ARGS_OPTIONS)) {
      const o = OPTIONS[name];
      assert.ok(o, `--${name} is parsed but has no row in the option table`);
      const line = text.split('\n').find((l) => l.startsWith(`  ${optionLabel(name, o)} `));
      assert.ok(line, `--help lists --${name}`);
      assert.ok(line.endsWith(`[default: ${o.default}]`), `--help gives the default of --${name}: ${line}`);
    }
    // The defaults printed are the ones the library applies, not a copy that can drift.
    assert.match(text, new RegExp(`--pod-cidr CIDR .*\\[default: ${DEFAULT_POD_CIDRS.join(', ')}\\]`));
    assert.match(text, new RegExp(`--vxlan-port P .*\\[default: ${DEFAULT_VXLAN_PORTS.join(', ')}\\]`));
    assert.match(text, new RegExp(`--geneve-port P .*\\[default: ${DEFAULT_GENEVE_PORTS.join(', ')}\\]`));
    assert.ok(r.stdout.split('\n').every((l) => l.length <= 112), 'lines fit 112 columns');
  });

  it('--version and -V print the version in package.json', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.match(version, /^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `cilium-ipsec-verify ${version}\n`);
    }
  });

  it('package.json: bin cilium-ipsec-verify is this bin, npm run build and prepare build it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as
      { bin: Record<string, string>; scripts: Record<string, string> };
    assert.equal(path.resolve(REPO, pkg.bin['cilium-ipsec-verify']), BIN);
    assert.equal(pkg.scripts.build, 'node scripts/verify-build.js');
    assert.equal(pkg.scripts.prepare, pkg.scripts.build, 'npm ci / npm install build it');
    assert.match(fs.readFileSync(BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.ok((fs.statSync(BIN).mode & 0o111) !== 0, 'the bin is executable');
  });
});

describe('verifier build (build/verify and its source stamp)', function () {
  this.timeout(240000);
  let tree: string;

  // A copy of what the build reads, so editing a source here leaves the repository alone.
  before(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-build-'));
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.verify.json', 'bin', 'scripts/verify.ts',
      'scripts/verify-build.js', 'components/verifier', 'components/verifier-cli', 'components/report']) {
      fs.cpSync(path.join(REPO, f), path.join(tree, f), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tree, 'node_modules'));
  });
  after(() => fs.rmSync(tree, { recursive: true, force: true }));

  it('no build: the bin builds first (one note on stderr), or refuses naming npm run build', () => {
    const bin = path.join(tree, 'bin', 'cilium-ipsec-verify.js');
    const refused = cli(['--version'], bin, { VERIFY_NO_REBUILD: '1' });
    assert.equal(refused.code, 2);
    oneLine(refused.stderr, /^verify: the verifier is not built; run: npm run build$/);
    assert.equal(refused.stdout, '');
    const r = cli(['--version'], bin);
    assert.equal(r.code, 0, r.stderr);
    oneLine(r.stderr, /^verify: the verifier is not built: rebuilding \(npm run build\)$/);
    assert.match(r.stdout, /^cilium-ipsec-verify /);
    assert.ok(fs.existsSync(path.join(tree, 'build', 'verify', 'source-hash.json')));
  });

  it('an edited source: refused with VERIFY_NO_REBUILD=1, else rebuilt and the edit runs; a touch alone rebuilds nothing', () => {
    const bin = path.join(tree, 'bin', 'cilium-ipsec-verify.js');
    ensureBuilt(tree);
    const src = path.join(tree, 'components', 'verifier-cli', 'cli.ts');
    const later = new Date(Date.now() + 60000);
    fs.utimesSync(src, later, later);
    const touched = cli(['--version'], bin);
    assert.equal(touched.code, 0);
    assert.equal(touched.stderr, '', 'same content, same hash: no rebuild');

    fs.writeFileSync(src, fs.readFileSync(src, 'utf8').replace("help: 'print the version and exit'", "help: 'print the version, then exit'"));
    const check = spawnSync(process.execPath, [path.join(tree, 'scripts', 'verify-build.js'), '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.match(check.stderr, /sources changed since the last build \(run: npm run build\)/);
    const refused = cli(['--help'], bin, { VERIFY_NO_REBUILD: '1' });
    assert.equal(refused.code, 2);
    oneLine(refused.stderr, /^verify: the verifier's sources changed since the last build; run: npm run build$/);
    assert.equal(refused.stdout, '', 'the old build did not run');

    const r = cli(['--help'], bin);
    assert.equal(r.code, 0, r.stderr);
    oneLine(r.stderr, /^verify: the verifier's sources changed since the last build: rebuilding \(npm run build\)$/);
    assert.match(r.stdout, /print the version, then exit/, 'the edited source is what ran');
    const again = cli(['--help'], bin);
    assert.equal(again.stderr, '', 'built once: the next run starts straight away');
  });

  it('a source that does not compile: exit 2 with one line, never the old build', () => {
    const bin = path.join(tree, 'bin', 'cilium-ipsec-verify.js');
    ensureBuilt(tree);
    const src = path.join(tree, 'components', 'verifier-cli', 'formatters', 'text.ts');
    const before = fs.readFileSync(src, 'utf8');
    fs.writeFileSync(src, `${before}\nexport const broken: number = 'text';\n`);
    try {
      const r = cli(['--version'], bin);
      assert.equal(r.code, 2);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[1], /^verify: the build failed \(.*text\.ts.*\); run: npm run build$/);
      assert.equal(r.stdout, '');
    } finally {
      fs.writeFileSync(src, before);
    }
  });
});

describe('verifier CLI (in-process execute)', () => {
  const BAD: [string[], RegExp][] = [
    [[], /^verify: CAPTURE: missing/],
    [['A', 'B'], /^verify: B: unexpected argument/],
    [['--bogus'], /^verify: --bogus: unknown option/],
    [['-x'], /^verify: -x: unknown option/],
    [['--json=yes'], /^verify: --json: takes no value/],
    [['--spi'], /^verify: --spi: needs a value/],
    [['--spi', '--json'], /^verify: --spi: needs a value/],
    [['--spi', '0'], /^verify: --spi: must be an integer 1\.\.4294967295, got "0"/],
    [['--spi', '4294967296'], /^verify: --spi: /],
    [['--spi', '3x'], /^verify: --spi: /],
    [['--spi', '-1'], /^verify: --spi: /],
    [['--pod-cidr', '10.0.0.0'], /^verify: --pod-cidr: "10\.0\.0\.0" is not a CIDR/],
    [['--pod-cidr', '10.0.0.0/33'], /^verify: --pod-cidr: /],
    [['--pod-cidr', '10.0.0.0/8', '--pod-cidr', '300.1.1.1/8'], /^verify: --pod-cidr: "300\.1\.1\.1\/8"/],
    [['--pod-cidr', 'fd00::/129'], /^verify: --pod-cidr: /],
    [['--pods', '10.0.1.1,banana'], /^verify: --pods: "banana" is not an IPv4 or IPv6 address/],
    [['--pods', ''], /^verify: --pods: /],
    [['--endpoints', '192.168.1.1'], /^verify: --endpoints: expected at least 2 comma-separated address/],
    [['--endpoints', '1.1.1.1,2.2.2.2,3.3.3.x'], /^verify: --endpoints: "3\.3\.3\.x" is not an IPv4 or IPv6 address/],
    [['--pod-cidr', '10.0.1.5/8'], /^verify: --pod-cidr: "10\.0\.1\.5\/8" has host bits set \(the network is 10\.0\.0\.0\/8\)/],
    [['--pod-cidr', '10.1/16'], /^verify: --pod-cidr: "10\.1\/16" is not a CIDR/],
    [['--pods', '10.0.1.1,fe80::1%eth0'], /^verify: --pods: "fe80::1%eth0" is not an IPv4 or IPv6 address/],
    [['--expect', 'secure'], /^verify: --expect: must be one of encrypted, cleartext, partial, inconclusive/],
    [['--vxlan-port', '0'], /^verify: --vxlan-port: must be a UDP port 1\.\.65535, got "0"/],
    [['--vxlan-port', '65536'], /^verify: --vxlan-port: /],
    [['--geneve-port', 'abc'], /^verify: --geneve-port: /],
    [['--key', '3'], /^verify: --key: expected SPI:HEX40/],
    [['--key', 'ab'.repeat(20)], /^verify: --key: expected SPI:HEX40, got 40 characters without a ":"$/],
    [['--key', `0:${'ab'.repeat(20)}`], /^verify: --key: SPI must be an integer 1\.\.4294967295/],
    [['--key', `3:${'ab'.repeat(19)}`], /^verify: --key: key must be 40 hex digits .* got 38/],
    [['--key', `3:${'zz'.repeat(20)}`], /^verify: --key: key must be hexadecimal/],
    [['--key', `3:${'ab'.repeat(20)}`, '--key', 'x'], /^verify: --key: /],
    [['--nonce', ''], /^verify: --nonce: must not be empty/],
    [['--rotation-between', '1.1.1.1,2.2.2.2'], /^verify: --rotation-between: needs --rotation FROM:TO/],
    [['--rotation', '3:4', '--rotation-between', '1.1.1.1'], /^verify: --rotation-between: expected at least 2 comma-separated address/],
    [['--rotation', '3:4', '--rotation-between', '1.1.1.1,node2'], /^verify: --rotation-between: "node2" is not an IPv4 or IPv6 address/],
  ];
  for (const [args, re] of BAD) {
    it(`${JSON.stringify(args)} -> exit 2, one stderr line naming it`, async () => {
      // Every case except the positional ones gets a valid capture, so only the option is wrong.
      const full = args.length === 0 || args[0] === 'A' ? args : [files.encrypted, ...args];
      const r = await run(full);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r.stderr, re);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /[0-9a-f]{32,}/i, 'no key material in the error');
    });
  }

  it('--xfrm: missing file, directory, unparsable state -> exit 2 naming the file', async () => {
    const missing = path.join(dir, 'none.xfrm');
    let r = await run([files.encrypted, '--xfrm', missing]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${missing}: no such file`));
    r = await run([files.encrypted, '--xfrm', dir]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${dir}: not a regular file`));
    r = await run([files.encrypted, '--xfrm', files.xfrmBad]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${files.xfrmBad}: line 3: aead key`));
  });

  it('--xfrm with redacted keys: SAs known, "no usable key" for them, one warning; no key text in any output', async () => {
    // cilium-bugtool's form (cilium/cilium bugtool/cmd/helper.go) for the SA of the ESP in files.encrypted
    const xfrm = write('redacted.xfrm', Buffer.from(xfrmStateText({ src: NODE_A, dst: NODE_B, spi: 3, keyText: `[hash:${'5e'.repeat(32)}]`, mark: null, afUnspec: false, oseq: 10, selector: false })));
    const r = await run([files.encrypted, '--json', '--xfrm', xfrm]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.decryption.sas, 1);
    assert.equal(rep.decryption.noKey, 4);
    assert.equal(rep.decryption.ok + rep.decryption.failed, 0);
    assert.equal(rep.esp.flows[0].decryption.unsupported, 'no usable key (redacted in the xfrm text)');
    const mine = rep.warnings.filter((w: string) => /redacted/.test(w));
    assert.deepEqual(mine, [`${xfrm}: 1 of 1 states have redacted keys (first at line 1): their SAs are kept, with no usable key`,
      `SA ${NODE_A} -> ${NODE_B} SPI 3 has no usable key (redacted in the xfrm text)`]);
    assert.doesNotMatch(JSON.stringify(rep.warnings) + JSON.stringify(rep.reasons ?? []) + JSON.stringify(rep.expectationFailures ?? []), /[0-9a-f]{32,}/i);
  });

  it('--xfrm with a damaged key: exit 2 naming the file, the line and the token length, never the key', async () => {
    const key = `0x${'4f'.repeat(19)}7`; // 39 hex digits: one lost in the paste
    const xfrm = write('damaged.xfrm', Buffer.from(`src ${NODE_A} dst ${NODE_B}\n\tproto esp spi 0x00000003 reqid 1 mode tunnel\n`
      + `\taead rfc4106(gcm(aes)) ${key} 128\n`));
    const r = await run([files.encrypted, '--xfrm', xfrm]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${xfrm}: line 3: aead key is not 0x followed by an even number of hex digits \\(got a token of 41 characters\\)`));
    assert.doesNotMatch(r.stderr, /[0-9a-f]{32,}/i);
  });

  it('the capture is a directory -> exit 2; --wireshark on a file -> exit 2', async () => {
    let r = await run([dir]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${dir}: is a directory`));
    r = await run([files.encrypted, '--wireshark', files.text]);
    assert.equal(r.code, 2);
    oneLine(r.stderr, new RegExp(`^verify: ${files.text}: exists and is not a directory`));
  });

  it('--wireshark DIR writes esp_sa (one line per --key), preferences and decode_as_entries', async () => {
    const ws = path.join(dir, 'ws');
    const key = 'cd'.repeat(20);
    const r = await run([files.encrypted, '--wireshark', ws, '--key', `3:${key}`, '--vxlan-port', '8472']);
    assert.equal(r.code, 0, r.stderr);
    const sa = fs.readFileSync(path.join(ws, 'esp_sa'), 'utf8');
    assert.match(sa, new RegExp(`"0x00000003","AES-GCM with 16 octet ICV \\[RFC4106\\]","0x${key}"`));
    assert.ok(fs.existsSync(path.join(ws, 'preferences')));
    assert.match(fs.readFileSync(path.join(ws, 'decode_as_entries'), 'utf8'), /udp\.port,8472,.*VXLAN/);
  });

  it('an unexpected error maps to exit 2 with one line and no stack trace', async () => {
    let stderr = '';
    const code = await execute([files.encrypted, '--json'], {
      stdout: { write: () => { throw new TypeError('stdout exploded'); } },
      stderr: { write: (s: string) => { stderr += s; return true; } },
    });
    assert.equal(code, 2);
    oneLine(stderr, /^verify: internal error: stdout exploded$/);
  });

  it('--spi and --endpoints are expectations too: exit 1 when not met, 0 when met', async () => {
    assert.equal((await run([files.encrypted, '--spi', '3'])).code, 0);
    assert.equal((await run([files.encrypted, '--spi', '0x3', '--expect', 'encrypted'])).code, 0);
    const r = await run([files.encrypted, '--spi', '5', '--json']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).meetsExpectation, false);
    assert.equal((await run([files.encrypted, '--endpoints', `${NODE_A},${NODE_B}`])).code, 0);
    assert.equal((await run([files.encrypted, '--endpoints', `${NODE_A},192.168.9.9`])).code, 1);
    assert.equal((await run([files.cleartext, '--spi', '3'])).code, 1, 'no ESP at all');
  });

  it('--endpoints takes any number of addresses, comma-separated or repeated (the lab passes node IPs and cilium_host addresses)', async () => {
    const six = [NODE_A, NODE_B, '192.168.44.129', '10.0.1.1', '10.0.2.1', '10.0.3.1'];
    let r = await run([files.encrypted, '--json', '--endpoints', six.join(',')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).expectationFailures, []);
    r = await run([files.encrypted, '--endpoints', six.slice(0, 3).join(','), '--endpoints', six.slice(3).join(',')]);
    assert.equal(r.code, 0, r.stderr);
    r = await run([files.encrypted, '--json', '--endpoints', [NODE_A, ...six.slice(2)].join(',')]);
    assert.equal(r.code, 1, 'ESP to an address outside the list fails');
    assert.match(JSON.parse(r.stdout).expectationFailures.join(' '), /ESP between other endpoints: 192\.168\.211\.128 -> 192\.168\.44\.128/);
  });

  it('repeatable options all count: two --pod-cidr, two --vxlan-port', async () => {
    const r = await run([files.cleartext, '--json', '--pod-cidr', '172.16.0.0/12', '--pod-cidr', '10.0.2.0/24',
      '--vxlan-port', '8472', '--vxlan-port', '4789']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    // Only one pod of the pair is in a pod CIDR now: not pod-to-pod.
    assert.equal(rep.cleartext.podPackets, 0);
    const r2 = await run([files.cleartext, '--json', '--pod-cidr', '172.16.0.0/12', '--pod-cidr', '10.0.0.0/16']);
    assert.equal(JSON.parse(r2.stdout).cleartext.podPackets, 3);
  });
});
