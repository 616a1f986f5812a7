/**
 * The CLI's evidence options (cli.ts `execute`, in process): --wireguard-port (replaces the default 51871, a bad
 * port is exit 2), WireGuard as evidence for --expect encrypted, and the text summary's WireGuard and cleartext
 * window lines, on the scapy-made fixtures.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';

import { CAPTURES, runCliInProcess } from './helpers/fixtures';

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
