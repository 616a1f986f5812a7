/**
 * The CLI's evidence options (cli.ts `execute`, in process): --wireguard-port (replaces the default 51871, a bad
 * port is exit 2), WireGuard as evidence for --expect encrypted, and the text summary's WireGuard and cleartext
 * window lines, on the scapy-made fixtures.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';

import { CAPTURES, runCliInProcess } from '../verifier/helpers/fixtures';

const NONCE = 'cilab-nonce-5e1f0a9c';
const fx = (name: string) => path.join(CAPTURES, name);

describe('verifier CLI: WireGuard options', function () {
  this.timeout(60_000);

  for (const bad of ['0', '65536', 'abc', '-1', '']) {
    it(`--wireguard-port "${bad}" is exit 2 with one line naming the option`, async () => {
      const r = await runCliInProcess([fx('wireguard-encrypted.pcap'), '--wireguard-port', bad]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /^verify: --wireguard-port: /);
    });
  }

  it('WireGuard transport data meets --expect encrypted; the JSON carries the WireGuard findings', async () => {
    const r = await runCliInProcess([fx('wireguard-encrypted.pcap'), '--json', '--nonce', NONCE, '--expect', 'encrypted']);
    assert.equal(r.code, 0, r.stdout);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'encrypted');
    assert.deepEqual([j.wireguard.ports, j.wireguard.dataPackets, j.wireguard.flows.length], [[51871], 9, 2]);
    assert.deepEqual(j.expectationFailures, []);
  });

  it('--wireguard-port replaces the default: the same capture on another port proves nothing (exit 1)', async () => {
    const r = await runCliInProcess([fx('wireguard-encrypted.pcap'), '--json', '--wireguard-port', '51820', '--expect', 'encrypted']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.deepEqual([j.verdict, j.wireguard.ports, j.wireguard.packets], ['inconclusive', [51820], 0]);
    // several ports: repeatable, both decoded
    const two = await runCliInProcess([fx('wireguard-encrypted.pcap'), '--json', '--wireguard-port', '51820', '--wireguard-port', '51871']);
    assert.deepEqual(JSON.parse(two.stdout).wireguard.ports, [51820, 51871]);
    assert.equal(JSON.parse(two.stdout).verdict, 'encrypted');
  });

  it('WireGuard beside cleartext pod packets is partial and fails --expect encrypted', async () => {
    const r = await runCliInProcess([fx('wireguard-partial.pcap'), '--json', '--nonce', NONCE, '--expect', 'encrypted']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'partial');
    assert.ok(j.cleartext.windows.length === 1 && j.cleartext.windows[0].packets === j.cleartext.podPackets, JSON.stringify(j.cleartext.windows));
  });

  it('the text summary shows the WireGuard flows, the invalid datagrams and the cleartext windows', async () => {
    const inv = await runCliInProcess([fx('wireguard-invalid.pcap'), '--nonce', NONCE]);
    assert.equal(inv.code, 0);
    assert.match(inv.stdout, /^verdict: ENCRYPTED/);
    assert.match(inv.stdout, /WireGuard \(UDP 51871\): 5 messages, 3 transport data \(1 keepalives\), 2 handshake, 0 cookie reply, 4 NOT valid WireGuard/);
    assert.match(inv.stdout, /192\.168\.44\.128 -> 192\.168\.211\.128 receiver \d+ \(0x[0-9a-f]{8}\): 2 packets, counter 0\.\.1 increasing/);
    assert.match(inv.stdout, /4 datagrams on WireGuard port 51871 not a valid WireGuard message/);
    const part = await runCliInProcess([fx('wireguard-partial.pcap')]);
    assert.match(part.stdout, /seen in 1 time window\(s\) \(gaps over 1 s\): 2025-11-26T00:00:00\.\d{3}Z \.\. 2025-11-26T00:00:00\.\d{3}Z \(6\)/);
  });
});

describe('verifier CLI: --rotation FROM:TO', function () {
  this.timeout(60_000);
  const rot = (name: string, ...args: string[]) => runCliInProcess([fx(`${name}.pcap`), '--json', '--nonce', NONCE,
    '--xfrm', fx(`${name}.before.xfrm`), '--xfrm', fx(`${name}.after.xfrm`), ...args]);

  for (const bad of ['3', '3:', ':4', 'a:4', '3:3', '0x3:3', '0:4', '3:4294967296', '3:4:5', '-3:4']) {
    it(`--rotation "${bad}" is exit 2 with one line naming the option`, async () => {
      const r = await runCliInProcess([fx('rotation-good.pcap'), '--rotation', bad]);
      assert.equal(r.code, 2, r.stdout);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^verify: --rotation: .+\n$/);
    });
  }

  it('a good rotation (decimal or 0x hex) is met: exit 0, every direction switched, both key generations decrypt', async () => {
    for (const spec of ['3:4', '0x3:0X00000004']) {
      const r = await rot('rotation-good', '--rotation', spec, '--expect', 'encrypted');
      assert.equal(r.code, 0, r.stdout);
      const j = JSON.parse(r.stdout);
      assert.deepEqual([j.rotation.from, j.rotation.to, j.rotation.met, j.rotation.failures], [3, 4, true, []]);
      assert.deepEqual(j.rotation.directions.map((d: { switched: boolean }) => d.switched), [true, true]);
      assert.deepEqual(j.rotation.cleartextWindows, []);
      // both generations decrypt: every ESP packet, each SPI's flows
      assert.deepEqual([j.decryption.ok, j.decryption.failed, j.decryption.noKey], [j.esp.packets, 0, 0]);
      for (const f of j.esp.flows) assert.equal(f.decryption.ok, f.packets, `${f.src} -> ${f.dst} SPI ${f.spi}`);
    }
  });

  it('only the "before" states: the new generation has no key (the lab must read xfrm state after the rotation too)', async () => {
    const r = await runCliInProcess([fx('rotation-good.pcap'), '--json', '--xfrm', fx('rotation-good.before.xfrm'), '--rotation', '3:4']);
    const j = JSON.parse(r.stdout);
    assert.equal(r.code, 0);
    assert.ok(j.decryption.noKey > 0 && j.esp.flows.filter((f: { spi: number }) => f.spi === 4).every((f: { decryption?: unknown }) => f.decryption === undefined));
  });

  it('a rotation that never happened is not met: exit 1, the reasons in expectationFailures', async () => {
    const r = await rot('rotation-none', '--rotation', '3:4');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.rotation.met, false);
    assert.equal(j.verdict, 'encrypted');
    assert.ok(j.expectationFailures.some((m: string) => /new SPI 4 carried no traffic/.test(m)), j.expectationFailures.join('\n'));
    assert.ok(j.expectationFailures.some((m: string) => /never switched: 25 packets with SPI 3, none with 4/.test(m)));
  });

  it('a rotation with a 2 s cleartext window is not met: exit 1, the window reported with its time range', async () => {
    const r = await rot('rotation-cleartext-gap', '--rotation', '3:4');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'partial');
    assert.equal(j.rotation.cleartextWindows.length, 1);
    const w = j.rotation.cleartextWindows[0];
    assert.ok(Math.abs(w.start - 1764115204) < 1e-6 && Math.abs(w.end - 1764115205.602) < 1e-6 && w.packets === 10, JSON.stringify(w));
    assert.ok(j.expectationFailures.some((m: string) => /10 cleartext pod packets in 1 window \(2025-11-26T00:00:04\.000Z \.\. 2025-11-26T00:00:05\.602Z: 10\)/.test(m)));
    // every direction did switch: the cleartext alone fails it
    assert.ok(j.rotation.directions.every((d: { switched: boolean }) => d.switched));
  });

  it('with --rotation both SPIs are the expected ones: another SPI on the wire is a failure; --spi adds to them', async () => {
    const good = await rot('rotation-good', '--rotation', '3:4', '--spi', '3');
    assert.equal(good.code, 0, good.stdout);
    const wrong = await rot('rotation-good', '--rotation', '4:5');
    assert.equal(wrong.code, 1);
    const j = JSON.parse(wrong.stdout);
    assert.ok(j.expectationFailures.includes('unexpected SPI 3 (expected only 4 and 5 during the rotation)'), j.expectationFailures.join('\n'));
    assert.ok(j.expectationFailures.some((m: string) => /new SPI 5 carried no traffic/.test(m)));
    // without --rotation, --spi 3 alone rejects SPI 4
    const spi = await rot('rotation-good', '--spi', '3');
    assert.ok(JSON.parse(spi.stdout).expectationFailures.includes('unexpected SPI 4 (expected only 3)'));
  });

  it('the text summary shows the rotation per direction', async () => {
    const r = await runCliInProcess([fx('rotation-good.pcap'), '--rotation', '3:4']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^expectation: met$/m);
    assert.match(r.stdout, /rotation SPI 3 -> 4: proven/);
    assert.match(r.stdout, /192\.168\.44\.128 -> 192\.168\.211\.128: switched; 14 old, 12 new; last old 2025-11-26T00:00:05\.207Z, first new 2025-11-26T00:00:05\.202Z; 1 old after the switch/);
  });
});
