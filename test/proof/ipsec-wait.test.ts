/**
 * scripts/vm/ipsec-wait.sh run for real against a stand-in Cilium cluster of three nodes
 * (test/helpers/cilium-cluster.ts): kubectl lists agent pods (a terminating one first), and in an agent
 * `ip -4 addr`, `ip xfrm state` (with keys, one text per reading) and `cilium-dbg encrypt status`, which
 * prints as cilium-dbg v1.18.4 does from the node's xfrm states and its /proc/net/xfrm_stat counters,
 * counters that only ever grow. Checked: a ready cluster passes with one line per node and no key
 * material; every kind of "not ready" fails after the bound, naming the node and what was missing;
 * counters are judged by their growth, not their value; the rotation form (SAS_ONLY) waits for the new
 * SPI, and with PREVIOUS_KEY_ID until the traffic left the old one.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { xfrmToleranceEnv } from '../../components/proof/xfrm-counters';
import { addCiliumStandIns, dropPackets, writeCluster, type FakeNode } from '../helpers/cilium-cluster';
import { StandIns } from '../helpers/stand-ins';
import { xfrmStatesText, type XfrmSa } from '../helpers/xfrm';

const SCRIPT = 'scripts/vm/ipsec-wait.sh';

const NODES: Record<string, string[]> = {
  'control-plane': ['192.168.211.10', '10.0.0.77'],
  worker1: ['192.168.211.128', '10.0.1.124'],
  worker2: ['192.168.44.128', '10.0.2.104'],
};
const ALL = Object.keys(NODES);

interface SaOpts {
  skip?: [string, string];
  inboundAny?: boolean;
  ciliumHost?: boolean;
  /** Output sequence number of the out SA from `from` to `to` with `spi` (default 0). */
  oseq?: (from: string, to: string, spi: number) => number;
}

/** The SAs Cilium installs on `node` for the given SPIs (ESN, as 1.18): out to and in from every other node. */
function xfrmFor(node: string, spis: number[], o: SaOpts = {}): string {
  const sas: XfrmSa[] = [];
  const at = (n: string) => NODES[n][o.ciliumHost ? 1 : 0];
  for (const spi of spis) {
    for (const peer of ALL) {
      if (peer === node) continue;
      if (!(o.skip && o.skip[0] === node && o.skip[1] === peer)) sas.push({ src: at(node), dst: at(peer), spi, esn: true, oseq: o.oseq?.(node, peer, spi) ?? 0 });
      if (!(o.skip && o.skip[0] === peer && o.skip[1] === node)) sas.push({ src: o.inboundAny ? '0.0.0.0' : at(peer), dst: at(node), spi, esn: true, mark: '0xd00/0xf00' });
    }
  }
  return xfrmStatesText(sas);
}

