/**
 * Reading the machines' boot ids: scripts/host/router-run.sh (here, to the router) running
 * scripts/vm/boot-ids.sh (on the router, to each node), composed exactly as components/machines.ts
 * composes them, with stand-ins for ssh and sudo on PATH:
 * - ssh (OpenSSH ssh.1): runs the remote command with its stdin and exits with the remote command's
 *   status, or 255 for an error of its own; `-n` gives the remote command no stdin. The router's
 *   address runs the command here; a node's address answers `cat /proc/sys/kernel/random/boot_id` with
 *   BOOT_<ip> (a node without one is unreachable: "No route to host", 255). DOWN_<ip> refusals come
 *   first (a machine still booting).
 * - sudo: `sudo -n CMD` and `sudo -u USER CMD` run CMD (the same user here).
 * - sleep: returns at once (the waits count real seconds, so a bounded wait still ends).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootIdsEnvironment, parseBootIds } from '../../components/machines';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { rawLab, withShims } from './helpers';

const plan = planTopology(parseLabConfig(rawLab('ipsec'), 'ipsec'));
const URI = 'qemu:///system';
const ids = {
  'control-plane': '3f1e0c52-0d1c-4d55-8e0b-6f3e9d1a0010',
  worker1: '3f1e0c52-0d1c-4d55-8e0b-6f3e9d1a0011',
  worker2: '3f1e0c52-0d1c-4d55-8e0b-6f3e9d1a0012',
};

const ssh = [
  'printf "%s\\n" "$*" >>"${SSH_LOG:-/dev/null}"',
  'while [ $# -gt 0 ]; do case $1 in -o|-p|-i|-l) shift 2 ;; -*) shift ;; *) break ;; esac; done',
  'dest=$1; shift; ip=${dest#*@}; v=${ip//./_}',
  // Refusals left for this address: DOWN_<ip> at first, then counted down in a file.
  'left="$SHIM_DIR/down-$v"; d=DOWN_$v; [ -f "$left" ] || echo "${!d:-0}" >"$left"; n=$(cat "$left")',
  'if [ "$n" -gt 0 ]; then echo $((n - 1)) >"$left"; echo "ssh: connect to host $ip port 22: Connection refused" >&2; exit 255; fi',
  `if [ "$ip" = "${plan.router.ip}" ]; then exec bash -c "$*"; fi`,
  'b=BOOT_$v; [ -n "${!b:-}" ] || { echo "ssh: connect to host $ip port 22: No route to host" >&2; exit 255; }',
  '[ "$*" = "cat /proc/sys/kernel/random/boot_id" ] || { echo "unexpected remote command: $*" >&2; exit 1; }',
  'echo "${!b}"',
].join('\n');
const sudo = 'while [[ "$1" == -n || "$1" == -u ]]; do [[ "$1" == -u ]] && shift; shift; done; exec "$@"';
const under = (ip: string) => ip.replace(/\./g, '_');

/** router-run.sh with the environment the program's invoke gives it (bootIdsEnvironment), plus `extra`. */
function readBoots(extra: Record<string, string> = {}) {
  const env = bootIdsEnvironment({ host: plan.router.ip, port: 22, user: 'lab', privateKey: 'ROUTER-KEY' }, plan, URI);
  const boots = Object.fromEntries(plan.nodes.map((n) => [`BOOT_${under(n.ip)}`, ids[n.name as keyof typeof ids]]));
  return withShims({ ssh, sudo, sleep: 'exit 0' }, 'scripts/host/router-run.sh', { ...env, ...boots, ...extra });
}

describe('boot ids through the router (router-run.sh + boot-ids.sh)', function () {
  this.timeout(60000);

  it('prints the router\'s own boot id and each node\'s, which parse into one id per machine', () => {
    const r = readBoots();
    assert.strictEqual(r.code, 0, r.stderr);
    const got = parseBootIds(r.stdout, plan.vms.map((v) => v.name));
    assert.strictEqual(got[plan.router.name], fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), 'the router reads its own');
    for (const [n, id] of Object.entries(ids)) assert.strictEqual(got[n], id, n);
  });

  it('waits for a router and a node still booting (refused connections), then reads them all', () => {
    const w2 = plan.workers[1];
    const r = readBoots({ [`DOWN_${under(plan.router.ip)}`]: '2', [`DOWN_${under(w2.ip)}`]: '3' });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(parseBootIds(r.stdout, plan.vms.map((v) => v.name)).worker2, ids.worker2);
  });

  it('a router that never answers: says how the machines come back, naming the domains', () => {
    const r = readBoots({ WAIT_SECONDS: '0', [`DOWN_${under(plan.router.ip)}`]: '1' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, new RegExp(`^router-run: timed out after 0s waiting for SSH to the lab router lab@${plan.router.ip.replace(/\./g, '\\.')}; last: ssh: connect to host .* Connection refused`, 'm'));
    assert.match(r.stderr, /libvirt starts them by itself \(autostart\)/);
    assert.ok(r.stderr.includes(`for d in ${plan.vms.map((v) => v.domain).join(' ')}; do virsh -c ${URI} start $d; done`), r.stderr);
    assert.strictEqual(r.stdout, '');
  });

  it('a node that never answers fails naming it, and the read is refused', () => {
    const env = bootIdsEnvironment({ host: plan.router.ip, user: 'lab' }, plan, URI);
    const w2 = plan.workers[1];
    const r = readBoots({ REMOTE_STDIN: env.REMOTE_STDIN.replace("export TIMEOUT_SECONDS='300'", "export TIMEOUT_SECONDS='0'"), [`BOOT_${under(w2.ip)}`]: '' });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, new RegExp(`^boot-ids: timed out after 0s waiting for SSH to node worker2 \\(${w2.ip.replace(/\./g, '\\.')}\\); last: ssh: connect to host .* No route to host`, 'm'));
    assert.throws(() => parseBootIds(r.stdout, plan.vms.map((v) => v.name)), /no boot id for worker2/);
  });

  it('the router key travels in a private file, never on a command line; nodes are asked with the lab key', () => {
    const log = path.join(os.tmpdir(), `lab-boot-ids-ssh-${process.pid}`);
    try {
      const r = readBoots({ SSH_LOG: log });
      assert.strictEqual(r.code, 0, r.stderr);
      const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
      assert.ok(!calls.some((c) => c.includes('ROUTER-KEY')));
      const toRouter = calls.filter((c) => c.includes(`lab@${plan.router.ip}`));
      assert.ok(toRouter.length === 2 && toRouter.every((c) => / -i \S+\/key -o IdentitiesOnly=yes /.test(c)), toRouter.join('\n'));
      assert.ok(toRouter[1].endsWith(`lab@${plan.router.ip} sudo -n bash -s -- create boot-ids.sh`), toRouter[1]);
      for (const n of plan.nodes) assert.ok(calls.some((c) => c.startsWith('-n -i /home/lab/.ssh/id_ed25519 ') && c.endsWith(`lab@${n.ip} cat /proc/sys/kernel/random/boot_id`)), n.name);
    } finally {
      fs.rmSync(log, { force: true });
    }
  });
});
