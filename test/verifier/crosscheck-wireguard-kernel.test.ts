/**
 * WireGuard as the Linux kernel sends it, against tshark's wg dissector frame by frame. The capture is a
 * real one: the VM suite's WireGuard phase (Debian trixie guests, Linux 6.12's wireguard module, a
 * cilium_wg0-like device on UDP 51871 between the two workers, ping and HTTP between the pod namespaces),
 * taken on the router with the project's capture scripts and committed as
 * test/fixtures/kernel/wireguard-linux-6.12.pcap (82 frames, Ethernet). The scapy-made fixtures are
 * checked the same way in crosscheck-wireguard.test.ts; this file adds frames no scapy layer made.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';

import { REPO_ROOT } from '../../components/repo';
import { verifyCapture } from '../../components/verifier';
import { FrameFactsLike, parseNdjson, runCliInProcess } from './helpers/fixtures';
import { tsharkWg } from './helpers/tshark';

const CAPTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'kernel', 'wireguard-linux-6.12.pcap');
const NODES = ['192.168.211.128', '192.168.44.128'];

describe('verifier cross-check with tshark: WireGuard from the Linux kernel', function () {
  this.timeout(120_000);

  it('every frame: which frames are WireGuard, type, sender and receiver index and counter agree with tshark', async () => {
    const theirs = tsharkWg(CAPTURE);
    // Nothing to compare is a failure: the capture must hold the handshake and transport data.
    const types = [...theirs.values()].map((t) => t.type);
    assert.ok(types.includes(1) && types.includes(2) && types.filter((t) => t === 4).length >= 20, `tshark saw ${types.length} WireGuard messages`);
    const res = await runCliInProcess([CAPTURE, '--frames']);
    assert.ok(res.code === 0 || res.code === 1, res.stderr);
    const ours = parseNdjson<FrameFactsLike>(res.stdout);
    assert.equal(ours.length, 82);
    const bad: string[] = [];
    for (const f of ours) {
      const o = f.wireguard;
      const t = theirs.get(f.frame);
      if (!t) {
        if (o) bad.push(`frame ${f.frame}: ours WireGuard ${JSON.stringify(o)}, tshark none`);
        continue;
      }
      const mine = o?.valid ? { type: o.type, sender: o.senderIndex, receiver: o.receiverIndex, counter: o.counter } : o;
      if (JSON.stringify(mine) !== JSON.stringify(t)) bad.push(`frame ${f.frame}: ours ${JSON.stringify(mine)}, tshark ${JSON.stringify(t)}`);
    }
    assert.deepEqual(bad, []);
  });

  it('the findings: transport data and handshakes as tshark counts them, flows between the node IPs, counters growing', async () => {
    const theirs = [...tsharkWg(CAPTURE).values()];
    const r = await verifyCapture(CAPTURE, { nonce: 'never-in-this-capture' });
    assert.equal(r.wireguard.dataPackets, theirs.filter((t) => t.type === 4).length);
    assert.equal(r.wireguard.handshakes, theirs.filter((t) => t.type === 1 || t.type === 2).length);
    assert.equal(r.wireguard.invalid, 0);
    assert.equal(r.wireguard.flows.length, 2);
    for (const fl of r.wireguard.flows) {
      assert.ok(NODES.includes(fl.src) && NODES.includes(fl.dst) && fl.src !== fl.dst, `flow ${fl.src} -> ${fl.dst}`);
      assert.equal(fl.counterIncreasing, true, `counter of receiver ${fl.receiverIndex}`);
    }
    assert.equal(r.verdict, 'encrypted', r.reasons.join(' | '));
    assert.equal(r.cleartext.podPackets, 0);
  });
});
