/**
 * scripts/host/preflight.sh against a real kernel firewall, in network namespaces made by this test
 * (the machine's own firewall is never touched): a "host" namespace with the lab's two segment bridges
 * (no address, as libvirt makes them), and two "VM" namespaces plugged into the first one.
 *
 *   vm-a (10.233.1.1) --veth-- [cil-pft-seg1] --veth-- vm-b (10.233.1.2)      host ns: cil-pft-seg2 too
 *
 * br_netfilter's bridge-nf-call-iptables is per network namespace, so the host namespace gets its own.
 * Each case sets the firewall as Docker or a user would, checks what really happens to a frame between
 * the two VMs (ping), and that the preflight says the same: blocked when the ping is dropped, silent when
 * it passes. The fixes it prints are run as printed. Skipped unless root (network namespaces).
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../helpers';

const tag = `pf${process.pid % 100000}`;
const ns = { host: `${tag}-h`, a: `${tag}-a`, b: `${tag}-b` };
const BRIDGES = ['cil-pft-seg1', 'cil-pft-seg2'];

function sh(cmd: string): string {
  return execFileSync('bash', ['-ec', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
function inHost(cmd: string): string {
  return execFileSync('ip', ['netns', 'exec', ns.host, 'bash', '-ec', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
/** One echo request from vm-a to vm-b across the bridge: true when it is answered. */
function framesPass(): boolean {
  return spawnSync('ip', ['netns', 'exec', ns.a, 'ping', '-n', '-c', '1', '-W', '2', '10.233.1.2'], { stdio: 'ignore' }).status === 0;
}
/** The preflight as the program runs it on a local libvirt host, here inside the host namespace. */
function preflight(asUser?: number, env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const argv = ['netns', 'exec', ns.host];
  if (asUser !== undefined) argv.push('setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups');
  const vars = { LIBVIRT_URI: 'qemu:///system', LAB_BRIDGES: BRIDGES.join(' '), PATH: process.env.PATH ?? '', ...env };
  argv.push('env', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), 'bash', 'scripts/host/preflight.sh');
  const r = spawnSync('ip', argv, { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** Runs the fix lines a blocked preflight printed (each `  sudo ...` line), inside the host namespace. */
function runPrintedFixes(stderr: string, pick: RegExp): string[] {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('sudo ') && pick.test(l))
    .map((l) => l.replace(/^sudo /, '').replace(/\s+\(.*\)$/, ''));
  assert.ok(lines.length > 0, `no fix matching ${pick} in:\n${stderr}`);
  for (const l of lines) inHost(l);
  return lines;
}

/**
 * A stand-in for ssh(1) (OpenSSH): runs the remote command here with ssh's stdin, and exits with the
 * remote command's status, or 255 for an error of its own ("ssh exits with the exit status of the remote
 * command or with 255 if an error occurred", ssh.1). It logs its arguments; SSH_FAIL makes it fail as
 * an unreachable host does.
 */
function sshStandIn(dir: string): string {
  const bin = path.join(dir, 'ssh');
  fs.writeFileSync(
    bin,
    [
      '#!/bin/bash',
      'printf "%s\\n" "$*" >>"$SSH_LOG"',
      '[ -z "${SSH_FAIL:-}" ] || { echo "ssh: connect to host: No route to host" >&2; exit 255; }',
      '# options with a value, then the destination, then the remote command',
      'while [ $# -gt 0 ]; do case $1 in -o|-p|-i|-l) shift 2 ;; -*) shift ;; *) break ;; esac; done',
      'shift',
      'exec bash -c "$*"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return dir;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

describe('host preflight: bridged frames and the host firewall (netns)', function () {
  this.timeout(60000);

  before(function () {
    if (!isRoot()) this.skip();
    for (const n of Object.values(ns)) sh(`ip netns add ${n}`);
    for (const b of BRIDGES) sh(`ip -n ${ns.host} link add ${b} type bridge && ip -n ${ns.host} link set ${b} up`);
    for (const [side, addr] of [['a', '10.233.1.1'], ['b', '10.233.1.2']] as const) {
      sh(`ip link add ${tag}${side} type veth peer name eth0 netns ${ns[side]}`);
      sh(`ip link set ${tag}${side} netns ${ns.host}`);
      sh(`ip -n ${ns.host} link set ${tag}${side} master ${BRIDGES[0]} up`);
      sh(`ip -n ${ns[side]} addr add ${addr}/24 dev eth0 && ip -n ${ns[side]} link set eth0 up && ip -n ${ns[side]} link set lo up`);
    }
    // br_netfilter is loaded on this kernel (the sysctl exists); the namespace gets its own value.
    inHost('test -e /proc/sys/net/bridge/bridge-nf-call-iptables');
  });

  after(() => {
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n]);
  });

  beforeEach(() => {
    inHost('sysctl -qw net.bridge.bridge-nf-call-iptables=1; iptables -P FORWARD ACCEPT; iptables -F; iptables -X; nft delete table inet labtest 2>/dev/null || true');
  });

  /** Frames pass between the VMs, and the preflight agrees without a word. */
  function passesSilently(): void {
    assert.ok(framesPass());
    const r = preflight();
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, '');
  }

  it('an open firewall: frames pass and the preflight says nothing', () => {
    passesSilently();
  });

  it("Docker's FORWARD policy DROP: frames are dropped, the preflight refuses naming both bridges; its iptables fix makes them pass", () => {
    inHost('iptables -P FORWARD DROP');
    assert.ok(!framesPass(), 'the stand-in host drops bridged frames as the issue describes');
    const r = preflight();
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /frames between the lab's VMs would be dropped/);
    assert.match(r.stderr, /iptables: the FORWARD chain's policy is DROP and nothing accepts cil-pft-seg1 cil-pft-seg2/);
    runPrintedFixes(r.stderr, /iptables -I FORWARD/);
    assert.ok(framesPass());
    const after = preflight();
    assert.strictEqual(after.code, 0, after.stderr);
  });

  it('the DOCKER-USER variant of the fix, and only one bridge accepted: the other is named', () => {
    inHost('iptables -P FORWARD DROP; iptables -N DOCKER-USER; iptables -A DOCKER-USER -j RETURN; iptables -I FORWARD -j DOCKER-USER');
    inHost(`iptables -I DOCKER-USER -i ${BRIDGES[0]} -o ${BRIDGES[0]} -j ACCEPT`);
    assert.ok(framesPass());
    const r = preflight();
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /nothing accepts cil-pft-seg2\n/);
    inHost(`iptables -I DOCKER-USER -i ${BRIDGES[1]} -o ${BRIDGES[1]} -j ACCEPT`);
    assert.strictEqual(preflight().code, 0);
  });

  it('the sysctl fix it prints: bridged frames no longer reach the firewall', () => {
    inHost('iptables -P FORWARD DROP');
    const r = preflight();
    assert.strictEqual(r.code, 1);
    runPrintedFixes(r.stderr, /sysctl -w net\.bridge\.bridge-nf-call-iptables=0/);
    assert.ok(framesPass());
    assert.strictEqual(preflight().code, 0);
  });

  it('an nftables forward chain with policy drop is refused too, and passes once it accepts the bridges', () => {
    inHost("nft add table inet labtest; nft add chain inet labtest fw '{ type filter hook forward priority 0; policy drop; }'");
    assert.ok(!framesPass());
    const r = preflight();
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /nftables: chain inet labtest fw drops forwarded packets \(policy drop\) and nothing accepts cil-pft-seg1 cil-pft-seg2/);
    for (const b of BRIDGES) inHost(`nft add rule inet labtest fw iifname ${b} oifname ${b} accept`);
    assert.ok(framesPass());
    assert.strictEqual(preflight().code, 0);
  });

  it('br_netfilter handing nothing to the firewall: a DROP policy does not matter and nothing is said', () => {
    inHost('sysctl -qw net.bridge.bridge-nf-call-iptables=0; iptables -P FORWARD DROP');
    passesSilently();
  });

  it('a qemu+ssh:// host is checked over ssh (there, as the same checks), its refusal relayed; an unreachable host is named', () => {
    inHost('iptables -P FORWARD DROP');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-ssh-`));
    try {
      const log = path.join(dir, 'log');
      const env = { LIBVIRT_URI: 'qemu+ssh://me@libvirt.example:2222/system', PATH: `${sshStandIn(dir)}:${process.env.PATH}`, SSH_LOG: log };
      const r = preflight(undefined, env);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.match(r.stderr, /nothing accepts cil-pft-seg1 cil-pft-seg2/);
      assert.strictEqual(fs.readFileSync(log, 'utf8').trim(), '-o BatchMode=yes -o ConnectTimeout=15 -p 2222 me@libvirt.example bash -s');
      const down = preflight(undefined, { ...env, SSH_FAIL: '1' });
      assert.strictEqual(down.code, 1);
      assert.match(down.stderr, /^preflight\.sh: cannot reach the libvirt host me@libvirt\.example over ssh \(port 2222\)/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a user who cannot read the firewall gets a warning naming the bridges, not a refusal', () => {
    inHost('iptables -P FORWARD DROP');
    const r = preflight(65534);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /^warning: on the libvirt host .*net\.bridge\.bridge-nf-call-iptables = 1 .*could not be read .*cil-pft-seg1 cil-pft-seg2/);
  });
});