describe('ipsec-wait.sh (stand-in Cilium cluster, three nodes)', function () {
  this.timeout(60000);
  const s = new StandIns('ipsec-wait-');
  addCiliumStandIns(s);
  after(() => s.remove());
  const log = s.file('kubectl.log');

  let n = 0;
  /** A cluster where every node has an agent; `per` gives what differs. */
  function cluster(per: (node: string) => FakeNode): string {
    return writeCluster(s.file(`c${++n}`), Object.fromEntries(ALL.map((node) => [node, { addrs: NODES[node], ...per(node) }])));
  }
  const readings = (fake: string, node: string) => Number(fs.readFileSync(path.join(fake, `${node}.xfrm.n`), 'utf8'));

  function run(fake: string, env: Record<string, string> = {}) {
    fs.rmSync(log, { force: true });
    return s.run(SCRIPT, {
      KUBECTL_LOG: log,
      FAKE: fake,
      EXPECTED_NODES: ALL.join(' '),
      KEY_ID: '3',
      TIMEOUT_SECONDS: '0',
      POLL_SECONDS: '0',
      ...xfrmToleranceEnv(),
      ...env,
    });
  }

  it('passes when every agent is in IPsec mode with 2 x (nodes - 1) keys and SAs both ways for every pair', () => {
    const fake = cluster((node) => ({ xfrm: [xfrmFor(node, [3])] }));
    const r = run(fake);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout.trim().split('\n'), ALL.map((node) => `node=${node} agent=cilium-${node} mode=IPsec keys_in_use=4 errors=0 xfrm=none spis=3 peers_ok=2/2`));
    assert.ok(!/[0-9a-f]{40}/.test(r.stdout + r.stderr), 'no key material in the output');
    const calls = fs.readFileSync(log, 'utf8');
    assert.ok(!/exec cilium-gone-/.test(calls), 'never asks a terminating agent');
    assert.match(calls, /-n kube-system get pods -l k8s-app=cilium --field-selector spec\.nodeName=worker1 -o jsonpath=/);
    assert.strictEqual(readings(fake, 'worker1'), 2, 'a baseline reading, then one judged round');
  });

  it('accepts SAs between the cilium_host addresses (the <= 1.17 layout, ESP inside VXLAN), whatever their scope', () => {
    assert.strictEqual(run(cluster((node) => ({ xfrm: [xfrmFor(node, [3], { ciliumHost: true })] }))).code, 0);
  });

  it('accepts inbound SAs with source 0.0.0.0 (the older Cilium form)', () => {
    const r = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3], { inboundAny: true })] })), { IP_FAMILIES: '1' });
    // One inbound key per node in that form: keys in use 3, short of 4.
    assert.match(r.stderr, /keys in use '3', expected at least 4/);
    assert.doesNotMatch(r.stderr, /no SA with SPI/);
  });

  it("reads the early releases' encrypt status (1.11: \"Encryption: ipsec\", reasons without a colon)", () => {
    const early = 'cilium encrypt status\n  Encryption: ipsec\n  NodeEncryption: disabled\n  Keys in use: 4\n  Max. sequence number: 0xffffbd4f/0xffffffff\n  Errors: 12\n    XfrmInStateProtoError 12\n';
    const r = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3])], status: early })));
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node=worker1 agent=cilium-worker1 mode=ipsec keys_in_use=4 errors=12 xfrm=XfrmInStateProtoError:12 spis=3 peers_ok=2\/2$/m);
  });

  it('fails after the bound naming each node and what it lacks: mode, keys, a missing SA, a missing agent', () => {
    const fake = cluster((node) => {
      if (node === 'control-plane') return { xfrm: [xfrmFor(node, [3])], mode: 'Disabled' };
      if (node === 'worker1') return { xfrm: [xfrmFor(node, [3])] };
      return { xfrm: [xfrmFor(node, [3], { skip: ['worker1', 'worker2'] })] };
    });
    const r = run(fake);
    assert.strictEqual(r.code, 1);
    assert.strictEqual(
      r.stderr,
      "ipsec-wait: timed out after 0s waiting for IPsec with key id 3 on every node; last: control-plane: encrypt status mode 'Disabled', expected IPsec; keys in use '?', expected at least 4 | worker2: keys in use '3', expected at least 4; no SA with SPI 3 from worker1 to worker2\n",
    );
    assert.strictEqual(r.stdout, '');
    fs.rmSync(path.join(fake, 'worker2.addr'));
    const gone = run(fake);
    assert.strictEqual(gone.code, 1);
    assert.match(gone.stderr, /\| worker2: no Running Cilium agent pod on worker2$/m);
  });

  it('a wrong key id is not ready: the agents carry SPI 3, the config says 4', () => {
    const r = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3])] })), { KEY_ID: '4' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /worker1: no SA with SPI 4 from worker1 to control-plane; no SA with SPI 4 from control-plane to worker1; /);
  });

  describe('XFRM error counters: growth, not value', () => {
    it('one transient error before the wait (a counter since boot) no longer makes every later wait time out', () => {
      const fake = cluster((node) => ({ xfrm: [xfrmFor(node, [3])], ...(node === 'worker1' ? { counters: { XfrmInStateProtoError: 2 } } : {}) }));
      const first = run(fake);
      assert.strictEqual(first.code, 0, first.stderr);
      assert.match(first.stdout, /^node=worker1 .* errors=2 xfrm=XfrmInStateProtoError:2 /m);
      // Packets dropped between two runs stay counted: the next wait sees a higher value, and passes.
      dropPackets(fake, 'worker2', { XfrmOutNoStates: 7 });
      const later = run(fake);
      assert.strictEqual(later.code, 0, later.stderr);
      assert.match(later.stdout, /^node=worker2 .* errors=7 xfrm=XfrmOutNoStates:7 /m);
    });

    it('a counter outside the tolerated list that keeps growing fails the wait, naming it', () => {
      const fake = cluster((node) => ({ xfrm: [xfrmFor(node, [3])], ...(node === 'worker2' ? { counters: { XfrmInStateProtoError: 5 }, drops: { XfrmInStateProtoError: 1 } } : {}) }));
      const r = run(fake, { TIMEOUT_SECONDS: '1' });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /timed out after 1s waiting for IPsec with key id 3 on every node; last: worker2: XFRM error counter XfrmInStateProtoError from \d+ to \d+ in the last 0s, still growing\n$/);
    });

    it('waits while a counter grows (keys still deploying), and passes once it stopped', () => {
      const fake = cluster((node) => ({
        xfrm: [xfrmFor(node, [3])],
        ...(node === 'worker1' ? { dropsAt: [{ XfrmOutNoStates: 3 }, { XfrmOutNoStates: 4 }, { XfrmOutNoStates: 1 }] } : {}),
      }));
      const r = run(fake, { TIMEOUT_SECONDS: '20' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^node=worker1 .* errors=8 xfrm=XfrmOutNoStates:8 /m);
      assert.ok(readings(fake, 'worker1') >= 4, `returned after ${readings(fake, 'worker1')} readings, before the counter stopped`);
    });

    it('the tolerated counters (xfrm-counters.ts) may grow a little, not without bound', () => {
      const small = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3])], ...(node === 'worker1' ? { drops: { XfrmInError: 2, XfrmFwdHdrError: 1 } } : {}) })));
      assert.strictEqual(small.code, 0, small.stderr);
      const large = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3])], ...(node === 'worker1' ? { drops: { XfrmInError: 10 } } : {}) })));
      assert.strictEqual(large.code, 1);
      assert.match(large.stderr, /worker1: XFRM error counter XfrmInError from 10 to 20 in the last 0s, still growing/);
      // Without the list handed over, nothing is tolerated.
      const strict = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3])], ...(node === 'worker1' ? { drops: { XfrmInError: 1 } } : {}) })), { TOLERATED_XFRM_COUNTERS: '' });
      assert.match(strict.stderr, /worker1: XFRM error counter XfrmInError from 1 to 2/);
    });
  });

  it('SAS_ONLY (the rotation wait): the new SPI in both directions for every pair is enough, keys doubled and errors aside', () => {
    const r = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3, 4])], drops: { XfrmInNoStates: 1 } })), { KEY_ID: '4', SAS_ONLY: '1' });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node=control-plane agent=cilium-control-plane mode=IPsec keys_in_use=8 errors=2 xfrm=XfrmInNoStates:2 spis=3,4 peers_ok=2\/2$/m);
    const h = run(cluster((node) => ({ xfrm: [node === 'worker2' ? xfrmFor(node, [3]) : xfrmFor(node, [3, 4])] })), { KEY_ID: '4', SAS_ONLY: '1' });
    assert.strictEqual(h.code, 1);
    assert.match(h.stderr, /worker2: no SA with SPI 4 from worker2 to control-plane/);
    assert.ok(!/worker1:/.test(h.stderr), h.stderr);
  });

  describe('after a rotation (PREVIOUS_KEY_ID): until the traffic between TRAFFIC_NODES left the old SPI', () => {
    const rotation = { KEY_ID: '4', SAS_ONLY: '1', PREVIOUS_KEY_ID: '3', TRAFFIC_NODES: 'worker1 worker2' };
    const workers = (a: string, b: string) => ['worker1', 'worker2'].includes(a) && ['worker1', 'worker2'].includes(b);
    /**
     * Both generations installed everywhere; between the workers the traffic goes out with the old SPI
     * until reading `switchAt`, with the new one from then on (Cilium takes the lower key id until the
     * peer's CiliumNode shows the new one). `readings` readings, then the last repeats (no more packets).
     */
    function switching(switchAt: number, readingsCount = 8): string {
      return cluster((node) => ({
        xfrm: Array.from({ length: readingsCount }, (_, i) =>
          xfrmFor(node, [3, 4], {
            oseq: (from, to, spi) => {
              if (!workers(from, to)) return 0;
              const k = i + 1;
              if (spi === 3) return 100 + 10 * Math.min(k, switchAt - 1);
              return 10 * Math.max(0, k - switchAt + 1);
            },
          }),
        ),
      }));
    }

    it('new-SPI SAs everywhere are not enough while the old SPI still carries the traffic: it waits for the switch', () => {
      const fake = switching(4);
      const r = run(fake, { ...rotation, TIMEOUT_SECONDS: '20' });
      assert.strictEqual(r.code, 0, r.stderr);
      // The old SPI's out SA moved up to reading 3; at reading 4 it stood still and the new one moved.
      assert.strictEqual(readings(fake, 'worker1'), 4, 'returned at the first reading after the switch');
      // Without PREVIOUS_KEY_ID the same cluster passes at once: the SAs alone say nothing about the datapath.
      const naive = switching(4);
      assert.strictEqual(run(naive, { KEY_ID: '4', SAS_ONLY: '1' }).code, 0);
      assert.strictEqual(readings(naive, 'worker1'), 2);
    });

    it('fails after the bound when a node never switches, naming the direction and the old SPI', () => {
      const r = run(switching(99), { ...rotation, TIMEOUT_SECONDS: '1' });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /worker1: traffic from worker1 to worker2 still leaves with the old SPI 3 \(its out SA's oseq moved: \S+ \S+ 0x0:0x\w+ -> \S+ \S+ 0x0:0x\w+\)/);
      assert.match(r.stderr, /worker2: traffic from worker2 to worker1 still leaves with the old SPI 3/);
      assert.doesNotMatch(r.stderr, /control-plane:/);
    });

    it('no traffic at all is not a switch: the new SPI must carry packets', () => {
      const r = run(cluster((node) => ({ xfrm: [xfrmFor(node, [3, 4])] })), { ...rotation, TIMEOUT_SECONDS: '1' });
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /worker1: no traffic from worker1 to worker2 on SPI 4 during the last 0s \(its out SA's oseq: 192\.168\.211\.128 192\.168\.44\.128 0x0:0x0\)/);
    });
  });

  it('refuses bad inputs before asking the cluster', () => {
    for (const [env, msg] of [
      [{ KEY_ID: '16' }, /KEY_ID must be 1\.\.15, got '16'/],
      [{ EXPECTED_NODES: 'worker1' }, /EXPECTED_NODES must name at least two nodes/],
      [{ TIMEOUT_SECONDS: 'soon' }, /TIMEOUT_SECONDS must be a non-negative integer, got 'soon'/],
      [{ TOLERATED_XFRM_COUNTERS: 'XfrmInError' }, /TOLERATED_XFRM_COUNTERS must be NAME:MAX words \(e\.g\. XfrmInError:9\), got 'XfrmInError'/],
      [{ PREVIOUS_KEY_ID: '3' }, /PREVIOUS_KEY_ID must be 1\.\.15 and not KEY_ID \(3\), got '3'/],
      [{ PREVIOUS_KEY_ID: '2' }, /TRAFFIC_NODES is required with PREVIOUS_KEY_ID/],
      [{ PREVIOUS_KEY_ID: '2', TRAFFIC_NODES: 'worker1 worker9' }, /TRAFFIC_NODES names 'worker9', which is not in EXPECTED_NODES/],
    ] as [Record<string, string>, RegExp][]) {
      const r = run(s.dir, env);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, msg);
      assert.ok(!fs.existsSync(log), `asked the cluster before refusing ${JSON.stringify(env)}`);
    }
  });
});
