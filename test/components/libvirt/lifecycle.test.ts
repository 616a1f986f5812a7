/**
 * The host scripts' full lifecycle against a REAL libvirt daemon (qemu:///system), when one is
 * reachable here; skipped otherwise (npm test does not start libvirtd; the VM suite does).
 * Create twice (idempotent), a running domain over an overlay of an uploaded base volume with a seed
 * cdrom, then delete twice (deleting what is gone succeeds), and nothing with the prefix is left.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseLabConfig } from '../../../components/config';
import { planTopology } from '../../../components/topology';
import * as c from '../../../components/libvirt/commands';

const URI = 'qemu:///system';

// Only a daemon that is not running skips (the README names it); qemu-img is installed by scripts/test.sh.
function daemonReachable(): boolean {
  return spawnSync('virsh', ['-c', URI, 'version'], { timeout: 15000 }).status === 0;
}

describe('host scripts on a real libvirt daemon', function () {
  this.timeout(180000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-lifecycle-'));
  fs.chmodSync(dir, 0o755); // qemu runs as its own user and must reach the pool directory
  const cfg = parseLabConfig(
    {
      libvirtUri: URI,
      uplinkSubnet: '192.168.250.0/24',
      seg1Subnet: '192.168.251.0/24',
      seg2Subnet: '192.168.252.0/24',
      storagePoolDir: dir,
      routerMemoryMiB: '512',
      domainType: 'qemu',
    },
    'lifecycle',
  );
  const plan = planTopology(cfg);
  const img = path.join(dir, 'src.qcow2');
  const steps: [string, c.HostCommand][] = [
    ['pool', c.poolCommands(URI, plan)],
    ...Object.values(plan.networks).map((n): [string, c.HostCommand] => [n.name, c.networkCommands(URI, n)]),
    ['base volume', c.baseVolumeCommands(URI, plan, img, 'qcow2')],
    ['overlay', c.overlayVolumeCommands(URI, plan, plan.router)],
    ['seed', c.seedVolumeCommands(URI, plan, plan.router, { userData: '#cloud-config\n', metaData: 'instance-id: x\n', networkConfig: 'version: 2\n' })],
    ['domain', c.domainCommands(URI, plan, plan.router, 'qemu')],
  ];
  function run(cmd: string, env: Record<string, string>) {
    const r = spawnSync('bash', ['-c', cmd], { cwd: c.repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }
  function leftovers(): string[] {
    const list = (args: string[]) => spawnSync('virsh', ['-c', URI, ...args, '--all', '--name'], { encoding: 'utf8' }).stdout.split('\n');
    return [...list(['list']), ...list(['net-list']), ...list(['pool-list'])].filter((n) => n.startsWith(plan.prefix));
  }

  before(function () {
    if (!daemonReachable()) this.skip();
    assert.deepStrictEqual(leftovers(), [], 'no leftovers from an earlier run');
    spawnSync('qemu-img', ['create', '-f', 'qcow2', img, '1G']);
  });
  after(() => {
    if (daemonReachable()) for (const [, h] of [...steps].reverse()) run(h.delete as string, h.environment);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates every object, twice', () => {
    for (const [what, h] of steps) {
      for (const round of [1, 2]) {
        const r = run(h.create, h.environment);
        assert.strictEqual(r.code, 0, `${what} create #${round}: ${r.out}`);
      }
    }
    const st = spawnSync('virsh', ['-c', URI, 'domstate', plan.router.domain], { encoding: 'utf8' }).stdout.trim();
    assert.strictEqual(st, 'running');
    // Started again by libvirt after a host reboot, like the networks and the pool.
    for (const [args, name] of [['dominfo', plan.router.domain], ['net-info', plan.networks.seg1.name], ['pool-info', plan.pool.name]]) {
      const out = spawnSync('virsh', ['-c', URI, args, name], { encoding: 'utf8' }).stdout;
      assert.match(out, /^Autostart:\s+(yes|enable)$/m, `${args} ${name}: ${out}`);
    }
    const info = spawnSync('qemu-img', ['info', '-U', '--output=json', path.join(plan.pool.path, plan.router.diskVolume)], { encoding: 'utf8' });
    const j = JSON.parse(info.stdout);
    assert.strictEqual(j['backing-filename'], path.join(plan.pool.path, plan.baseVolume));
    assert.strictEqual(j['virtual-size'], plan.router.size.diskGiB * 1024 ** 3);
  });

  it('deletes every object, twice, and leaves nothing with the prefix', () => {
    for (const [what, h] of [...steps].reverse()) {
      for (const round of [1, 2]) {
        const r = run(h.delete as string, h.environment);
        assert.strictEqual(r.code, 0, `${what} delete #${round}: ${r.out}`);
      }
    }
    assert.deepStrictEqual(leftovers(), []);
  });
});
