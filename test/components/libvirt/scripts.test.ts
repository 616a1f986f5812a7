/**
 * The host scripts for real: idempotent deletes and virsh error text against libvirt's test driver
 * (`test:///default`, no daemon; its state lives only for one connection, so each virsh call starts
 * from the default objects), the image fetch with checksum checks, and the seed ISO build.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseLabConfig } from '../../../components/config';
import { planTopology } from '../../../components/topology';
import {
  HostCommand,
  domainCommands,
  imageFetchCommands,
  networkCommands,
  overlayVolumeCommands,
  parseImageFetchOutput,
  poolCommands,
  repoRoot,
  seedVolumeCommands,
} from '../../../components/libvirt/commands';
import { seedFiles } from '../../../components/cloud-init';

const TEST_URI = 'test:///default';
const cfg = parseLabConfig({ libvirtUri: TEST_URI }, 'dev');
const plan = planTopology(cfg);

function run(cmd: string, env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', cmd], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function del(hc: HostCommand) {
  return run(hc.delete as string, hc.environment);
}

describe('host scripts', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-host-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('idempotent deletes (libvirt test driver)', () => {
    const cases: [string, HostCommand][] = [
      ['network', networkCommands(TEST_URI, plan.networks.seg1)],
      ['pool', poolCommands(TEST_URI, plan)],
      ['overlay volume (missing pool)', overlayVolumeCommands(TEST_URI, plan, plan.workers[0])],
      ['overlay volume (missing in an existing pool)', { ...overlayVolumeCommands(TEST_URI, plan, plan.workers[0]), environment: { ...overlayVolumeCommands(TEST_URI, plan, plan.workers[0]).environment, POOL_NAME: 'default-pool' } }],
      ['seed volume', seedVolumeCommands(TEST_URI, plan, plan.router, { userData: 'x', metaData: 'y', networkConfig: 'z' })],
      ['domain', domainCommands(TEST_URI, plan, plan.router, 'qemu')],
    ];
    for (const [what, hc] of cases) {
      it(`deleting a ${what} that is already gone succeeds`, () => {
        const r = del(hc);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /already gone/);
      });
    }

    it('deleting an existing (test driver) domain destroys and undefines it', () => {
      const r = run('bash scripts/host/domain.sh delete', { LIBVIRT_URI: TEST_URI, DOMAIN_NAME: 'test' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /domain test deleted/);
    });

    it('creating a domain marks it autostart, so libvirt starts it again after a host reboot', () => {
      // The real virsh against the test driver, behind a recorder: its "test" domain is defined and
      // running, so create goes straight to autostart, which the test driver accepts for a persistent domain.
      const bin = fs.mkdtempSync(path.join(tmp, 'virsh-log-'));
      const log = path.join(bin, 'calls');
      const real = spawnSync('bash', ['-c', 'command -v virsh'], { encoding: 'utf8' }).stdout.trim();
      fs.writeFileSync(path.join(bin, 'virsh'), `#!/bin/bash\nprintf '%s\\n' "$*" >>'${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
      const r = run('bash scripts/host/domain.sh create', { LIBVIRT_URI: TEST_URI, DOMAIN_NAME: 'test', DOMAIN_XML: '<domain/>', PATH: `${bin}:${process.env.PATH}` });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^domain test running \(autostart\)$/m);
      const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
      assert.ok(calls.includes(`-q -c ${TEST_URI} autostart test`), calls.join('\n'));
    });

    it("a failing create reports virsh's own error text", () => {
      const hc = networkCommands(TEST_URI, plan.networks.uplink);
      const r = run(hc.create, { ...hc.environment, NET_XML: '<network><name>x</name><forward mode="bogus"/></network>' });
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /^network\.sh: virsh net-define failed \(exit 1\): error: /m);
    });

    it('a missing input is named', () => {
      const r = run('bash scripts/host/domain.sh create', { LIBVIRT_URI: TEST_URI, DOMAIN_NAME: 'x', DOMAIN_XML: '' });
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /environment variable DOMAIN_XML is required/);
    });
  });

  // Pulumi creates the VMs' seeds and overlays in parallel; libvirt refuses pool-refresh while another
  // upload into the pool runs. A stand-in virsh on PATH reproduces libvirt's refusal deterministically.
  describe('volume.sh while other uploads run (stand-in virsh)', () => {
    function standIn(refusals: number, otherError?: string): { dir: string; log: string } {
      const dir = fs.mkdtempSync(path.join(tmp, 'virsh-'));
      const log = path.join(dir, 'calls');
      const count = path.join(dir, 'refusals');
      fs.writeFileSync(count, String(refusals));
      fs.writeFileSync(path.join(dir, 'virsh'), [
        '#!/usr/bin/env bash',
        `echo "$*" >>${log}`,
        'case " $* " in',
        '  *" pool-refresh "*)',
        otherError ? `    echo "error: ${otherError}" >&2; exit 1 ;;` :
          `    n=$(cat ${count}); if [ "$n" -gt 0 ]; then echo $((n - 1)) >${count}; ` +
          `echo "error: Requested operation is not valid: pool 'p' has asynchronous jobs running." >&2; exit 1; fi; exit 0 ;;`,
        '  *" vol-info "*) exit 1 ;;',
        '  *) exit 0 ;;',
        'esac',
      ].join('\n'), { mode: 0o755 });
      return { dir, log };
    }
    const env = (dir: string) => ({ PATH: `${dir}:${process.env.PATH}`, LIBVIRT_URI: 'qemu:///system', POOL_NAME: 'p', VOL_NAME: 'v', VOL_XML: '<volume/>', REFRESH_WAIT: '0.05' });

    it('create waits out "asynchronous jobs running" and then creates the volume', () => {
      const { dir, log } = standIn(3);
      const r = run('bash scripts/host/volume.sh create', env(dir));
      assert.strictEqual(r.code, 0, r.stderr);
      const calls = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ').find((w) => /^(pool|vol)-/.test(w)));
      assert.deepStrictEqual(calls, ['pool-refresh', 'pool-refresh', 'pool-refresh', 'pool-refresh', 'vol-info', 'vol-create']);
    });

    it('create gives up after REFRESH_TRIES, with virsh\'s own words', () => {
      const { dir } = standIn(100);
      const r = run('bash scripts/host/volume.sh create', { ...env(dir), REFRESH_TRIES: '3' });
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /^volume\.sh: virsh pool-refresh failed \(exit 1\): error: .*asynchronous jobs running/m);
    });

    it('any other refresh error fails a create at once, and only warns on a delete', () => {
      const { dir, log } = standIn(0, 'pool p is not active');
      const c = run('bash scripts/host/volume.sh create', env(dir));
      assert.notStrictEqual(c.code, 0);
      assert.match(c.stderr, /pool-refresh failed \(exit 1\): error: pool p is not active/);
      assert.strictEqual(fs.readFileSync(log, 'utf8').trim().split('\n').filter((l) => l.includes('pool-refresh')).length, 1);
      const d = run('bash scripts/host/volume.sh delete', env(dir));
      assert.strictEqual(d.code, 0, d.stderr);
      assert.match(d.stderr, /warning: virsh pool-refresh failed/);
      assert.match(d.stdout, /volume v already gone/);
    });
  });

  describe('pool.sh delete (stand-in virsh)', () => {
    // pool-info says the pool exists, running and persistent; pool-delete answers with FAKE_DELETE_ERROR.
    const virsh = [
      '#!/usr/bin/env bash',
      'case " $* " in',
      '  *" pool-info "*) printf "Name: p\\nState: running\\nPersistent: yes\\n" ;;',
      '  *" vol-list "*) ;;',
      '  *" pool-delete "*) [ -z "${FAKE_DELETE_ERROR:-}" ] || { echo "error: $FAKE_DELETE_ERROR" >&2; exit 1; } ;;',
      '  *) ;;',
      'esac',
    ].join('\n');
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(tmp, 'virsh-pool-'));
      fs.writeFileSync(path.join(dir, 'virsh'), virsh + '\n', { mode: 0o755 });
    });
    const del = (error: string) => run('bash scripts/host/pool.sh delete', { PATH: `${dir}:${process.env.PATH}`, LIBVIRT_URI: 'qemu:///system', POOL_NAME: 'p', FAKE_DELETE_ERROR: error });

    it('a pool directory that is already gone is fine', () => {
      const r = del("failed to remove pool '/var/lib/lab/p': No such file or directory");
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /pool p deleted/);
    });
    it('any other pool-delete error fails the delete with virsh\'s words', () => {
      const r = del("failed to remove pool '/var/lib/lab/p': Directory not empty");
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^pool\.sh: virsh pool-delete failed: error: failed to remove pool '\/var\/lib\/lab\/p': Directory not empty$/m);
    });
  });

  describe('image-fetch.sh (runs on the Pulumi machine)', () => {
    const img = path.join(tmp, 'base.qcow2');
    // qcow2 magic, then filler: enough for format detection.
    fs.writeFileSync(img, Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(4096, 7)]));
    const sha = createHash('sha256').update(fs.readFileSync(img)).digest('hex');

    function fetch(imageUrl: string, imageChecksum: string) {
      const hc = imageFetchCommands(parseLabConfig({ imageUrl, imageChecksum, imageCacheDir: path.join(tmp, 'cache') }, 'dev'));
      return run(hc.create, hc.environment);
    }

    it('a local path with sha256:<hex> is verified and used in place', () => {
      const r = fetch(img, `sha256:${sha}`);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(parseImageFetchOutput(r.stdout), { path: img, format: 'qcow2', bytes: 4100, sha256: sha });
    });

    it('a file:// URL with a SHA256SUMS file URL', () => {
      const sums = path.join(tmp, 'SHA256SUMS');
      fs.writeFileSync(sums, `${'0'.repeat(64)} *other.img\n${sha} *base.qcow2\n`);
      const r = fetch(`file://${img}`, `file://${sums}`);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(parseImageFetchOutput(r.stdout).sha256, sha);
    });

    it('a wrong checksum fails naming both digests', () => {
      const r = fetch(img, `sha256:${'f'.repeat(64)}`);
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`checksum mismatch for .*base\\.qcow2: expected f{64}, got ${sha}`));
    });

    it('an image missing from SHA256SUMS is named', () => {
      const sums = path.join(tmp, 'SUMS-other');
      fs.writeFileSync(sums, `${'0'.repeat(64)}  other.img\n`);
      const r = fetch(img, `file://${sums}`);
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /base\.qcow2 is not listed in file:\/\//);
    });
  });

  describe('seed.sh', () => {
    it('builds a NoCloud ISO labelled cidata with user-data, meta-data and network-config', function () {
      this.timeout(30000);
      const files = seedFiles(plan, plan.workers[0], { sshPublicKey: 'ssh-ed25519 AAAA test' });
      const hc = seedVolumeCommands(TEST_URI, plan, plan.workers[0], files);
      const iso = path.join(tmp, 'seed.iso');
      const r = run(hc.create, { ...hc.environment, SEED_OUTPUT: iso });
      assert.strictEqual(r.code, 0, r.stderr);
      const info = spawnSync('isoinfo', ['-d', '-i', iso], { encoding: 'utf8' });
      if (info.status === 0) assert.match(info.stdout, /Volume id: cidata/);
      const list = spawnSync('isoinfo', ['-J', '-f', '-i', iso], { encoding: 'utf8' });
      if (list.status === 0) assert.deepStrictEqual(list.stdout.trim().split('\n').sort(), ['/meta-data', '/network-config', '/user-data']);
      const ud = spawnSync('isoinfo', ['-J', '-x', '/user-data', '-i', iso], { encoding: 'utf8' });
      if (ud.status === 0) assert.strictEqual(ud.stdout, files.userData + '\n');
    });
  });
});
