/**
 * scripts/vm/wireguard-wait.sh run for real against the stand-in Cilium cluster of three nodes
 * (test/helpers/cilium-cluster.ts): agent pods (a terminating one listed first) and `cilium-dbg encrypt
 * status` per node as cilium-dbg prints it. A cluster passes once every agent is in WireGuard mode with a
 * peer per other node; otherwise the wait fails after its bound, naming each node and what it lacks.
 */
import * as assert from 'assert';
import { addCiliumStandIns, writeCluster, type FakeNode } from '../helpers/cilium-cluster';
import { StandIns } from '../helpers/stand-ins';

const NODES = ['control-plane', 'worker1', 'worker2'];
const wg = (peers: number): FakeNode => ({ addrs: ['192.168.211.10'], mode: 'Wireguard', wireguard: [{ iface: 'cilium_wg0', publicKey: 'aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=', peers }] });

describe('wireguard-wait.sh (stand-in Cilium cluster, three nodes)', function () {
  this.timeout(60000);
  const s = new StandIns('wg-wait-');
  addCiliumStandIns(s);
  after(() => s.remove());

  let n = 0;
  function run(nodes: Record<string, FakeNode>) {
    const fake = writeCluster(s.file(`c${++n}`), nodes);
    return s.run('scripts/vm/wireguard-wait.sh', { FAKE: fake, EXPECTED_NODES: NODES.join(' '), TIMEOUT_SECONDS: '0', POLL_SECONDS: '0' });
  }

  it('passes when every agent reports WireGuard with 2 peers', () => {
    const r = run(Object.fromEntries(NODES.map((node) => [node, wg(2)])));
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout.trim().split('\n'), NODES.map((node) => `node=${node} agent=cilium-${node} mode=Wireguard peers=2`));
  });

  it('counts the peers of every WireGuard device (an IPv6 device adds its own)', () => {
    const two = wg(1);
    two.wireguard?.push({ iface: 'cilium_wg1', publicKey: '6gdyrnQ9ahwDNv0Q7gj2UI2h9MUITh+O7xb2wdacKQA=', peers: 1 });
    const r = run({ 'control-plane': wg(2), worker1: two, worker2: wg(2) });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node=worker1 agent=cilium-worker1 mode=Wireguard peers=2$/m);
  });

  it('fails naming the node without its peers, in another mode, or without an agent', () => {
    const r = run({ 'control-plane': wg(2), worker1: wg(1), worker2: { addrs: ['192.168.44.128'], mode: 'Disabled' } });
    assert.strictEqual(r.code, 1);
    assert.strictEqual(
      r.stderr,
      "wireguard-wait: timed out after 0s waiting for WireGuard with a peer per other node on every node; last: worker1: 1 WireGuard peers, expected 2 (one per other node) | worker2: encrypt status mode 'Disabled', expected WireGuard\n",
    );
    const gone = run({ 'control-plane': wg(2), worker1: wg(2) });
    assert.match(gone.stderr, /last: worker2: no Running Cilium agent pod\n$/);
  });

  it('refuses bad inputs before asking the cluster', () => {
    const r = s.run('scripts/vm/wireguard-wait.sh', { EXPECTED_NODES: NODES.join(' '), POLL_SECONDS: 'often' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /^wireguard-wait: POLL_SECONDS must be a non-negative integer, got 'often'/);
  });
});
