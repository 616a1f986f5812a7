/**
 * The router's nftables ruleset (scripts/vm/router-setup.sh) for real, in network namespaces made by
 * this test (no traffic leaves them):
 *
 *   host ns (uplink gw .1) --uplink-- router ns --seg1-- n1 (control-plane .10)
 *                                          \----seg2-- n2 (worker2 .128)
 *
 * Checks (skipped unless root): the ruleset loads; seg1 <-> seg2 is routed without NAT (n2 sees n1's own address); traffic
 * from a segment to the uplink is masqueraded to the router's uplink address; the uplink's API port is
 * DNATed to the control-plane.
 */
import * as assert from 'assert';
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from './helpers';

const tag = `lr${process.pid % 100000}`;
const ns = { host: `${tag}-h`, router: `${tag}-r`, n1: `${tag}-1`, n2: `${tag}-2` };
const env = {
  UPLINK_IF: 'uplink',
  SEGMENT_IFS: 'seg1 seg2',
  SEGMENT_SUBNETS: '10.231.1.0/24 10.231.2.0/24',
  API_DNAT_TO: '10.231.1.10:6443',
  API_PORT: '6443',
};

function sh(cmd: string): string {
  return execFileSync('bash', ['-ec', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
function inNs(n: string, cmd: string): string {
  return execFileSync('ip', ['netns', 'exec', n, 'bash', '-ec', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

// Network namespaces need root (the README's condition for skipping); ip and nft are installed by
// scripts/test.sh, so a missing one fails the test instead of skipping it.
function isRoot(): boolean {
  return process.getuid?.() === 0;
}

describe('router ruleset (netns)', function () {
  this.timeout(60000);
  const rules = path.join(os.tmpdir(), `${tag}.nft`);

  before(function () {
    if (!isRoot()) this.skip();
    execFileSync('nft', ['--version'], { stdio: 'pipe' });
    fs.writeFileSync(
      rules,
      execFileSync('bash', [path.join(repoRoot, 'scripts/vm/router-setup.sh')], { env: { ...process.env, ...env, LAB_ROUTER_RENDER_ONLY: '1' } }),
    );
    for (const n of Object.values(ns)) sh(`ip netns add ${n}`);
    // veth pairs: host<->router (uplink), router<->n1 (seg1), router<->n2 (seg2).
    sh(`ip link add ${tag}a type veth peer name uplink netns ${ns.router}`);
    sh(`ip link set ${tag}a netns ${ns.host}`);
    sh(`ip link add ${tag}b type veth peer name seg1 netns ${ns.router}`);
    sh(`ip link set ${tag}b netns ${ns.n1}`);
    sh(`ip link add ${tag}c type veth peer name seg2 netns ${ns.router}`);
    sh(`ip link set ${tag}c netns ${ns.n2}`);
    inNs(ns.host, `ip link set lo up; ip addr add 10.231.0.1/24 dev ${tag}a; ip link set ${tag}a up`);
    inNs(ns.router, `ip link set lo up
      ip addr add 10.231.0.2/24 dev uplink; ip link set uplink up
      ip addr add 10.231.1.1/24 dev seg1; ip link set seg1 up
      ip addr add 10.231.2.1/24 dev seg2; ip link set seg2 up
      ip route add default via 10.231.0.1
      sysctl -qw net.ipv4.ip_forward=1
      nft -f ${rules}`);
    inNs(ns.n1, `ip link set lo up; ip addr add 10.231.1.10/24 dev ${tag}b; ip link set ${tag}b up; ip route add default via 10.231.1.1`);
    inNs(ns.n2, `ip link set lo up; ip addr add 10.231.2.128/24 dev ${tag}c; ip link set ${tag}c up; ip route add default via 10.231.2.1`);
  });

  after(() => {
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(rules, { force: true });
  });

  /** Accepts one TCP connection on PORT in NS and resolves with the peer address it saw. */
  function acceptOnce(n: string, port: number): Promise<string> {
    const code = `import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("0.0.0.0",${port}));s.listen(1);s.settimeout(20);c,a=s.accept();print(a[0],flush=True)`;
    const p = spawn('ip', ['netns', 'exec', n, '/usr/bin/python3', '-c', code]);
    return new Promise((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('close', (c) => (c === 0 ? resolve(out.trim()) : reject(new Error(`listener in ${n} exited ${c}`))));
    });
  }
  async function connectFrom(n: string, addr: string, port: number, seen: Promise<string>): Promise<string> {
    await new Promise((r) => setTimeout(r, 400));
    inNs(n, `/usr/bin/python3 -c 'import socket;socket.create_connection(("${addr}",${port}),timeout=5).close()'`);
    return seen;
  }

  it('segments are routed to each other without NAT', async () => {
    const seen = await connectFrom(ns.n1, '10.231.2.128', 8080, acceptOnce(ns.n2, 8080));
    assert.strictEqual(seen, '10.231.1.10');
  });

  it('segment -> uplink is masqueraded to the router uplink address', async () => {
    const seen = await connectFrom(ns.n2, '10.231.0.1', 8081, acceptOnce(ns.host, 8081));
    assert.strictEqual(seen, '10.231.0.2');
  });

  it('uplink:6443 is DNATed to the control-plane (and masqueraded onto the segment)', async () => {
    const seen = await connectFrom(ns.host, '10.231.0.2', 6443, acceptOnce(ns.n1, 6443));
    assert.strictEqual(seen, '10.231.1.1');
  });
});
