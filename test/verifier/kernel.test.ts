/**
 * Real kernel frames: network namespaces on this machine reproduce the lab's wire in cleartext.
 *
 *   pod1 (10.0.1.50) -- node1 (192.168.211.128) --seg1-- router --seg2-- node2 (192.168.44.128) -- pod2 (10.0.2.60)
 *                        vxlan id 2, UDP 8472  <======================================>  vxlan id 2, UDP 8472
 *
 * Pods are namespaces behind veth pairs; the nodes route 10.0.x.0/24 through a Linux VXLAN device on UDP 8472
 * (Cilium's port); the router forwards between two subnets, as in the lab. pod1 pings pod2 with a nonce
 * pattern (`ping -p`) and fetches http://10.0.2.60:8080/?nonce=... from `python3 -m http.server`. tcpdump on
 * the router captures the Ethernet segment (link type 1) and `-i any` (Linux cooked v2, 276). The verifier
 * must say cleartext, count the nonce, and see the pod pair inside VXLAN; tshark must agree frame by frame.
 *
 * The host kernel has no ESP (xfrm), so the encrypted case cannot run here: it is covered by the scapy
 * fixtures (test/verifier/fixtures.test.ts, crosscheck.test.ts) and by the VM suite (npm run test:vm).
 * All traffic stays inside namespaces this test creates (unique names per run), removed in after().
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { readCapture } from '../../components/verifier/capture';
import { FrameFactsLike, runCli, tmpDir } from './helpers/fixtures';
import { BASE_OPTS, tsharkFrames } from './helpers/tshark';

const tag = crypto.randomBytes(2).toString('hex');
const NS = { pod1: `kv-p1-${tag}`, node1: `kv-n1-${tag}`, router: `kv-r-${tag}`, node2: `kv-n2-${tag}`, pod2: `kv-p2-${tag}` };
// 15 characters or fewer per interface name
const NONCE = `kn${crypto.randomBytes(7).toString('hex')}`; // 16 characters: ping -p takes at most 16 pattern bytes
const PINGS = 4;

function sh(args: string[], input?: string): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', input, timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}
const inNs = (ns: string, ...cmd: string[]) => sh(['ip', 'netns', 'exec', ns, ...cmd]);

function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = { verifyCapture: (p: string, o: any) => Promise<any> };

describe('verifier on real kernel frames (netns + VXLAN 8472, tcpdump)', function () {
  this.timeout(120_000);
  const procs: ChildProcess[] = [];
  let dir = '';
  let ethPcap = '';
  let anyPcap = '';

  before(async function () {
    if (process.getuid && process.getuid() !== 0) this.skip(); // namespaces need root (the test machine is root)
    dir = tmpDir('kernel-frames-');
    ethPcap = path.join(dir, 'router-seg1.pcap');
    anyPcap = path.join(dir, 'router-any.pcap');
    for (const ns of Object.values(NS)) sh(['ip', 'netns', 'add', ns]);
    const link = (a: string, an: string, b: string, bn: string) => {
      sh(['ip', 'link', 'add', `${an}${tag}`, 'netns', a, 'type', 'veth', 'peer', 'name', `${bn}${tag}`, 'netns', b]);
    };
    link(NS.pod1, 'p1e', NS.node1, 'n1p');
    link(NS.node1, 'n1e', NS.router, 'rs1');
    link(NS.router, 'rs2', NS.node2, 'n2e');
    link(NS.node2, 'n2p', NS.pod2, 'p2e');
    const run = (ns: string, cmds: string[]) => sh(['ip', '-n', ns, '-batch', '-'], cmds.join('\n') + '\n');
    run(NS.pod1, ['link set lo up', `link set p1e${tag} up`, `addr add 10.0.1.50/24 dev p1e${tag}`, 'route add default via 10.0.1.1']);
    run(NS.pod2, ['link set lo up', `link set p2e${tag} up`, `addr add 10.0.2.60/24 dev p2e${tag}`, 'route add default via 10.0.2.1']);
    run(NS.router, ['link set lo up', `link set rs1${tag} up`, `link set rs2${tag} up`,
      `addr add 192.168.211.1/24 dev rs1${tag}`, `addr add 192.168.44.1/24 dev rs2${tag}`]);
    run(NS.node1, ['link set lo up', `link set n1e${tag} up`, `link set n1p${tag} up`,
      `addr add 192.168.211.128/24 dev n1e${tag}`, 'route add default via 192.168.211.1', `addr add 10.0.1.1/24 dev n1p${tag}`,
      `link add vx${tag} type vxlan id 2 dstport 8472 local 192.168.211.128 remote 192.168.44.128 dev n1e${tag}`,
      `link set vx${tag} mtu 1450 up`, `addr add 10.255.0.1/24 dev vx${tag}`, 'route add 10.0.2.0/24 via 10.255.0.2']);
    run(NS.node2, ['link set lo up', `link set n2e${tag} up`, `link set n2p${tag} up`,
      `addr add 192.168.44.128/24 dev n2e${tag}`, 'route add default via 192.168.44.1', `addr add 10.0.2.1/24 dev n2p${tag}`,
      `link add vx${tag} type vxlan id 2 dstport 8472 local 192.168.44.128 remote 192.168.211.128 dev n2e${tag}`,
      `link set vx${tag} mtu 1450 up`, `addr add 10.255.0.2/24 dev vx${tag}`, 'route add 10.0.1.0/24 via 10.255.0.1']);
    for (const ns of [NS.node1, NS.router, NS.node2]) inNs(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');

    // the HTTP server in pod2 (python3 -m http.server), serving a page that names the nonce
    const www = path.join(dir, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), `<html><body>pod2 ${NONCE}</body></html>\n`);
    const server = spawn('ip', ['netns', 'exec', NS.pod2, '/usr/bin/python3', '-m', 'http.server', '8080', '--bind', '10.0.2.60', '--directory', www], { stdio: 'ignore' });
    procs.push(server);

    // tcpdump on the router: the Ethernet segment toward node1, and -i any (Linux cooked v2)
    const dumps: { p: ChildProcess; err: string }[] = [];
    for (const [iface, file, extra] of [[`rs1${tag}`, ethPcap, []], ['any', anyPcap, ['-y', 'LINUX_SLL2']]] as [string, string, string[]][]) {
      const d = { p: spawn('ip', ['netns', 'exec', NS.router, 'tcpdump', '-nn', '-U', '--immediate-mode', '-i', iface, ...extra, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] }), err: '' };
      d.p.stderr!.on('data', (b: Buffer) => { d.err += b.toString(); });
      dumps.push(d);
      procs.push(d.p);
    }
    await waitFor(() => dumps.every((d) => /listening on/.test(d.err)), 15_000, 'tcpdump "listening on"');
    await waitFor(() => {
      try { inNs(NS.pod2, 'python3', '-c', 'import socket; socket.create_connection(("10.0.2.60", 8080), 1).close()'); return true; } catch { return false; }
    }, 15_000, 'the HTTP server in pod2');

    const pattern = Buffer.from(NONCE).toString('hex');
    inNs(NS.pod1, 'ping', '-c', String(PINGS), '-i', '0.2', '-W', '2', '-p', pattern, '-s', '64', '10.0.2.60');
    const body = inNs(NS.pod1, 'curl', '-sS', '--max-time', '10', '-H', `X-Nonce: ${NONCE}`, `http://10.0.2.60:8080/?nonce=${NONCE}`);
    assert.match(body, new RegExp(NONCE));
    await new Promise((r) => setTimeout(r, 500));
    for (const d of dumps) d.p.kill('SIGINT');
    await Promise.all(dumps.map((d) => new Promise((r) => (d.p.exitCode !== null ? r(null) : d.p.once('exit', r)))));
  });

  after(() => {
    for (const p of procs) if (p.exitCode === null && p.pid) try { p.kill('SIGKILL'); } catch { /* gone */ }
    for (const ns of Object.values(NS)) try { sh(['ip', 'netns', 'del', ns]); } catch { /* not created */ }
    if (dir && !process.env.KERNEL_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [label, file, linkType] of [['Ethernet (router segment)', () => ethPcap, 1], ['-i any (SLL2)', () => anyPcap, 276]] as [string, () => string, number][]) {
    it(`${label}: cleartext, nonce in the pings and the HTTP request, pod pair inside VXLAN 8472`, async () => {
      const summary = await readCapture(file(), () => undefined);
      assert.deepEqual(summary.linkTypes, [linkType]);
      assert.ok(summary.frames >= PINGS * 2, `only ${summary.frames} frames captured`);
      const facts: FrameFactsLike[] = [];
      const verifier = require('../../components/verifier') as Lib; // eslint-disable-line @typescript-eslint/no-require-imports
      const report = await verifier.verifyCapture(file(), { nonce: NONCE, onFrameFacts: (f: FrameFactsLike) => facts.push(JSON.parse(JSON.stringify(f))) });
      assert.equal(report.verdict, 'cleartext', JSON.stringify(report, null, 1));
      assert.equal(report.esp.packets, 0);
      // -i any sees each forwarded frame twice (in on one segment, out on the other)
      const copies = linkType === 276 ? 2 : 1;
      // exact counts from tshark (independent): frames containing the nonce, frames with a pod -> pod IP header
      const count = (filter: string) => spawnSync('tshark', ['-n', '-r', file(), ...BASE_OPTS, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
        .stdout.split('\n').filter(Boolean).length;
      const nonceFrames = count(`frame contains "${NONCE}"`);
      const podFrames = count('ip.src == 10.0.0.0/8 && ip.dst == 10.0.0.0/8');
      assert.equal(report.nonce.hits, nonceFrames, 'nonce hits vs tshark "frame contains"');
      assert.equal(report.cleartext.podPackets, podFrames, 'pod packets vs tshark');
      assert.ok(nonceFrames >= (PINGS + 1) * copies, `only ${nonceFrames} frames carry the nonce (pings + HTTP request expected)`);
      assert.ok(podFrames >= (PINGS * 2 + 3) * copies, `pod packets ${podFrames}`);
      const podInVxlan = facts.filter((f) => f.ips.length === 2 && f.ips[0].src === '192.168.211.128' && f.ips[0].dst === '192.168.44.128' && f.ips[1].src === '10.0.1.50' && f.ips[1].dst === '10.0.2.60');
      assert.ok(podInVxlan.length >= (PINGS + 3) * copies, `pod1 -> pod2 inside VXLAN seen in ${podInVxlan.length} frames`);
      assert.ok(podInVxlan.every((f) => (f.layers ?? '').includes('udp/vxlan')), `layers: ${podInVxlan.map((f) => f.layers).join(' ')}`);
      // and the CLI's --expect: 1 for encrypted, 0 for cleartext
      assert.equal(runCli([file(), '--nonce', NONCE, '--expect', 'encrypted']).code, 1);
      assert.equal(runCli([file(), '--nonce', NONCE, '--expect', 'cleartext']).code, 0);
    });

    it(`${label}: tshark agrees on every frame's IP addresses`, async () => {
      const facts: FrameFactsLike[] = [];
      const verifier = require('../../components/verifier') as Lib; // eslint-disable-line @typescript-eslint/no-require-imports
      await verifier.verifyCapture(file(), { onFrameFacts: (f: FrameFactsLike) => facts.push(JSON.parse(JSON.stringify(f))) });
      const ours = new Map(facts.map((f) => [f.frame, f]));
      const bad: string[] = [];
      const theirs = tsharkFrames(file());
      for (const t of theirs) {
        const o = (ours.get(t.frame)?.ips ?? []).filter((h) => h.version === 4).map((h) => `${h.src}>${h.dst}`);
        const w = t.ip4.map((h) => `${h.src}>${h.dst}`);
        if (JSON.stringify(o) !== JSON.stringify(w)) bad.push(`frame ${t.frame}: tshark ${JSON.stringify(w)} ours ${JSON.stringify(o)}`);
      }
      assert.ok(theirs.length > 0);
      assert.deepEqual(bad, []);
    });
  }
});
